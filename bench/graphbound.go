package bench

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// The graph bound is the critical path of the steps' dependency graph (steps.Needs)
// over the busy time each action keeps its node busy: a target starts once the steps
// its detection reads have ended, each action once the steps it reads have, and a
// target's actions follow each other. No tool that keeps those needs can be faster,
// whatever it overlaps. The actions' busy times come from an apply in the documented
// order, where an action's node runs nothing else of the run while it runs.

// actionBusy is one action's busy time on its own node.
type actionBusy struct {
	step   int
	host   string
	action string
	busy   time.Duration
}

// actionAccounting charges each action the busy time its node gained while it ran.
type actionAccounting struct {
	lab *lab.Lab

	mu      sync.Mutex
	running map[string]time.Duration // step|host|action -> node's busy time at its start
	out     []actionBusy
}

func newActionAccounting(l *lab.Lab) *actionAccounting {
	return &actionAccounting{lab: l, running: map[string]time.Duration{}}
}

func (a *actionAccounting) event(ev engine.Event) {
	if ev.Kind != engine.ActionStarted && ev.Kind != engine.ActionFinished {
		return
	}
	host := strings.ToLower(ev.Target)
	busy := a.lab.Stats().Nodes[host].Busy
	key := strings.Join([]string{strconv.Itoa(ev.Step), host, ev.Action}, "|")
	a.mu.Lock()
	defer a.mu.Unlock()
	if ev.Kind == engine.ActionStarted {
		a.running[key] = busy
		return
	}
	start, ok := a.running[key]
	if !ok {
		return
	}
	delete(a.running, key)
	a.out = append(a.out, actionBusy{step: ev.Step, host: host, action: ev.Action, busy: busy - start})
}

func (a *actionAccounting) actions() []actionBusy {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]actionBusy(nil), a.out...)
}

// graphBound is the critical path of all through the needs of ss: each step ends when
// its last target does, and an early fact is made when every target of its step has
// run the actions that make it. An action may wait for an early fact of a later step,
// so the times are computed again until none moves (the needs have no cycle).
func graphBound(ss []steps.Step, all []actionBusy) time.Duration {
	// Each target's actions in the order they ran.
	type target struct {
		step int
		host string
	}
	var order []target
	acts := map[target][]actionBusy{}
	for _, a := range all {
		k := target{a.step, a.host}
		if _, seen := acts[k]; !seen {
			order = append(order, k)
		}
		acts[k] = append(acts[k], a)
	}
	made := map[steps.Fact]time.Duration{} // a fact -> when it is made
	after := func(fs []steps.Fact) time.Duration {
		var t time.Duration
		for _, f := range fs {
			t = max(t, made[f])
		}
		return t
	}
	var last time.Duration
	for range len(ss) + 2 {
		moved := false
		set := func(f steps.Fact, t time.Duration) {
			if f != "" && made[f] != t {
				made[f], moved = t, true
			}
		}
		last = 0
		var prev []steps.Fact
		for _, s := range ss {
			needs := steps.Needs{Detect: prev}
			if n, ok := s.(steps.Needer); ok {
				needs = n.Needs()
			}
			end := after(needs.Detect)
			early := map[steps.Fact]time.Duration{}
			for _, k := range order {
				if k.step != s.ID() {
					continue
				}
				t := after(needs.Detect)
				passed := map[steps.Fact]time.Duration{}
				for _, a := range acts[k] {
					t = max(t, after(needs.Actions[a.action])) + a.busy
					if f := needs.EarlyFact(a.action); f != "" {
						passed[f] = t
					}
				}
				for f := range needs.Early {
					early[f] = max(early[f], passed[f])
				}
				end = max(end, t)
			}
			for f := range needs.Early {
				set(f, max(early[f], after(needs.Detect)))
			}
			last = max(last, end)
			set(needs.Makes, end)
			if needs.Makes != "" {
				prev = append(prev, needs.Makes)
			}
		}
		if !moved {
			break
		}
	}
	return last
}

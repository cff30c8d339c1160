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

// graphBound is the longer of the critical path of all through the needs of ss
// (criticalPath) and, for each node, what its installers alone take: one installer
// runs on a node at a time, so the last of them to end starts no sooner than the
// earliest could, after the others, and is followed by the shortest of their tails
// (the classic one-machine bound). No schedule that keeps the needs and the installer
// rule is shorter.
func graphBound(ss []steps.Step, all []actionBusy) time.Duration {
	bound, start := criticalPath(ss, all, -1, 0)
	byID := map[int]steps.Step{}
	for _, s := range ss {
		byID[s.ID()] = s
	}
	installers := map[string][]int{} // host -> indices in all
	for i, a := range all {
		if s, ok := byID[a.step]; ok {
			if t, ok := steps.FindAction(s, a.action); ok && t.Info().Installer {
				installers[a.host] = append(installers[a.host], i)
			}
		}
	}
	// An action started later than anything else could end shows its tail: how long
	// the run lasts after it ends.
	late := bound + time.Hour
	for _, idx := range installers {
		first, sum, tail := time.Duration(-1), time.Duration(0), time.Duration(-1)
		for _, i := range idx {
			if first < 0 || start[i] < first {
				first = start[i]
			}
			sum += all[i].busy
			end, _ := criticalPath(ss, all, i, late)
			if t := end - late - all[i].busy; tail < 0 || t < tail {
				tail = t
			}
		}
		bound = max(bound, first+sum+max(tail, 0))
	}
	return bound
}

// criticalPath is the critical path of all through the needs of ss, and the earliest
// start of each action: each step ends when its last target does, and an early fact
// is made when every target of its step has run the actions that make it. An action
// may wait for an early fact of a later step, so the times are computed again until
// none moves (the needs have no cycle). Action hold, when not -1, starts no sooner
// than at.
func criticalPath(ss []steps.Step, all []actionBusy, hold int, at time.Duration) (time.Duration, []time.Duration) {
	// Each target's actions (indices in all) in the order they ran.
	type target struct {
		step int
		host string
	}
	var order []target
	acts := map[target][]int{}
	for i, a := range all {
		k := target{a.step, a.host}
		if _, seen := acts[k]; !seen {
			order = append(order, k)
		}
		acts[k] = append(acts[k], i)
	}
	start := make([]time.Duration, len(all))
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
				for _, i := range acts[k] {
					a := all[i]
					t = max(t, after(needs.Actions[a.action]))
					if i == hold {
						t = max(t, at)
					}
					start[i] = t
					t += a.busy
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
	return last, start
}

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

// graphBound is the critical path of all through the needs of ss (in the documented
// order, which every need follows): each step ends when its last target does.
func graphBound(ss []steps.Step, all []actionBusy) time.Duration {
	ended := map[steps.Fact]time.Duration{} // a fact -> when the step that makes it ended
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
	var last time.Duration
	var prev []steps.Fact
	for _, s := range ss {
		needs := steps.Needs{Detect: prev}
		if n, ok := s.(steps.Needer); ok {
			needs = n.Needs()
		}
		after := func(fs []steps.Fact) time.Duration {
			var t time.Duration
			for _, f := range fs {
				t = max(t, ended[f])
			}
			return t
		}
		end := after(needs.Detect)
		for _, k := range order {
			if k.step != s.ID() {
				continue
			}
			t := after(needs.Detect)
			for _, a := range acts[k] {
				t = max(t, after(needs.Actions[a.action])) + a.busy
			}
			end = max(end, t)
		}
		last = max(last, end)
		if needs.Makes != "" {
			ended[needs.Makes] = end
			prev = append(prev, needs.Makes)
		}
	}
	return last
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// ApplyResult is one full apply against a fresh lab.
type ApplyResult struct {
	// Wall is the time Apply took, from its first detection to its last verification.
	Wall time.Duration
	// LowerBound is the sum over steps of the busiest target's busy time in that
	// step: no tool that keeps the steps' order can be faster. Measured with a
	// barrier between steps (Strict), it is what each step's share of Wall is held to.
	LowerBound time.Duration
	// GraphBound is the bound of the steps' needs and of one installer per node over
	// the actions' busy times (graphbound.go): no tool that keeps them can be faster.
	// It is only exact for a Strict apply, where an action's node runs nothing else
	// meanwhile. CriticalPath is the needs' critical path alone.
	GraphBound, CriticalPath time.Duration
	// Strict says the apply kept the documented order (`--order strict`).
	Strict bool
	// Steps is the same per step, in order.
	Steps []StepTiming
	// PowerShell and SQL count the commands and batches the steps sent.
	PowerShell, SQL int
	// WinRMRequests and TDSRoundTrips are what the lab received for them.
	WinRMRequests, TDSRoundTrips int
}

// Ratio is Wall over LowerBound (0 when the bound is 0, at Speed 0).
func (r ApplyResult) Ratio() float64 { return ratio(r.Wall, r.LowerBound) }

// StepTiming is one step of an apply: from the barrier that ended the previous step
// (or the start) to the barrier that ends this one, so the re-detection that precedes
// a step is counted with it and the steps' wall times add up to the run's.
type StepTiming struct {
	Step int `json:"step"`
	// Wall is the step's share of the run.
	Wall time.Duration `json:"wallNs"`
	// Busiest is the host whose operations kept it busy longest in the step, and Busy
	// that time.
	Busiest string        `json:"busiest,omitempty"`
	Busy    time.Duration `json:"busyNs"`
}

// MeasureApply runs a full apply (every step, nothing done before) against a fresh
// lab of shape e with at most parallel targets at a time (0: all), each target as soon
// as what it needs is made, and accounts the busy time of each action and of each step
// per target from the lab's counters.
func MeasureApply(ctx context.Context, e Estate, parallel int) (ApplyResult, error) {
	return measureApply(ctx, e, parallel, false, nil)
}

// MeasureApplyStrict is MeasureApply in the documented order, with a barrier between
// steps (`apply --order strict`): its step accounting is exact, and so is its graph
// bound.
func MeasureApplyStrict(ctx context.Context, e Estate, parallel int) (ApplyResult, error) {
	return measureApply(ctx, e, parallel, true, nil)
}

// MeasureApplyTraced is MeasureApply (MeasureApplyStrict when strict) that also writes
// the apply's timeline to trace: each command and batch with its host, start and
// duration, and the engine's events.
func MeasureApplyTraced(ctx context.Context, e Estate, parallel int, strict bool, trace io.Writer) (ApplyResult, error) {
	return measureApply(ctx, e, parallel, strict, trace)
}

func measureApply(ctx context.Context, e Estate, parallel int, strict bool, trace io.Writer) (ApplyResult, error) {
	le, err := startEstate(ctx, e)
	if err != nil {
		return ApplyResult{}, err
	}
	defer le.Close()

	acc := &stepAccounting{lab: le.lab}
	actions := newActionAccounting(le.lab)
	le.count.reset()
	le.lab.ResetStats()
	acc.begin()
	var tl *timeline
	events := []engine.Subscriber{acc.event, actions.event}
	if trace != nil {
		tl = newTimeline()
		le.count.traceTo(tl)
		events = append(events, tl.event)
	}
	eng, done, err := le.engineOrdered(parallel, strict, events...)
	if err != nil {
		return ApplyResult{}, err
	}
	start := time.Now()
	rep, err := eng.ApplyWith(ctx, nil, nil, engine.ApplyOptions{})
	wall := time.Since(start)
	done()
	le.count.traceTo(nil)
	if tl != nil {
		if werr := tl.write(trace); werr != nil && err == nil {
			err = fmt.Errorf("writing the timeline: %w", werr)
		}
	}
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply against the lab failed: %w", err)
	}
	if rep == nil || rep.Status != engine.StatusSucceeded {
		return ApplyResult{}, errors.New("apply against the lab did not succeed")
	}
	res := ApplyResult{Wall: wall, Steps: acc.steps(), Strict: strict, GraphBound: graphBound(steps.All(), actions.actions())}
	res.CriticalPath, _ = criticalPath(steps.All(), actions.actions(), -1, 0)
	for _, s := range res.Steps {
		res.LowerBound += s.Busy
	}
	res.PowerShell, res.SQL = le.count.reset()
	for _, n := range le.lab.Stats().Nodes {
		res.WinRMRequests += n.WinRMRequests
		res.TDSRoundTrips += n.TDSRoundTrips
	}
	return res, nil
}

// stepAccounting turns the lab's run-long busy counters into per-step ones: at each
// barrier (StepFinished) it takes the difference since the previous barrier. The
// engine calls subscribers one at a time, and at a barrier every target of the step
// has returned, so of the next step only its re-detection can be counted in this one:
// the engine starts it once this step's actions are over, and it only reads.
type stepAccounting struct {
	lab *lab.Lab

	mu    sync.Mutex
	last  map[string]time.Duration
	lastT time.Time
	out   []StepTiming
}

func (a *stepAccounting) begin() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = busyByHost(a.lab.Stats())
	a.lastT = time.Now()
	a.out = nil
}

func (a *stepAccounting) event(ev engine.Event) {
	if ev.Kind != engine.StepFinished {
		return
	}
	now := time.Now()
	busy := busyByHost(a.lab.Stats())
	a.mu.Lock()
	defer a.mu.Unlock()
	st := StepTiming{Step: ev.Step, Wall: now.Sub(a.lastT)}
	hosts := make([]string, 0, len(busy))
	for h := range busy {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		if d := busy[h] - a.last[h]; d > st.Busy {
			st.Busy, st.Busiest = d, h
		}
	}
	a.out = append(a.out, st)
	a.last, a.lastT = busy, now
}

func (a *stepAccounting) steps() []StepTiming {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]StepTiming(nil), a.out...)
}

func busyByHost(s lab.Stats) map[string]time.Duration {
	out := make(map[string]time.Duration, len(s.Nodes))
	for h, n := range s.Nodes {
		out[h] = n.Busy
	}
	return out
}

package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ssisha/ssisha/steps"
)

// A run without barriers: every target of every selected step is a job that starts as
// soon as what its step reads (steps.Needs) has been made by the steps before it, and
// each of its actions waits for what that action reads. A fact is made when every
// target of the step that makes it has ended, or, for an early fact, has gone past the
// actions that make it. Steps stay what a person sees: a step
// starts with its first target and finishes with its last, so two steps can run at
// once, and the journal, verification and rollback are per step and target as
// before. At most Parallel targets run at once (waiting for a fact frees the place),
// and one installer runs on a node at a time.

// graphJob is one target of one step.
type graphJob struct {
	si    int // the step's index in the selection
	s     steps.Step
	pt    PlanTarget
	needs stepNeeds
	early map[steps.Fact][]string // the step's early facts and the actions that make them
	res   TargetResult
	held  bool // whether the job holds a place among the Parallel bound

	// passed is the early facts this job has gone past; guarded by graphRun.mu.
	passed map[steps.Fact]bool
}

// need is one fact a job waits for: the whole of selected step si, or only its
// targets' going past the actions that make the early fact.
type need struct {
	si   int
	fact steps.Fact // "" for the whole step
}

// stepNeeds is what a step's jobs wait for.
type stepNeeds struct {
	detect  []need            // before detecting
	all     []need            // before detecting again when blocked
	verify  []need            // before verifying
	actions map[string][]need // before each action, by action ID
}

// graphRun is the state of one run's jobs.
type graphRun struct {
	e     *Engine
	run   *runState
	sel   []steps.Step
	jobs  []*graphJob
	slots chan struct{} // nil: no bound
	// planned is what each target is compared with before it changes anything; with
	// follow, a target that deviates stops the run.
	planned *Plan
	follow  bool
	rep     *Report

	mu        sync.Mutex
	changed   chan struct{}        // closed, and replaced, whenever a job ends
	remaining []int                // per step, its jobs not yet ended
	early     []map[steps.Fact]int // per step, its jobs not yet past each early fact
	started   []bool               // per step, whether StepStarted went out
	actions   map[int]int          // per step ID, the actions of its jobs that have ended
	deviated  error                // why a target that follows the plan stopped the run

	installMu  sync.Mutex
	installers map[string]*sync.Mutex // lower-case host -> its installer
}

// applyGraph runs the selected steps' targets as their needs allow and returns their
// results in the documented order. Each target is compared with planned before it
// changes anything (the deviations go to rep); with follow, one that deviates stops
// the run, and applyGraph returns why.
func (e *Engine) applyGraph(ctx context.Context, run *runState, sel []steps.Step, fresh, planned *Plan, follow bool, rep *Report) ([]TargetResult, error) {
	g := &graphRun{e: e, run: run, sel: sel, changed: make(chan struct{}), actions: map[int]int{}, remaining: make([]int, len(sel)),
		early: make([]map[steps.Fact]int, len(sel)), started: make([]bool, len(sel)), installers: map[string]*sync.Mutex{},
		planned: planned, follow: follow, rep: rep}
	declared := make([]*steps.Needs, len(sel))
	for si, s := range sel {
		if n, ok := s.(steps.Needer); ok {
			d := n.Needs()
			declared[si] = &d
		}
	}
	for si, s := range sel {
		needs := needsOf(si, declared)
		g.early[si] = map[steps.Fact]int{}
		var early map[steps.Fact][]string
		if declared[si] != nil {
			early = declared[si].Early
		}
		for _, pt := range fresh.Steps[si].Targets {
			g.jobs = append(g.jobs, &graphJob{si: si, s: s, pt: pt, needs: needs, early: early, passed: map[steps.Fact]bool{}})
			g.remaining[si]++
			for f := range early {
				g.early[si][f]++
			}
		}
	}
	if bound := e.parallel; bound > 0 && bound < len(g.jobs) {
		g.slots = make(chan struct{}, bound)
	}
	for si, s := range sel {
		if g.remaining[si] == 0 {
			// A step without targets has nothing to wait for.
			e.emit(Event{Kind: StepStarted, RunID: run.id, Step: s.ID(), Title: s.Title()})
			e.emit(Event{Kind: StepFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Status: StatusSucceeded})
		}
	}
	var wg sync.WaitGroup
	for _, j := range g.jobs {
		wg.Go(func() { g.runJob(ctx, j) })
	}
	wg.Wait()
	out := make([]TargetResult, 0, len(g.jobs))
	for _, j := range g.jobs {
		out = append(out, j.res)
	}
	return out, g.deviated
}

// needsOf turns the declared needs of selected step si into the selected steps that
// make them. A step that declares none needs every step before it, as in the
// documented order; a fact no selected step makes is taken as made (a re-run of some
// steps runs only after checkOrder found the steps before them done). Detection and
// verification read only what earlier steps make; an action may also wait for an
// early fact of a later step, which that step makes before anything of it waits for
// this one.
func needsOf(si int, declared []*steps.Needs) stepNeeds {
	makers := func(fs []steps.Fact, later bool) []need {
		var out []need
		for sj, d := range declared {
			if sj == si || d == nil || (sj > si && !later) {
				continue
			}
			for _, f := range fs {
				if _, early := d.Early[f]; early {
					out = append(out, need{si: sj, fact: f})
				} else if d.Makes == f && sj < si {
					out = append(out, need{si: sj})
				}
			}
		}
		return out
	}
	d := declared[si]
	if d == nil {
		all := make([]need, si)
		for sj := range si {
			all[sj] = need{si: sj}
		}
		return stepNeeds{detect: all, all: all, verify: all}
	}
	out := stepNeeds{detect: makers(d.Detect, false), all: makers(d.All(), false), verify: makers(d.Verified(), false),
		actions: map[string][]need{}}
	for id, fs := range d.Actions {
		out.actions[id] = makers(fs, true)
	}
	// A step that needs no fact of some earlier step still runs after the steps
	// that do not declare theirs: nothing says what those make.
	for sj := range si {
		if declared[sj] == nil {
			out.detect = append(out.detect, need{si: sj})
			out.all = append(out.all, need{si: sj})
			out.verify = append(out.verify, need{si: sj})
		}
	}
	return out
}

// runJob waits for the job's step's needs, then detects (again, when the estate has
// changed since the run's first detection), applies and verifies the target.
func (g *graphRun) runJob(ctx context.Context, j *graphJob) {
	e, run := g.e, g.run
	host := j.pt.Target.Host
	started := false
	defer func() { g.end(j, started) }()
	defer g.give(j)
	if !g.await(ctx, j.needs.detect) || !g.take(ctx, j) {
		j.res = TargetResult{Step: j.s.ID(), Title: j.s.Title(), Target: host, Status: StatusCancelled, Note: "not started: " + run.reason()}
		return
	}
	started = true
	g.stepStarted(j)
	pt := j.pt
	if pt.Predicted || pt.WaitsFor != "" || g.otherStepsActed(j.s.ID()) {
		// The plan predicted this target on the estate earlier steps leave, or
		// other steps have changed the estate since: what it has to do is only
		// known now. A step's own actions on its other targets do not count, as
		// with barriers, where a step's targets are all read before it acts.
		pt = g.detect(ctx, j)
	}
	if (pt.Err != "" || pt.Detection.State == steps.StateBlocked) && !g.made(j.needs.all) {
		// Blocked (or unreadable) for want of what an earlier step has yet to make:
		// detect again once it is made.
		g.give(j)
		if ok := g.await(ctx, j.needs.all) && g.take(ctx, j); !ok {
			j.res = TargetResult{Step: j.s.ID(), Title: j.s.Title(), Target: host, Status: StatusCancelled, Note: "not started: " + run.reason()}
			e.emit(Event{Kind: TargetFinished, RunID: run.id, Step: j.s.ID(), Title: j.s.Title(), Target: host, Status: StatusCancelled, Message: j.res.Note})
			return
		}
		pt = g.detect(ctx, j)
	}
	if j.pt.Predicted && pt.Err == "" {
		// The run's first look left this target's interrupted actions for when it is
		// detected as it is, which is now.
		if err := g.resumeTarget(j, pt); err != nil {
			run.fail(fmt.Sprintf("step %d on %s: the journal cannot record what resuming found", j.s.ID(), host))
			j.res = TargetResult{Step: j.s.ID(), Title: j.s.Title(), Target: host, Status: StatusFailed, Err: e.redact(err.Error()), err: err}
			e.emit(Event{Kind: TargetFinished, RunID: run.id, Step: j.s.ID(), Title: j.s.Title(), Target: host, Status: StatusFailed, Error: j.res.Err})
			return
		}
	}
	if !g.followsPlan(j, pt) {
		j.res = TargetResult{Step: j.s.ID(), Title: j.s.Title(), Target: host, Status: StatusCancelled, Note: "not started: " + run.reason()}
		e.emit(Event{Kind: TargetFinished, RunID: run.id, Step: j.s.ID(), Title: j.s.Title(), Target: host, Status: StatusCancelled, Message: j.res.Note})
		return
	}
	// Once its actions are over, the target has gone past every early fact.
	j.res, _ = e.applyTarget(ctx, run, j.s, pt, func(bool) { g.pass(j, nil) }, g.gate(j, pt.Detection.Actions))
}

// resumeTarget settles the actions an earlier run left open on j's target, against
// its detection pt, as resume does for the targets the run's first look detected.
func (g *graphRun) resumeTarget(j *graphJob, pt PlanTarget) error {
	return g.e.resumeDetected(g.run, PlanStep{ID: j.s.ID(), Title: j.s.Title(), Targets: []PlanTarget{pt}})
}

// followsPlan compares the target as detected now with the plan, records the
// deviations, and reports whether the target may go on: not when the run follows the
// plan and the target deviates from it.
func (g *graphRun) followsPlan(j *graphJob, pt PlanTarget) bool {
	det := PlanStep{ID: j.s.ID(), Title: j.s.Title(), Scope: j.s.Scope().String(), Targets: []PlanTarget{pt}}
	devs := g.e.compareWithPlan(g.run, g.planned, det)
	if len(devs) == 0 {
		return true
	}
	g.mu.Lock()
	g.rep.Deviations = append(g.rep.Deviations, devs...)
	stop := g.follow && g.deviated == nil
	if stop {
		g.deviated = deviationError(devs)
	}
	g.mu.Unlock()
	if !g.follow {
		return true
	}
	if stop {
		g.run.fail(fmt.Sprintf("step %d on %s differs from the reviewed plan", j.s.ID(), j.pt.Target.Host))
	}
	return false
}

// detect reads the job's target again, as it is now.
func (g *graphRun) detect(ctx context.Context, j *graphJob) PlanTarget {
	pt := PlanTarget{Target: j.pt.Target}
	g.e.detectOne(ctx, g.run.id, g.run.env, j.s, &pt)
	return pt
}

// gate is what the job's actions (acts, in the order they run) and verification wait
// for.
func (g *graphRun) gate(j *graphJob, acts []steps.Action) *jobGate {
	return &jobGate{g: g, j: j, acts: acts}
}

// jobGate holds an action back until what it reads is made, and, for an installer,
// until the node's installer is free. It tells the run which early facts the job
// has gone past.
type jobGate struct {
	g    *graphRun
	j    *graphJob
	acts []steps.Action
	next int // the index in acts of the next action to enter
}

// enter waits before action a; it returns false when the run stopped meanwhile, and
// otherwise a function to call once the action has ended.
func (jg *jobGate) enter(ctx context.Context, a steps.Action) (func(), bool) {
	if jg == nil {
		return func() {}, true
	}
	g := jg.g
	i := min(jg.next, len(jg.acts))
	jg.next++
	// An early fact none of whose makers is among the actions left (this one
	// included) has been made by this target, or did not need to be.
	g.pass(jg.j, jg.acts[i:])
	if need := jg.j.needs.actions[a.ID]; !g.made(need) {
		g.give(jg.j)
		if ok := g.await(ctx, need) && g.take(ctx, jg.j); !ok {
			return nil, false
		}
	}
	rest := jg.acts[min(i+1, len(jg.acts)):]
	done := func() {
		g.mu.Lock()
		g.actions[jg.j.s.ID()]++
		g.mu.Unlock()
		g.pass(jg.j, rest)
	}
	typ, ok := steps.FindAction(jg.j.s, a.ID)
	if !ok || !typ.Info().Installer {
		return done, true
	}
	mu := g.installer(jg.j.pt.Target.Host)
	mu.Lock()
	return func() { mu.Unlock(); done() }, true
}

// verify waits until everything the step reads is made; false when the run stopped.
func (jg *jobGate) verify(ctx context.Context) bool {
	if jg == nil {
		return true
	}
	g := jg.g
	if g.made(jg.j.needs.verify) {
		return true
	}
	g.give(jg.j)
	return g.await(ctx, jg.j.needs.verify) && g.take(ctx, jg.j)
}

// pass records that job j has gone past every early fact of its step that none of
// rest (the actions it has yet to run; nil once it has ended them) makes, and wakes
// the jobs waiting.
func (g *graphRun) pass(j *graphJob, rest []steps.Action) {
	g.mu.Lock()
	defer g.mu.Unlock()
	woke := false
	for f, ids := range j.early {
		if j.passed[f] || slices.ContainsFunc(rest, func(a steps.Action) bool { return slices.Contains(ids, a.ID) }) {
			continue
		}
		j.passed[f] = true
		g.early[j.si][f]--
		woke = true
	}
	if woke {
		close(g.changed)
		g.changed = make(chan struct{})
	}
}

func (g *graphRun) installer(host string) *sync.Mutex {
	g.installMu.Lock()
	defer g.installMu.Unlock()
	k := strings.ToLower(host)
	if g.installers[k] == nil {
		g.installers[k] = &sync.Mutex{}
	}
	return g.installers[k]
}

// otherStepsActed reports whether an action of a step other than step has ended in
// this run.
func (g *graphRun) otherStepsActed(step int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, n := range g.actions {
		if id != step && n > 0 {
			return true
		}
	}
	return false
}

// made reports whether every fact in needs is made.
func (g *graphRun) made(needs []need) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.madeLocked(needs)
}

// madeLocked is made with g.mu held.
func (g *graphRun) madeLocked(needs []need) bool {
	for _, n := range needs {
		if g.remaining[n.si] > 0 && (n.fact == "" || g.early[n.si][n.fact] > 0) {
			return false
		}
	}
	return true
}

// await waits until every fact in needs is made; false when the run stopped (a
// failure, the user, or ctx) first.
func (g *graphRun) await(ctx context.Context, needs []need) bool {
	for {
		if g.run.stop.Load() || ctx.Err() != nil {
			return false
		}
		g.mu.Lock()
		ch, ok := g.changed, g.madeLocked(needs)
		g.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// take waits for a place among the Parallel bound for j; false when the run stopped
// first.
func (g *graphRun) take(ctx context.Context, j *graphJob) bool {
	if g.slots != nil {
		select {
		case g.slots <- struct{}{}:
			j.held = true
		case <-ctx.Done():
			return false
		}
	}
	if g.run.stop.Load() || ctx.Err() != nil {
		g.give(j)
		return false
	}
	return true
}

// give frees j's place, so that a job can run while j waits.
func (g *graphRun) give(j *graphJob) {
	if j.held {
		<-g.slots
		j.held = false
	}
}

func (g *graphRun) stepStarted(j *graphJob) {
	g.mu.Lock()
	first := !g.started[j.si]
	g.started[j.si] = true
	g.mu.Unlock()
	if first {
		g.e.emit(Event{Kind: StepStarted, RunID: g.run.id, Step: j.s.ID(), Title: j.s.Title()})
	}
}

// end records that job j has ended, wakes the jobs waiting, and finishes its step
// when it was the step's last job.
func (g *graphRun) end(j *graphJob, started bool) {
	e, run := g.e, g.run
	g.pass(j, nil)
	g.mu.Lock()
	g.remaining[j.si]--
	last := g.remaining[j.si] == 0
	stepStarted := g.started[j.si]
	close(g.changed)
	g.changed = make(chan struct{})
	g.mu.Unlock()
	if !started && stepStarted {
		e.emit(Event{Kind: TargetFinished, RunID: run.id, Step: j.s.ID(), Title: j.s.Title(), Target: j.pt.Target.Host, Status: StatusCancelled, Message: j.res.Note})
	}
	if !last {
		return
	}
	if !stepStarted {
		note := "not started: " + run.reason()
		e.emit(Event{Kind: StepFinished, RunID: run.id, Step: j.s.ID(), Title: j.s.Title(), Status: StatusCancelled, Message: note})
		return
	}
	status := StatusSucceeded
	for _, o := range g.jobs {
		if o.si != j.si {
			continue
		}
		if o.res.Status == StatusFailed || o.res.Status == StatusBlocked {
			status = StatusFailed
		} else if o.res.Status == StatusCancelled && status != StatusFailed {
			status = StatusCancelled
		}
	}
	e.emit(Event{Kind: StepFinished, RunID: run.id, Step: j.s.ID(), Title: j.s.Title(), Status: status})
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// Apply runs the steps of p (or those in only, or all) in order, with a barrier
// between steps and each step's targets in parallel within the Parallel bound. It
// first re-detects; when p is not nil and the estate no longer matches its
// fingerprint it refuses with a *StalePlanError. A failure on one target stops new
// work (no new targets, no next step) and lets running targets finish. The Report
// says per target what happened; the error, when not nil, joins a *TargetError per
// failed target.
func (e *Engine) Apply(ctx context.Context, p *Plan, only []int) (*Report, error) {
	return e.ApplyWith(ctx, p, only, ApplyOptions{})
}

// ApplyOptions changes one Apply call; the CLI maps its flags onto it.
type ApplyOptions struct {
	// AllowOutOfOrder runs the named steps even when an earlier step is not done
	// (`apply --out-of-order`); Options.AllowOutOfOrder sets it for every call.
	AllowOutOfOrder bool
	// Stop, when closed, ends the run gracefully: the actions running finish, nothing
	// new starts, and the journal is left ready to resume (the wizard's pause and
	// quit, a dropped terminal).
	Stop <-chan struct{}
	// FollowPlan stops the run, before the next step changes anything, when what that
	// step has to do differs from the plan beyond its placeholders (`apply --bundle`:
	// the reviewed scripts are the ones that run). Without it deviations are only
	// reported.
	FollowPlan bool
	// SkippedChecks names the failed preflight checks the user chose to skip
	// (--skip-check); the run's start record keeps them.
	SkippedChecks []string
}

// ApplyWith is Apply with per-call options.
func (e *Engine) ApplyWith(ctx context.Context, p *Plan, only []int, o ApplyOptions) (*Report, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if e.journal == nil {
		return nil, errors.New("apply needs a journal to record what it changes; this is a wiring error in ssisha")
	}
	if len(only) == 0 && p != nil {
		for _, s := range p.Steps {
			only = append(only, s.ID)
		}
	}
	sel, err := e.selectSteps(only)
	if err != nil {
		return nil, err
	}
	run := &runState{id: newRunID(e.now()), env: e.runEnv()}
	if o.Stop != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-o.Stop:
				run.halt.Store(true)
				run.fail("stopped by the user after the running actions")
			case <-done:
			}
		}()
	}
	e.emit(Event{Kind: RunStarted, RunID: run.id, Mode: "apply"})
	if err := e.journal.write(Record{Time: e.now(), RunID: run.id, Kind: KindRunStart, Summary: "apply", SkippedChecks: o.SkippedChecks}); err != nil {
		return e.finish(run, "apply", nil, err)
	}
	if len(only) > 0 && !e.anyOrder && !o.AllowOutOfOrder {
		if err := e.checkOrder(ctx, run.id, sel); err != nil {
			return e.finish(run, "apply", nil, err)
		}
	}
	// A killed run's long actions may still be running on their nodes (inflight.go).
	run.waited, _ = e.awaitInFlight(ctx, run.id)
	fresh := e.planFor(ctx, run.id, p, sel)
	if err := ctx.Err(); err != nil {
		return e.finish(run, "apply", nil, fmt.Errorf("apply was cancelled before it changed anything: %w", err))
	}
	// One read of the journal serves both: resume writes only results that are not
	// failures, and adoptFailed looks only at failures and intents.
	recs, err := e.journal.Records()
	if err != nil {
		return e.finish(run, "apply", nil, err)
	}
	resumed, err := e.resume(run.id, pending(recs), fresh, run.waited)
	if err != nil {
		return e.finish(run, "apply", nil, err)
	}
	run.carried.load(append(recs, resumed...))
	if err := e.adoptFailed(run.id, recs, fresh); err != nil {
		return e.finish(run, "apply", nil, err)
	}
	if p != nil && planFingerprint(p, len(only) > 0 && len(only) < len(p.Steps), sel) != fresh.Fingerprint {
		changes := diffPlans(subsetPlan(p, sel), fresh)
		if len(changes) == 0 {
			changes = []string{"the steps differ from the plan's"}
		}
		return e.finish(run, "apply", nil, &StalePlanError{Changes: changes})
	}

	rep := &Report{RunID: run.id}
	// planned is what each step is compared with as its turn comes.
	planned := p
	if planned == nil {
		planned = fresh
	}
	var deviated error
	if e.strict || e.parallel == 1 {
		rep.Results, deviated = e.applyInOrder(ctx, run, sel, fresh, planned, o.FollowPlan, rep)
	} else {
		rep.Results, deviated = e.applyGraph(ctx, run, sel, fresh, planned, o.FollowPlan, rep)
	}
	if deviated != nil {
		return e.finish(run, "apply", rep, deviated)
	}
	return e.finish(run, "apply", rep, ctx.Err())
}

// applyInOrder runs the selected steps in the documented order, with a barrier between
// steps: `--order strict`, and `--parallel 1`, where one action runs at a time. It
// compares each step with planned as its turn comes (adding the deviations to rep)
// and, when follow, stops before a step that deviates, returning why.
func (e *Engine) applyInOrder(ctx context.Context, run *runState, sel []steps.Step, fresh, planned *Plan, follow bool, rep *Report) ([]TargetResult, error) {
	var out []TargetResult
	var deviated error
	dirty := false
	// next is the re-detection of the step after the current one, started as soon as
	// every target of the current step has ended its actions.
	var next *redetection
	for i, s := range sel {
		pre := next
		next = nil
		if run.stop.Load() || ctx.Err() != nil {
			// Nothing of the run may be emitted after it finished.
			pre.wait()
			out = append(out, e.notStarted(s, run)...)
			continue
		}
		det := fresh.Steps[i]
		switch {
		case pre != nil:
			det = pre.wait()
		case dirty || det.Predicted():
			// Earlier steps changed the estate (or the plan only predicted what they
			// leave), so what this step has to do is only known now.
			det = e.detect(ctx, run.id, []steps.Step{s}).Steps[0]
		}
		if devs := e.compareWithPlan(run, planned, det); len(devs) > 0 {
			rep.Deviations = append(rep.Deviations, devs...)
			if follow {
				deviated = deviationError(devs)
				run.fail(fmt.Sprintf("step %d differs from the reviewed plan", s.ID()))
				out = append(out, e.notStarted(s, run)...)
				continue
			}
		}
		var following steps.Step
		if i+1 < len(sel) {
			following = sel[i+1]
		}
		actionsEnded := func(changed bool) {
			// The step's changes are all made: what remains before the barrier is
			// Verify, which only reads, and the estate holds still until the next
			// step starts. From now on the verifications that start and the next
			// step's detection read one moment of the estate, so they share their
			// reads. Detecting the next step now reads the estate it will find,
			// while the verifications run; the next step still starts only after
			// the barrier, and not at all when a verification fails.
			settled := &settledReads{step: s.ID(), cache: steps.NewReadCache()}
			run.settled.Store(settled)
			if following != nil && (dirty || changed) && !run.stop.Load() && ctx.Err() == nil {
				next = e.startRedetection(ctx, run.id, following, settled.cache)
			}
		}
		results, changed := e.applyStep(ctx, run, s, det, actionsEnded)
		run.settled.Store(nil)
		dirty = dirty || changed
		out = append(out, results...)
	}
	next.wait()
	return out, deviated
}

// redetection is one step's Detect running in the background.
type redetection struct {
	done chan struct{}
	det  PlanStep
}

func (e *Engine) startRedetection(ctx context.Context, runID string, s steps.Step, cache *steps.ReadCache) *redetection {
	r := &redetection{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.det = e.detectWith(ctx, runID, []steps.Step{s}, cache).Steps[0]
	}()
	return r
}

// settledReads are the reads shared, between the end of a step's actions and its
// barrier, by the verifications that start then and the next step's detection.
type settledReads struct {
	step  int
	cache *steps.ReadCache
}

// wait returns the detection once it has ended; a nil r waits for nothing.
func (r *redetection) wait() PlanStep {
	if r == nil {
		return PlanStep{}
	}
	<-r.done
	return r.det
}

// runState is shared by the targets of one run.
type runState struct {
	id   string
	env  *steps.Env
	stop atomic.Bool // a target failed: start nothing new
	halt atomic.Bool // the user stopped the run: not even a running target's next action
	// waited says which interrupted actions the run found still running on their
	// nodes and waited for, by intent; set before any target starts.
	waited map[string]string
	// carried is what interrupted runs of an action that runs again may have made.
	carried carryover
	// settled is set once the running step's actions have all ended.
	settled atomic.Pointer[settledReads]
	// why names the first failure, for the targets that never started.
	whyMu sync.Mutex
	why   string
}

func (r *runState) fail(why string) {
	r.whyMu.Lock()
	if r.why == "" {
		r.why = why
	}
	r.whyMu.Unlock()
	r.stop.Store(true)
}

func (r *runState) reason() string {
	r.whyMu.Lock()
	defer r.whyMu.Unlock()
	if r.why == "" {
		return "the run was cancelled"
	}
	return r.why
}

// finish computes the run's status, emits RunFinished, records the end and builds
// the error the caller returns.
func (e *Engine) finish(run *runState, mode string, rep *Report, err error) (*Report, error) {
	status := StatusSucceeded
	var failures []error
	if rep != nil {
		for _, t := range rep.Results {
			switch t.Status {
			case StatusFailed, StatusBlocked:
				status = StatusFailed
				if t.err != nil {
					failures = append(failures, e.redactor().RedactError(t.err))
				}
			case StatusCancelled:
				// A run stopped by the user (or cancelled) before all its targets ran
				// did not succeed: the journal says so, and the next start offers
				// to resume it.
				if status == StatusSucceeded {
					status = StatusCancelled
				}
			}
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			if status != StatusFailed {
				status = StatusCancelled
			}
			failures = append(failures, fmt.Errorf("%s was cancelled: %w", mode, err))
		} else {
			status = StatusFailed
			failures = append([]error{e.redactor().RedactError(err)}, failures...)
		}
	}
	if rep != nil {
		rep.Status = status
	}
	out := errors.Join(failures...)
	msg := ""
	if out != nil {
		msg = out.Error()
	}
	if e.journal != nil {
		_ = e.journal.write(Record{Time: e.now(), RunID: run.id, Kind: KindRunEnd, Summary: mode, Status: status, Error: msg})
	}
	ev := Event{Kind: RunFinished, RunID: run.id, Mode: mode, Status: status, Error: msg}
	if rep != nil {
		ev.Message = rep.Recap()
	}
	e.emit(ev)
	return rep, out
}

// notStarted reports the targets of a step the run never reached.
func (e *Engine) notStarted(s steps.Step, run *runState) []TargetResult {
	var out []TargetResult
	note := "not started: " + run.reason()
	for _, t := range e.targets(s) {
		out = append(out, TargetResult{Step: s.ID(), Title: s.Title(), Target: t.Host, Status: StatusCancelled, Note: note})
	}
	e.emit(Event{Kind: StepFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Status: StatusCancelled, Message: note})
	return out
}

// applyStep runs one step on all its targets and waits for all of them: the barrier.
// actionsEnded, when not nil, is called once, when the last target has ended its
// actions (whether or not it still verifies), with whether any action ran.
func (e *Engine) applyStep(ctx context.Context, run *runState, s steps.Step, det PlanStep, actionsEnded func(changed bool)) ([]TargetResult, bool) {
	e.emit(Event{Kind: StepStarted, RunID: run.id, Step: s.ID(), Title: s.Title()})
	results := make([]TargetResult, len(det.Targets))
	var changed atomic.Bool
	var remaining atomic.Int64
	remaining.Store(int64(len(det.Targets)))
	ended := func(did bool) {
		if did {
			changed.Store(true)
		}
		if remaining.Add(-1) == 0 && actionsEnded != nil {
			actionsEnded(changed.Load())
		}
	}
	e.fanOut(ctx, len(det.Targets), run.stop.Load, func(i int) {
		tr, did := e.applyTarget(ctx, run, s, det.Targets[i], ended, nil)
		if did {
			changed.Store(true)
		}
		results[i] = tr
	}, func(i int) {
		ended(false)
		host := det.Targets[i].Target.Host
		results[i] = TargetResult{Step: s.ID(), Title: s.Title(), Target: host, Status: StatusCancelled, Note: "not started: " + run.reason()}
		e.emit(Event{Kind: TargetFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: host, Status: StatusCancelled, Message: results[i].Note})
	})
	status := StatusSucceeded
	for _, r := range results {
		if r.Status == StatusFailed || r.Status == StatusBlocked {
			status = StatusFailed
		} else if r.Status == StatusCancelled && status != StatusFailed {
			status = StatusCancelled
		}
	}
	e.emit(Event{Kind: StepFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Status: status})
	return results, changed.Load()
}

// applyTarget runs the actions Detect listed for one target, then verifies it. It
// reports whether any action ran, and tells ended so too as soon as the actions are
// over, before verifying. gate, when not nil, holds each action and the verification
// back until what they read is made (a run without barriers).
func (e *Engine) applyTarget(ctx context.Context, run *runState, s steps.Step, pt PlanTarget, ended func(did bool), gate *jobGate) (TargetResult, bool) {
	host := pt.Target.Host
	start := time.Now()
	tr := TargetResult{Step: s.ID(), Title: s.Title(), Target: host}
	e.emit(Event{Kind: TargetStarted, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: host})
	did := false
	fail := func(action string, err error, fix string) {
		if fix == "" {
			fix = genericFix(s.ID())
		}
		fix = e.redact(fix)
		te := &TargetError{Step: s.ID(), Title: s.Title(), Target: host, Action: action, Err: err, Fix: fix}
		tr.Status, tr.Err, tr.Fix, tr.err = StatusFailed, e.redact(te.Error()), e.redact(fix), te
		run.fail(fmt.Sprintf("step %d failed on %s", s.ID(), host))
	}
	d := pt.Detection
	told := false // whether ended has heard of this target
	switch {
	case pt.Err != "":
		fail("", fmt.Errorf("detection failed: %s", pt.Err), "")
	case d.State == steps.StateDone:
		tr.Status, tr.Note = StatusSkipped, "already done"
	case d.State == steps.StateBlocked:
		fail("", errors.New(orText(d.Reason, "the step is blocked")), d.Fix)
		tr.Status = StatusBlocked
	default:
		for _, a := range d.Actions {
			if err := ctx.Err(); err != nil {
				tr.Status, tr.Note = StatusCancelled, "cancelled before "+a.Summary
				break
			}
			if run.halt.Load() {
				tr.Status, tr.Note = StatusCancelled, "stopped by the user before "+a.Summary
				break
			}
			release, ok := gate.enter(ctx, a)
			if !ok {
				tr.Status, tr.Note = StatusCancelled, "not run: "+run.reason()+", before "+a.Summary
				break
			}
			ar, err := e.applyAction(ctx, run, s, pt.Target, a)
			release()
			tr.Actions = append(tr.Actions, ar)
			if ar.Status == StatusSucceeded || err != nil {
				did = true
			}
			if err != nil {
				fail(a.Summary, err, d.Fix)
				if ctx.Err() != nil {
					tr.Status = StatusCancelled
				}
				break
			}
		}
		ended(did)
		told = true
		switch {
		case tr.Status != "":
		case !gate.verify(ctx):
			tr.Status, tr.Note = StatusCancelled, "not verified: "+run.reason()
		default:
			e.verifyTarget(ctx, run, s, pt.Target, &tr, fail)
		}
	}
	if !told {
		ended(did)
	}
	if tr.Status == "" {
		tr.Status = StatusSucceeded
	}
	tr.Duration = time.Since(start)
	e.emit(Event{Kind: TargetFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: host,
		Status: tr.Status, Error: tr.Err, Fix: tr.Fix, Message: tr.Note, Elapsed: tr.Duration})
	return tr, did
}

// verifyTarget reads the outcome back after the actions; a Failed check fails the
// target with the check's own fix.
func (e *Engine) verifyTarget(ctx context.Context, run *runState, s steps.Step, t steps.Target, tr *TargetResult, fail func(string, error, string)) {
	env := run.env
	if st := run.settled.Load(); st != nil && st.step == s.ID() {
		// Every change of the step was made before this verification started.
		shared := *run.env
		shared.Reads = st.cache
		env = &shared
	}
	checks, err := s.Verify(ctx, env, t)
	if err != nil {
		fail("", fmt.Errorf("verification could not run: %w", e.redactor().RedactError(err)), "")
		return
	}
	for _, c := range checks {
		e.emit(Event{Kind: CheckFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: t.Host,
			Check: &CheckResult{Name: c.Name, Status: string(c.Status), Detail: c.Detail, Fix: c.Fix}})
	}
	for _, c := range checks {
		if c.Status == steps.CheckFailed {
			fail("", fmt.Errorf("verification failed: %s: %s", e.redact(c.Name), e.redact(orText(c.Detail, "no detail"))), c.Fix)
			return
		}
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// One change on one node, framed by the journal: its intent on disk before the remote
// call, its result after it. Apply and rollback both go through journaledCall and
// recordResult, so every change and every undo is recorded the same way.

// applyAction journals the intent, runs the action, and journals the result with what
// undo needs. The intent is on disk before the remote call starts.
func (e *Engine) applyAction(ctx context.Context, run *runState, s steps.Step, t steps.Target, a steps.Action) (ActionResult, error) {
	ar := ActionResult{ID: a.ID, Summary: a.Summary}
	// A long script leaves a marker naming this intent on the node while it runs, so
	// that a run resuming after this one dies can find it there (inflight.go).
	a = steps.WithInflightMarker(a, steps.InflightMarker{RunID: run.id, Step: s.ID(), Action: a.ID})
	base := Record{RunID: run.id, Step: s.ID(), Target: t.Host, Role: t.Role, Action: a.ID, Summary: a.Summary, Irreversible: a.Irreversible}
	intent := base
	// The hint is on disk with the intent, so that a run that dies before the result
	// still leaves rollback what it needs (see resume).
	intent.Kind, intent.Undo = KindIntent, a.UndoHint
	// An interrupted run of this action may have made part of its change: the intent
	// and the result keep that too, so that rollback, or a resume after this run dies
	// as well, knows of it.
	carried := run.carried.hint(s.ID(), t.Host, a.ID)
	absorb := func(u steps.Undo) steps.Undo { return u }
	if typ, ok := steps.FindAction(s, a.ID); ok && len(carried) > 0 {
		absorb = func(u steps.Undo) steps.Undo { return typ.Absorbed(carried, u) }
	}
	intent.Undo = absorb(intent.Undo)
	var scripts []string
	for _, c := range a.Commands {
		scripts = append(scripts, c.Display())
	}
	started := Event{Kind: ActionStarted, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: t.Host,
		Action: a.ID, Summary: a.Summary, Script: strings.Join(scripts, "\n")}
	var undo steps.Undo
	err := e.journaledCall(run, &ar, intent, started, func() (err error) {
		undo, err = applyDeclared(ctx, run.env, s, t, a)
		return err
	})
	if errors.Is(err, errNotStarted) {
		return ar, err
	}
	result := base
	result.Kind, result.Undo = KindResult, absorb(undo)
	if err != nil {
		result.Status, result.Error = StatusFailed, err.Error()
		ar.Status, ar.Err = StatusFailed, err.Error()
	} else {
		result.Status, ar.Status = StatusSucceeded, StatusSucceeded
	}
	// The change happened but rollback will not know of it; say so rather than carry
	// on as if the record were safe.
	return ar, e.recordResult(run, s, t, result, &ar, err, "the action ran but its result could not be journaled, so rollback cannot undo it")
}

// errNotStarted marks a change that never started because its intent could not be
// journaled.
var errNotStarted = errors.New("not started, because the journal cannot record it")

// journaledCall is the part of a change, or of its undo, that the journal frames: the
// intent on disk before anything starts, then call, announced by started, marked as
// what runs on the target, watched by the heartbeat and timed in ar.Duration. It
// returns call's error, redacted, or errNotStarted (wrapped) when the intent could
// not be written, with ar failed.
func (e *Engine) journaledCall(run *runState, ar *ActionResult, intent Record, started Event, call func() error) error {
	intent.Time = e.now()
	if err := e.journal.write(intent); err != nil {
		ar.Status, ar.Err = StatusFailed, e.redact(err.Error())
		return fmt.Errorf("%w: %w", errNotStarted, err)
	}
	e.setRunning(started.Target, running{step: started.Step, action: started.Action, runID: run.id})
	e.emit(started)
	start := time.Now()
	stopBeat := e.heartbeat(started)
	err := call()
	stopBeat()
	ar.Duration = time.Since(start)
	e.setRunning(started.Target, running{})
	return e.redactor().RedactError(err)
}

// recordResult journals the result of a change or of its undo, then announces the
// action's end. A result that cannot be written fails an action that succeeded:
// lost says what that costs.
func (e *Engine) recordResult(run *runState, s steps.Step, t steps.Target, result Record, ar *ActionResult, err error, lost string) error {
	result.Time = e.now()
	if jerr := e.journal.write(result); jerr != nil && err == nil {
		ar.Status, ar.Err = StatusFailed, e.redact(jerr.Error())
		err = fmt.Errorf("%s: %w", lost, jerr)
	}
	e.emit(Event{Kind: ActionFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: t.Host,
		Action: result.Action, Summary: ar.Summary, Status: ar.Status, Error: ar.Err, Elapsed: ar.Duration})
	return err
}

func orText(s, alt string) string {
	if strings.TrimSpace(s) == "" {
		return alt
	}
	return s
}

// applyDeclared applies a through the action its step declares under a's ID. Detect
// builds every action from that declaration, so a miss means a plan written by another
// version of ssisha.
func applyDeclared(ctx context.Context, env *steps.Env, s steps.Step, t steps.Target, a steps.Action) (steps.Undo, error) {
	typ, ok := steps.FindAction(s, a.ID)
	if !ok {
		return nil, fmt.Errorf("step %d does not declare the action %q (%s) that the plan lists; make a new plan with this version of ssisha", s.ID(), a.ID, a.Summary)
	}
	return typ.Apply(ctx, env, t, a)
}

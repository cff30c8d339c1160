package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// Rollback undoes what runs applied, as the journal recorded it: the steps in only (or
// all), newest step first, each target's actions newest first, a step's targets in
// parallel. Irreversible actions are skipped and reported with their reason. A failed
// undo stops the steps below it, as a failed apply stops the steps above.
func (e *Engine) Rollback(ctx context.Context, only []int) (*Report, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	if e.journal == nil {
		return nil, errors.New("rollback needs the journal of earlier runs; this is a wiring error in ssisha")
	}
	sel, err := e.selectSteps(only)
	if err != nil {
		return nil, err
	}
	recs, err := e.journal.Records()
	if err != nil {
		return nil, err
	}
	run := &runState{id: newRunID(e.now()), env: e.runEnv()}
	e.emit(Event{Kind: RunStarted, RunID: run.id, Mode: "rollback"})
	if err := e.journal.write(Record{Time: e.now(), RunID: run.id, Kind: KindRunStart, Summary: "rollback"}); err != nil {
		return e.finish(run, "rollback", nil, err)
	}
	if len(only) > 0 && !e.anyOrder {
		if err := e.checkUndoOrder(recs, sel); err != nil {
			return e.finish(run, "rollback", nil, err)
		}
	}
	rep := &Report{RunID: run.id}
	for _, s := range slices.Backward(sel) {
		if run.stop.Load() || ctx.Err() != nil {
			note := "not undone: " + run.reason()
			rep.Results = append(rep.Results, TargetResult{Step: s.ID(), Title: s.Title(), Status: StatusCancelled, Note: note})
			e.emit(Event{Kind: StepFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Status: StatusCancelled, Message: note})
			continue
		}
		rep.Results = append(rep.Results, e.undoStep(ctx, run, recs, s)...)
	}
	return e.finish(run, "rollback", rep, ctx.Err())
}

// undoStep undoes one step on every target the journal says it changed.
func (e *Engine) undoStep(ctx context.Context, run *runState, recs []Record, s steps.Step) []TargetResult {
	e.emit(Event{Kind: StepStarted, RunID: run.id, Step: s.ID(), Title: s.Title()})
	var targets []steps.Target
	byHost := map[string][]Record{}
	// undoable is newest first; targets are listed in the order they were first changed.
	all := undoable(recs, s.ID(), "", true)
	for _, r := range slices.Backward(all) {
		k := strings.ToLower(r.Target)
		if _, ok := byHost[k]; !ok {
			targets = append(targets, steps.Target{Host: r.Target, Role: r.Role})
		}
		byHost[k] = append([]Record{r}, byHost[k]...)
	}
	// A target whose only records are failures may still hold their changes.
	suspects := leftovers(recs, s.ID())
	for _, r := range recs {
		k := strings.ToLower(r.Target)
		if _, ok := byHost[k]; !ok && r.Step == s.ID() && len(suspects[k]) > 0 {
			targets = append(targets, steps.Target{Host: r.Target, Role: r.Role})
			byHost[k] = nil
		}
	}
	// Undo in the reverse of the order apply started the targets (the answers' order),
	// so that with a parallel bound a target that waited for others during apply (step
	// 1's cluster waits for every node's feature) is undone before them; nodes no longer
	// in the answers come last, in journal order.
	rank := map[string]int{}
	for i, t := range e.targets(s) {
		rank[strings.ToLower(t.Host)] = i + 1
	}
	slices.SortStableFunc(targets, func(a, b steps.Target) int {
		ra, rb := rank[strings.ToLower(a.Host)], rank[strings.ToLower(b.Host)]
		switch {
		case ra == 0 && rb == 0:
			return 0
		case ra == 0:
			return 1
		case rb == 0:
			return -1
		}
		return rb - ra
	})
	if len(targets) == 0 {
		note := "nothing recorded to undo"
		e.emit(Event{Kind: StepFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Status: StatusSkipped, Message: note})
		return []TargetResult{{Step: s.ID(), Title: s.Title(), Status: StatusSkipped, Note: note}}
	}
	results := make([]TargetResult, len(targets))
	bound := e.parallel
	if su, ok := s.(steps.SerialUndo); ok && su.UndoOneAtATime() {
		bound = 1
	}
	e.fanOutBounded(ctx, len(targets), bound, run.stop.Load, func(i int) {
		k := strings.ToLower(targets[i].Host)
		results[i] = e.undoTarget(ctx, run, s, targets[i], byHost[k], suspects[k])
	}, func(i int) {
		results[i] = TargetResult{Step: s.ID(), Title: s.Title(), Target: targets[i].Host, Status: StatusCancelled, Note: "not undone: " + run.reason()}
	})
	status := StatusUndone
	for _, r := range results {
		if r.Status == StatusFailed {
			status = StatusFailed
		}
	}
	e.emit(Event{Kind: StepFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Status: status})
	return results
}

// undoTarget first checks that none of suspect (actions that failed or were
// interrupted, see leftover.go) left its change on the node, then reverses the
// target's applied actions, newest first. A target is reported undone only when all of it was: an action
// skipped for a reason other than its being irreversible by design, or a change still
// found, fails it.
func (e *Engine) undoTarget(ctx context.Context, run *runState, s steps.Step, t steps.Target, recs, suspect []Record) TargetResult {
	start := time.Now()
	tr := TargetResult{Step: s.ID(), Title: s.Title(), Target: t.Host}
	e.emit(Event{Kind: TargetStarted, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: t.Host})
	// Checked before anything of the target is undone: undoing the rest around a
	// change that stays (a certificate removed under a master still installed) would
	// leave the node worse than either state.
	if left, unsure := e.stillThere(ctx, run, s, t, suspect); len(left) > 0 {
		te := leftError(s, t, left)
		tr.Status, tr.Err, tr.Fix, tr.err = StatusFailed, e.redact(te.Error()), e.redact(te.Fix), te
		run.fail(fmt.Sprintf("step %d on %s holds changes rollback has no record of", s.ID(), t.Host))
		recs = nil
	} else if unsure != "" {
		tr.Note = "could not check that the failed actions left nothing behind: " + unsure
	}
	undone, skipped := 0, 0
	var byHand []string
	for _, rec := range recs {
		if ctx.Err() != nil {
			tr.Status, tr.Note = StatusCancelled, "cancelled before undoing "+rec.Summary
			break
		}
		ar, err := e.undoAction(ctx, run, s, t, rec)
		tr.Actions = append(tr.Actions, ar)
		switch {
		case err != nil:
			te := &TargetError{Step: s.ID(), Title: s.Title(), Target: t.Host, Action: "undo of " + rec.Summary, Err: err,
				Fix: fmt.Sprintf("fix the cause, then run `ssisha rollback --steps %d` again", s.ID())}
			tr.Status, tr.Err, tr.Fix, tr.err = StatusFailed, e.redact(te.Error()), te.Fix, te
			run.fail(fmt.Sprintf("undo of step %d failed on %s", s.ID(), t.Host))
		case ar.Status == StatusSkipped:
			skipped++
			tr.Note = strings.TrimPrefix(tr.Note+"; "+ar.Err, "; ")
			if rec.Irreversible == "" && !ar.irreversible {
				byHand = append(byHand, ar.Err)
			}
		default:
			undone++
		}
		if err != nil {
			break
		}
	}
	if tr.Status == "" && len(byHand) > 0 {
		// Not a stop for the steps below: these were never going to be undone by any
		// run, and the DBA reverses them by hand.
		te := &TargetError{Step: s.ID(), Title: s.Title(), Target: t.Host, Action: "rollback",
			Err: fmt.Errorf("not undone: %s", strings.Join(byHand, "; ")), Fix: fmt.Sprintf("reverse it on %s by hand", t.Host)}
		tr.Status, tr.Err, tr.Fix, tr.err = StatusFailed, e.redact(te.Error()), e.redact(te.Fix), te
	}
	if tr.Status == "" {
		tr.Status = StatusUndone
		if undone == 0 && skipped > 0 {
			tr.Status = StatusSkipped
		}
	}
	tr.Duration = time.Since(start)
	e.emit(Event{Kind: TargetFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: t.Host,
		Status: tr.Status, Error: tr.Err, Fix: tr.Fix, Message: tr.Note, Elapsed: tr.Duration})
	return tr
}

// undoAction journals the undo intent, calls Undo and journals its result. An action
// marked irreversible is not attempted, nor is an interrupted one the node finished
// without recording what it changed; one whose Undo says it is irreversible is skipped
// too. Each time the reason is in the result's Err (and the journal, when Undo ran).
func (e *Engine) undoAction(ctx context.Context, run *runState, s steps.Step, t steps.Target, rec Record) (ActionResult, error) {
	ar := ActionResult{ID: rec.Action, Summary: "undo: " + rec.Summary}
	skip := ""
	switch {
	case rec.Irreversible != "":
		skip = fmt.Sprintf("%s cannot be undone: %s", rec.Summary, rec.Irreversible)
	case rec.unrecorded():
		skip = fmt.Sprintf("%s was interrupted and found done; what it changed was not recorded: check it on %s by hand and reverse it there", rec.Summary, t.Host)
	}
	typ, declared := steps.FindAction(s, rec.Action)
	if skip == "" && !declared {
		skip = fmt.Sprintf("%s was recorded by a version of ssisha whose step %d had the action %q, which this version does not know: check it on %s by hand and reverse it there", rec.Summary, s.ID(), rec.Action, t.Host)
	}
	if skip != "" {
		ar.Status, ar.Err = StatusSkipped, skip
		e.emit(Event{Kind: ActionFinished, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: t.Host,
			Action: rec.Action, Summary: ar.Summary, Status: ar.Status, Message: ar.Err})
		return ar, nil
	}
	// The undo answers the run that started the action, which for a resumed action is
	// not the run that wrote its result.
	base := Record{RunID: run.id, Ref: rec.originRun(), Step: s.ID(), Target: t.Host, Role: t.Role, Action: rec.Action, Summary: rec.Summary}
	intent := base
	intent.Kind = KindUndoIntent
	started := Event{Kind: ActionStarted, RunID: run.id, Step: s.ID(), Title: s.Title(), Target: t.Host, Action: rec.Action, Summary: ar.Summary}
	err := e.journaledCall(run, &ar, intent, started, func() error {
		return typ.Undo(ctx, run.env, t, rec.Undo)
	})
	if errors.Is(err, errNotStarted) {
		return ar, err
	}
	result := base
	result.Kind = KindUndoResult
	switch {
	case err == nil:
		result.Status, ar.Status = StatusUndone, StatusUndone
	case errors.Is(err, steps.ErrIrreversible):
		result.Status, ar.Status = StatusSkipped, StatusSkipped
		result.Error, ar.Err = err.Error(), fmt.Sprintf("%s cannot be undone: %v", rec.Summary, err)
		ar.irreversible = true
		err = nil
	default:
		result.Status, ar.Status = StatusFailed, StatusFailed
		result.Error, ar.Err = err.Error(), err.Error()
	}
	return ar, e.recordResult(run, s, t, result, &ar, err, "the undo ran but its result could not be journaled")
}

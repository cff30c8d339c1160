package engine

import (
	"fmt"
	"strings"
	"sync"

	"github.com/ssisha/ssisha/steps"
)

// resume looks at the actions an earlier run started and never finished: open, the
// journal's pending records. The node may or may not have made the change, so nothing
// is assumed: the fresh detection decides, the person is told what it found, and the
// action runs again only if Detect still lists it. Each interrupted intent then gets
// a result so it is not reported again.
//
// When the re-detection no longer lists the action, the node finished it, and Apply's
// undo data was lost with the run. The intent's undo hint stands in for it: the result
// is recorded as succeeded with the hint, so rollback undoes the change like any
// other. Without a hint the result stays interrupted, and rollback reports it for the
// DBA to check by hand. waited says, by intent, which of them this run found still
// running on their node and waited for (awaitInFlight): the result says so.
//
// An action that runs again may have made part of its change before it died (one of
// two certificate imports), which the re-run's Detect no longer lists: the hint of an
// interrupted intent not found done (to run again, or unknown while its target cannot
// be detected yet) goes to the next run of the action, which records it joined with
// its own (see carryover). It returns the results it wrote.
func (e *Engine) resume(runID string, open []Record, fresh *Plan, waited map[string]string) ([]Record, error) {
	var written []Record
	for _, rec := range open {
		if rec.Kind != KindIntent {
			continue
		}
		pt, ok := findTarget(fresh, rec.Step, rec.Target)
		if !ok {
			// Not part of this run: leave it pending for a run that includes it.
			continue
		}
		what := rec.Summary
		if what == "" {
			what = rec.Action
		}
		state := string(pt.Detection.State)
		if pt.Err != "" {
			state = "detection failed: " + pt.Err
		}
		res := Record{Time: e.now(), RunID: runID, Ref: rec.RunID, Kind: KindResult, Step: rec.Step, Target: rec.Target, Role: rec.Role,
			Action: rec.Action, Summary: "re-detected: " + state, Status: StatusInterrupted, Irreversible: rec.Irreversible}
		next := "it will not run again"
		switch {
		case listsAction(pt.Detection, rec.Action):
			next = "it will run again"
			res.Resolution = ResolvedAgain
		case pt.Err != "" || pt.Detection.State == steps.StateBlocked:
			// Detect lists no actions when it fails or is blocked, which says nothing
			// about whether the node finished this one; when a later detection lists
			// it, it runs again.
			res.Resolution = ResolvedUnknown
		case len(rec.Undo) > 0:
			res.Resolution, res.Status, res.Summary, res.Undo = ResolvedDone, StatusSucceeded, rec.Summary, rec.Undo
			res.Note = "interrupted, then found done on re-detection (" + state + "); undo uses what its intent recorded"
			next += "; rollback will undo it from what its intent recorded"
		default:
			res.Resolution, res.Summary = ResolvedDone, rec.Summary
			res.Note = "interrupted, then found done on re-detection (" + state + "); what it changed was not recorded"
		}
		if w := waited[rec.origin()]; w != "" {
			// The action ran to its end on the node: the re-detection is its outcome.
			outcome := "it finished: done"
			if res.Resolution == ResolvedAgain {
				outcome = "it ended without making its change: failed"
			} else if res.Resolution == ResolvedUnknown {
				outcome = "its outcome is not known"
			}
			res.Note = strings.TrimSuffix(w+"; "+outcome+"; "+res.Note, "; ")
			next = w + "; " + outcome + "; " + next
		}
		e.emit(Event{Kind: Notice, RunID: runID, Step: rec.Step, Target: rec.Target, Action: rec.Action, State: state,
			Message: fmt.Sprintf("resuming: step %d on %s was interrupted during %s; re-detected: %s; %s", rec.Step, rec.Target, what, state, next)})
		if err := e.journal.write(res); err != nil {
			return written, err
		}
		written = append(written, res)
	}
	return written, nil
}

// resumeDetected settles the actions an earlier run left open on the targets of det,
// a step detected as the estate is now, which the run's first look only predicted:
// resume looked at those before any of them could be detected.
func (e *Engine) resumeDetected(run *runState, det PlanStep) error {
	recs, err := e.journal.Records()
	if err != nil {
		return err
	}
	resumed, err := e.resume(run.id, pending(recs), &Plan{Steps: []PlanStep{det}}, run.waited)
	run.carried.load(append(recs, resumed...))
	return err
}

// carryover is, by action on a target (actionKey), the hint of an interrupted intent
// that resume did not find done (it runs again, or its outcome is not known), while
// no intent of that action has been written since: what the interrupted run may have made, which the next run of the
// action records joined with its own (steps.ActionType's Absorbed). An intent written
// since carries it already, joined. A run without barriers resumes targets while
// others run, so it is guarded.
type carryover struct {
	mu sync.Mutex
	m  map[string]steps.Undo
}

// load replaces what c holds with what the journal's records carry.
func (c *carryover) load(recs []Record) {
	m := map[string]steps.Undo{}
	hints := map[string]steps.Undo{} // the intents' hints, by origin
	for _, r := range recs {
		switch {
		case r.Kind == KindIntent:
			delete(m, actionKey(r.Step, r.Target, r.Action))
			hints[r.origin()] = r.Undo
		case r.Kind == KindResult && r.Status == StatusInterrupted && r.Resolution != ResolvedDone && len(hints[r.origin()]) > 0:
			m[actionKey(r.Step, r.Target, r.Action)] = hints[r.origin()]
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = m
}

// hint is what interrupted runs of the action may have made; nil for none.
func (c *carryover) hint(step int, target, action string) steps.Undo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[actionKey(step, target, action)]
}

// actionKey names one action of a step on one target, across runs.
func actionKey(step int, target, action string) string {
	return fmt.Sprintf("%d\x00%s\x00%s", step, strings.ToLower(target), action)
}

// adoptFailed looks at the actions that failed in earlier runs and have not run since.
// A failure can come after the node made the change (the connection dropped while the
// command ran), and then Detect no longer lists the action while no record lets
// rollback undo it. When the fresh detection finds such an action done, this run
// adopts it: it journals an intent and a succeeded result of its own carrying what
// undo needs (the undo data Apply returned with its error, else the intent's hint), so
// rollback undoes it like any other. Failed actions without either are left as they
// are.
func (e *Engine) adoptFailed(runID string, recs []Record, fresh *Plan) error {
	key := func(r Record) string { return actionKey(r.Step, r.Target, r.Action) }
	intents := map[string]Record{}
	lastIntent := map[string]int{}
	for i, r := range recs {
		if r.Kind == KindIntent {
			intents[r.origin()] = r
			lastIntent[key(r)] = i
		}
	}
	for i, r := range recs {
		if r.Kind != KindResult || r.Status != StatusFailed || lastIntent[key(r)] > i {
			// Not a failure, or the action ran again (or was adopted) since.
			continue
		}
		pt, ok := findTarget(fresh, r.Step, r.Target)
		if !ok || pt.Err != "" || pt.Detection.State == steps.StateBlocked || listsAction(pt.Detection, r.Action) {
			continue
		}
		undo, from := r.Undo, "the undo data it returned with its error"
		if len(undo) == 0 {
			undo, from = intents[r.origin()].Undo, "what its intent recorded"
		}
		if len(undo) == 0 {
			continue
		}
		note := fmt.Sprintf("failed in run %s, then found done on re-detection (%s); undo uses %s", r.originRun(), pt.Detection.State, from)
		base := Record{RunID: runID, Step: r.Step, Target: r.Target, Role: r.Role, Action: r.Action, Summary: r.Summary,
			Irreversible: r.Irreversible, Undo: undo, Resolution: ResolvedDone, Note: note}
		intent, res := base, base
		intent.Time, intent.Kind = e.now(), KindIntent
		res.Time, res.Kind, res.Status = e.now(), KindResult, StatusSucceeded
		e.emit(Event{Kind: Notice, RunID: runID, Step: r.Step, Target: r.Target, Action: r.Action, State: string(pt.Detection.State),
			Message: fmt.Sprintf("step %d on %s: %s failed in an earlier run but is found done; rollback will undo it from %s", r.Step, r.Target, r.Summary, from)})
		if err := e.journal.write(intent); err != nil {
			return err
		}
		if err := e.journal.write(res); err != nil {
			return err
		}
	}
	return nil
}

// findTarget is the detection of step on host as the estate is now; a target the plan
// only predicted says nothing about what a node finished, so it is not found.
func findTarget(p *Plan, step int, host string) (PlanTarget, bool) {
	for _, s := range p.Steps {
		if s.ID != step {
			continue
		}
		for _, t := range s.Targets {
			if strings.EqualFold(t.Target.Host, host) {
				return t, !t.Predicted
			}
		}
	}
	return PlanTarget{}, false
}

func listsAction(d steps.Detection, id string) bool {
	for _, a := range d.Actions {
		if a.ID == id {
			return true
		}
	}
	return false
}

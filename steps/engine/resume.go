package engine

import (
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/steps"
)

// resume looks at the actions an earlier run started and never finished. The node may
// or may not have made the change, so nothing is assumed: the fresh detection decides,
// the person is told what it found, and the action runs again only if Detect still
// lists it. Each interrupted intent then gets a result so it is not reported again.
func (e *Engine) resume(runID string, fresh *Plan) error {
	for _, rec := range e.journal.Pending() {
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
		next := "it will not run again"
		if listsAction(pt.Detection, rec.Action) {
			next = "it will run again"
		}
		e.emit(Event{Kind: Notice, RunID: runID, Step: rec.Step, Target: rec.Target, Action: rec.Action, State: state,
			Message: fmt.Sprintf("resuming: step %d on %s was interrupted during %s; re-detected: %s; %s", rec.Step, rec.Target, what, state, next)})
		res := Record{Time: e.now(), RunID: runID, Ref: rec.RunID, Kind: KindResult, Step: rec.Step, Target: rec.Target, Role: rec.Role,
			Action: rec.Action, Summary: "re-detected: " + state, Status: StatusInterrupted}
		if err := e.journal.write(res); err != nil {
			return err
		}
	}
	return nil
}

func findTarget(p *Plan, step int, host string) (PlanTarget, bool) {
	for _, s := range p.Steps {
		if s.ID != step {
			continue
		}
		for _, t := range s.Targets {
			if strings.EqualFold(t.Target.Host, host) {
				return t, true
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

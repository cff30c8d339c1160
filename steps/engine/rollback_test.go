package engine

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

// An action the journal records but the step no longer declares (a journal of another
// version) is reported for the DBA to check; the step's other actions are undone.
func TestRollbackSkipsActionsTheStepNoLongerDeclares(t *testing.T) {
	w := newWorld(t, 1)
	if _, err := w.engine(0, newFakeStep(1, steps.Primary, w.tr, "a", "renamed")).Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	now := newFakeStep(1, steps.Primary, w.tr, "a")
	rep, err := w.engine(0, now).Rollback(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ActionResult{}
	for _, r := range rep.Results {
		for _, a := range r.Actions {
			got[a.ID] = a
		}
	}
	if got["a"].Status != StatusUndone {
		t.Errorf("a: %s, want undone", got["a"].Status)
	}
	if r := got["renamed"]; r.Status != StatusSkipped || !strings.Contains(r.Err, `"renamed"`) || !strings.Contains(r.Err, "by hand") {
		t.Errorf("renamed: %s %q, want skipped with what to check", r.Status, r.Err)
	}
}

package engine

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

// An action the journal records but the step no longer declares (a journal of another
// version) is reported for the DBA to check, and the rollback fails; the step's other
// actions are undone.
func TestRollbackSkipsActionsTheStepNoLongerDeclares(t *testing.T) {
	w := newWorld(t, 1)
	if _, err := w.engine(0, newFakeStep(1, steps.Primary, w.tr, "a", "renamed")).Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	now := newFakeStep(1, steps.Primary, w.tr, "a")
	rep, err := w.engine(0, now).Rollback(testCtx(t), nil)
	if err == nil || !strings.Contains(err.Error(), "not undone") {
		t.Errorf("Rollback: %v, want an error saying renamed is not undone", err)
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

// An action that failed after it made its change has no success in the journal for
// rollback to undo; the rollback must not report its target undone while the change
// is still on the node. It leaves the target as it is, and once an apply has adopted
// the change, the next rollback undoes everything.
func TestRollbackDoesNotReportUndoneWhatAFailedActionLeft(t *testing.T) {
	w := newWorld(t, 1)
	s := hintStep{newFakeStep(1, steps.Primary, w.tr, "a", "b"), map[string]bool{"b": true}}
	s.failAfterChange = map[string]bool{"b": true}
	if _, err := w.engine(0, s).Apply(testCtx(t), nil, nil); err == nil {
		t.Fatal("Apply: no error, want b to fail")
	}
	rep, err := w.engine(0, s).Rollback(testCtx(t), nil)
	if err == nil || !strings.Contains(err.Error(), "not undone") || !strings.Contains(err.Error(), "do b of step 1") {
		t.Errorf("Rollback: %v, want an error naming b as not undone", err)
	}
	if st := statusOf(rep, 1, "node1.contoso.com"); st != StatusFailed {
		t.Errorf("node1: %s, want failed", st)
	}
	if rep.Status != StatusFailed {
		t.Errorf("run: %s, want failed", rep.Status)
	}
	if !s.isApplied("node1.contoso.com", "b") || !s.isApplied("node1.contoso.com", "a") {
		t.Errorf("want the target left as it was, a and b applied")
	}

	// The next apply finds b done and adopts it; then rollback undoes both.
	s.failAfterChange = nil
	if _, err := w.engine(0, s).Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, err := w.engine(0, s).Rollback(testCtx(t), nil); err != nil {
		t.Fatalf("Rollback after the adoption: %v", err)
	}
	if s.isApplied("node1.contoso.com", "b") || s.isApplied("node1.contoso.com", "a") {
		t.Errorf("want a and b undone")
	}

	// A failure that changed nothing leaves nothing behind: the rollback is clean.
	w2 := newWorld(t, 1)
	s2 := newFakeStep(1, steps.Primary, w2.tr, "a", "b")
	s2.failOn = map[string]bool{"node1.contoso.com": true}
	if _, err := w2.engine(0, s2).Apply(testCtx(t), nil, nil); err == nil {
		t.Fatal("Apply: no error, want a to fail")
	}
	if _, err := w2.engine(0, s2).Rollback(testCtx(t), nil); err != nil {
		t.Errorf("Rollback after a failure that changed nothing: %v", err)
	}
}

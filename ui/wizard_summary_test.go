package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// countedVerify numbers each read-back, so a summary shows which one it holds.
type countedVerify struct {
	*FakeBackend
	reads *int
}

func (c countedVerify) Verify(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.VerifyReport, error) {
	*c.reads++
	return &engine.VerifyReport{Checks: []engine.VerifyCheck{{Step: 9, Title: "Add Scale Out Workers", Target: "worker1.contoso.com",
		Check: steps.Check{Name: "Worker registered", Status: steps.CheckSuccess, Detail: fmt.Sprintf("read-back %d", *c.reads)}}}}, nil
}

// toAppliedSummary plans, applies everything and lands on the summary.
func toAppliedSummary(m *model) tea.Cmd {
	m.goTo(scrPlan)
	m.afterPlan = func(m *model) tea.Cmd { return m.startApply(nil) }
	return m.startPlan()
}

// TestWizardSummaryAfterRollbackIsFresh: undoing step 9 from the steps screen shows
// the verification read after the rollback, never the one from the apply.
func TestWizardSummaryAfterRollbackIsFresh(t *testing.T) {
	fb := &FakeBackend{}
	wz := newWizard(t, Options{Backend: countedVerify{fb, new(int)}}, 80, 24, toAppliedSummary)
	wz.waitFor("Summary", "read-back 1")
	wz.keys("t")
	wz.waitFor("9 Add Scale Out Workers", "worker1 done")
	for range 8 {
		wz.keys("j")
	}
	wz.keys("u")
	confirmUndo(wz)
	got := wz.waitFor("Summary of the rollback", "Verification after the rollback", "read-back 2")
	if strings.Contains(got, "read-back 1") {
		t.Errorf("the rollback's summary shows the apply's verification:\n%s", got)
	}
	if calls := strings.Join(fb.Calls(), "; "); !strings.Contains(calls, "rollback [9]") {
		t.Errorf("calls = %s, want a rollback of step 9", calls)
	}
}

// confirmUndo answers the confirmation of an undo by typing the cluster's name.
func confirmUndo(wz *wizard) {
	wz.waitFor("Undo from step", "Type the cluster name")
	wz.typeText("SSISCL")
	wz.keys("enter")
}

// TestWizardUndoAsksForTheClusterName: undoing every step lists what goes per node and
// what cannot be undone with why; y does nothing, a wrong name undoes nothing, and
// only the cluster's name runs the rollback.
func TestWizardUndoAsksForTheClusterName(t *testing.T) {
	fb := &FakeBackend{}
	wz := newWizard(t, Options{Backend: fb}, 100, 40, toAppliedSummary)
	wz.waitFor("targets succeeded")
	wz.keys("t")
	wz.waitFor("1 Windows Server Failover Cluster", "worker1 done")
	wz.keys("u")
	wz.waitFor("Undo from step 1 on?", "node1: steps 8, 7, 6, 5, 4, 2, 1", "worker1: step 9",
		"Cannot be undone on node1, step 6", "cannot be recovered", "Type the cluster name (SSISCL)")
	wz.keys("y", "enter")
	wz.waitFor("nothing was undone")
	wz.keys("u")
	wz.waitFor("Type the cluster name")
	wz.typeText("ssiscl")
	wz.keys("enter")
	wz.waitFor("Summary of the rollback")
	calls := strings.Join(fb.Calls(), "; ")
	if strings.Count(calls, "rollback") != 1 || !strings.Contains(calls, "rollback [1 2 3 4 5 6 7 8 9]") {
		t.Errorf("calls = %s, want one rollback of every step", calls)
	}
}

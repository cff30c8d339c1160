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
	wz.waitFor("9 Add Scale Out Workers")
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

// confirmUndo answers the confirmation of an undo.
func confirmUndo(wz *wizard) {
	wz.waitFor("Undo from step")
	wz.keys("y")
}

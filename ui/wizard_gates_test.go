package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// failingPreflight reports more checks than fit at 80x24, one of them failed on the
// last master, far below the first row.
type failingPreflight struct{ *FakeBackend }

const failingCheck = "Check 15"

func (f failingPreflight) Preflight(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) error {
	hosts := a.MasterHosts()
	for i := 1; i <= 16; i++ {
		for j, h := range hosts {
			r := engine.CheckResult{Name: fmt.Sprintf("Check %d", i), Status: "Success"}
			if r.Name == failingCheck && j == len(hosts)-1 {
				r.Status, r.Detail, r.Fix = "Failed", "the port is closed", "open the port"
			}
			emit(engine.Event{Kind: engine.CheckFinished, Target: h, Check: &r})
		}
	}
	return ctx.Err()
}

func toPreflight(m *model) tea.Cmd { return m.startPreflight() }

// TestWizardPreflightGateHolds: with a failed check, neither n nor Enter reaches the
// plan; the cursor starts on the failure; only naming the check skips it.
func TestWizardPreflightGateHolds(t *testing.T) {
	fb := &FakeBackend{}
	wz := newWizard(t, Options{Backend: failingPreflight{fb}}, 80, 24, toPreflight)
	wz.waitFor("node2.contoso.com * " + failingCheck + ": x Failed")
	wz.keys("enter")
	wz.waitFor("1 check failed")
	wz.keys("n")
	wz.waitFor("1 check failed")
	wz.keys("s")
	wz.waitFor("Skip a failed check")
	wz.typeText("Check 1")
	wz.keys("enter")
	wz.waitFor(`No failed check is named "Check 1"`)
	wz.keys("enter")
	wz.waitFor("1 check failed")
	wz.keys("s")
	wz.waitFor("Skip a failed check")
	wz.typeText(failingCheck)
	wz.keys("enter")
	wz.waitFor("skipped by name: " + failingCheck)
	wz.keys("n")
	wz.waitFor("fingerprint")
	m := wz.final()
	if m.screen != scrPlan {
		t.Errorf("screen = %v after skipping the failed check, want the plan", m.screen)
	}
	for _, c := range fb.Calls() {
		if strings.HasPrefix(c, "apply") {
			t.Errorf("apply ran: %v", fb.Calls())
		}
	}
}

// brokenPreflight stops part way with an error, as a lost connection does.
type brokenPreflight struct{ *FakeBackend }

func (b brokenPreflight) Preflight(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) error {
	r := engine.CheckResult{Name: "WinRM reachable", Status: "Success"}
	emit(engine.Event{Kind: engine.CheckFinished, Target: a.MasterHosts()[0], Check: &r})
	return fmt.Errorf("the connection to node2 was lost")
}

// TestWizardPreflightGateHoldsWhenChecksStop: checks that did not finish are no pass.
func TestWizardPreflightGateHoldsWhenChecksStop(t *testing.T) {
	fb := &FakeBackend{}
	wz := newWizard(t, Options{Backend: brokenPreflight{fb}}, 80, 24, toPreflight)
	wz.waitFor("Preflight stopped")
	wz.keys("enter")
	wz.waitFor("the checks did not finish")
	if m := wz.final(); m.screen != scrPreflight {
		t.Errorf("screen = %v, want preflight", m.screen)
	}
}

package ui

import (
	"fmt"
	"strings"
	"testing"
)

// The wizard's apply confirmation gives the plan's own counts, the ones `ssisha plan`
// and `ssisha apply` print.
func TestPlanConfirmationShowsThePlanCounts(t *testing.T) {
	fb := &FakeBackend{}
	m := newTestModel(t, fb, 120, 40)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	c := m.plan.plan.Counts()
	if c.Actions == 0 {
		t.Fatal("the fake plan has no action to confirm")
	}
	press(m, "a")
	want := fmt.Sprintf("%d actions on %d targets", c.Actions, c.Targets)
	if got := screen(m); !strings.Contains(got, want) {
		t.Errorf("the confirmation lacks %q:\n%s", want, got)
	}
}

package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// The plan's script pane cuts nothing: every line fits the pane, and a long script
// line goes on in the lines after it, so joined they are the line as it will run.
func TestPlanScriptWrapsInsteadOfCutting(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 80, 24)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	for i, r := range m.plan.rows {
		if r.action != nil && r.step.ID == 6 {
			m.plan.cursor = i
		}
	}
	_, raw := m.plan.scriptLines(m.model)
	long := ""
	for _, l := range raw {
		if l = strings.TrimPrefix(l, codeMark); width(l) > width(long) {
			long = l
		}
	}
	const w = 40
	if width(long) <= w {
		t.Fatalf("no script line longer than %d to test with", w)
	}
	_, lines := m.plan.script(m.model, w)
	joined := ""
	for _, l := range lines {
		l = ansi.Strip(l)
		if width(l) > w {
			t.Errorf("line %q is %d wide, more than the pane's %d", l, width(l), w)
		}
		joined += strings.TrimPrefix(l, m.c.Glyphs.Cursor+" ")
	}
	if !strings.Contains(joined, long) {
		t.Errorf("the script line %q is not whole in the pane:\n%s", long, strings.Join(lines, "\n"))
	}
	press(m, "end")
	end := screen(m)
	press(m, "home")
	if screen(m) == end {
		t.Errorf("home and end show the same part of the script")
	}
}

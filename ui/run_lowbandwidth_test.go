package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Over a slow link the run screen keeps one pane with tabs at any width: side-by-side
// panes each repaint their clock every second, which is what SSH mode saves.
func TestRunScreenOnePaneOverASlowLink(t *testing.T) {
	for _, low := range []bool{false, true} {
		fb := &FakeBackend{}
		fb.Now = func() time.Time { return frameClock }
		m := NewModel(Options{Backend: fb, Lab: true, ASCII: true, Color: "never", LowBandwidth: low, Clock: fb.Now})
		drive(m, m.Init())
		drive(m, func() tea.Msg { return tea.WindowSizeMsg{Width: 200, Height: 60} })
		m.goTo(scrPlan)
		drive(m, m.startPlan())
		m.run.begin(m.model, opApply, m.plan.plan, nil)
		n, _ := m.run.visible(m.model, 200)
		if low && n != 1 {
			t.Errorf("low bandwidth at 200 columns: %d panes side by side, want 1", n)
		}
		if !low && n < 2 {
			t.Errorf("at 200 columns: %d pane(s), want them side by side", n)
		}
	}
}

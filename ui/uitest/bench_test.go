package uitest

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ssisha/ssisha/ui"
)

// RunScreen is an apply caught at its last step, running on every worker.
func TestRunScreenShowsEveryNodeAtWork(t *testing.T) {
	m := RunScreen(ui.Options{Backend: &FakeBackend{}, Answers: NodeAnswers(5), ASCII: true}, 200, 60)
	got := ansi.Strip(m.View().Content)
	if !strings.Contains(got, "Applying all steps") {
		t.Fatalf("not the run screen:\n%s", got)
	}
	for _, w := range []string{"worker1", "worker2", "worker3"} {
		if !strings.Contains(got, "+- "+w) {
			t.Errorf("no pane for %s:\n%s", w, got)
		}
	}
	if n := strings.Count(got, "running * step 9"); n != 3 {
		t.Errorf("step 9 shows running on %d panes, want the 3 workers':\n%s", n, got)
	}
}

// BenchmarkRunScreenView is one View() of the run screen with 16 node panes at
// 200x60, mid-run (target: 2 ms).
func BenchmarkRunScreenView(b *testing.B) {
	m := RunScreen(ui.Options{Backend: &FakeBackend{}, Answers: NodeAnswers(16)}, 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

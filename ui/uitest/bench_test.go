package uitest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/ui"
)

func benchAnswers(nodes int) *answers.Answers {
	a := answers.Example()
	tmpl := answers.Worker{Host: "worker1.contoso.com", Account: `CONTOSO\svc_ssisworker`}
	if len(a.Workers) > 0 {
		tmpl = a.Workers[0]
	}
	a.Workers = nil
	for i := 1; i <= nodes-len(a.Masters); i++ {
		w := tmpl
		w.Host = fmt.Sprintf("worker%d.contoso.com", i)
		a.Workers = append(a.Workers, w)
	}
	a.ApplyDefaults()
	return a
}

// RunScreen is an apply caught at its last step, running on every worker.
func TestRunScreenShowsEveryNodeAtWork(t *testing.T) {
	m := RunScreen(ui.Options{Backend: &FakeBackend{}, Answers: benchAnswers(5), ASCII: true}, 200, 60)
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
	m := RunScreen(ui.Options{Backend: &FakeBackend{}, Answers: benchAnswers(16)}, 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

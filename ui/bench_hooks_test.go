package ui

import (
	"fmt"
	"testing"

	"github.com/ssisha/ssisha/steps/answers"
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

func TestBenchRunScreenShowsEveryNode(t *testing.T) {
	m := BenchRunScreen(Options{Backend: &FakeBackend{}, Answers: benchAnswers(16)}, 200, 60)
	if m.screen != scrRun || len(m.run.nodes) != 16 {
		t.Fatalf("screen %v with %d nodes, want the run screen with 16", m.screen, len(m.run.nodes))
	}
	if m.View().Content == "" {
		t.Fatal("the run screen draws nothing")
	}
}

// BenchmarkRunScreenView is one View() of the run screen with 16 node panes at
// 200x60, mid-run (target: 2 ms).
func BenchmarkRunScreenView(b *testing.B) {
	m := BenchRunScreen(Options{Backend: &FakeBackend{}, Answers: benchAnswers(16)}, 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkRunScreenViewTicking is BenchmarkRunScreenView with the spinner on its
// next frame every call, as while a run is watched: the running panes cannot be
// reused from the last frame.
func BenchmarkRunScreenViewTicking(b *testing.B) {
	m := BenchRunScreen(Options{Backend: &FakeBackend{}, Answers: benchAnswers(16)}, 200, 60)
	b.ReportAllocs()
	for b.Loop() {
		m.spin++
		_ = m.View()
	}
}

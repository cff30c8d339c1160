package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

func newTestModel(t *testing.T, fb *FakeBackend, w, h int) Model {
	t.Helper()
	fb.Now = func() time.Time { return frameClock }
	m := NewModel(Options{Backend: fb, Lab: true, ASCII: true, Color: "never", Clock: fb.Now})
	drive(m, m.Init())
	drive(m, func() tea.Msg { return tea.WindowSizeMsg{Width: w, Height: h} })
	return m
}

func press(m Model, keys ...string) {
	for _, k := range keys {
		msg := keyMsg(k)
		drive(m, func() tea.Msg { return msg })
	}
}

func typeText(m Model, s string) {
	for _, r := range s {
		press(m, string(r))
	}
}

func screen(m Model) string { return ansi.Strip(m.render()) }

func TestDetectEnv(t *testing.T) {
	tests := []struct {
		name                   string
		env                    map[string]string
		ascii, low, accessible bool
	}{
		{"plain xterm", map[string]string{"TERM": "xterm-256color"}, false, false, false},
		{"ssh", map[string]string{"TERM": "xterm", "SSH_TTY": "/dev/pts/1"}, false, true, false},
		{"ssh connection", map[string]string{"SSH_CONNECTION": "1 2 3 4"}, false, true, false},
		{"linux console", map[string]string{"TERM": "linux"}, true, true, false},
		{"dumb", map[string]string{"TERM": "dumb"}, true, true, true},
		{"accessible", map[string]string{"ACCESSIBLE": "1"}, false, false, true},
		{"accessible off", map[string]string{"ACCESSIBLE": "0"}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, l, acc := DetectEnv(func(k string) string { return tt.env[k] })
			if a != tt.ascii || l != tt.low || acc != tt.accessible {
				t.Errorf("DetectEnv = %v %v %v, want %v %v %v", a, l, acc, tt.ascii, tt.low, tt.accessible)
			}
		})
	}
}

func TestStartOffersResume(t *testing.T) {
	fb := &FakeBackend{Records: []engine.Record{{Step: 5, Target: "node2", Summary: "set SqlServerName"}}}
	m := newTestModel(t, fb, 80, 24)
	got := screen(m)
	for _, want := range []string{"[lab]", "interrupted during step 5 on node2: set SqlServerName", "Resume the interrupted run"} {
		if !strings.Contains(got, want) {
			t.Errorf("start screen lacks %q:\n%s", want, got)
		}
	}
}

func TestQuestionsValidateAsTyped(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 120, 40)
	press(m, "down", "enter") // answer the questions
	if m.screen != scrQuestions {
		t.Fatalf("screen = %v, want questions", m.screen)
	}
	typeText(m, "!")
	got := screen(m)
	if !strings.Contains(got, "x host 2 (node2.contoso.com!)") {
		t.Errorf("no live validation for the typo:\n%s", got)
	}
	press(m, "enter")
	if f := m.questions.focused(); f == nil || f.key != "masters" {
		t.Errorf("enter moved past an invalid field")
	}
	press(m, "backspace")
	if got := screen(m); !strings.Contains(got, "v 2 host(s) resolve and answer WinRM") {
		t.Errorf("network check not shown under the field:\n%s", got)
	}
}

func TestPlanApplyAsksFirst(t *testing.T) {
	fb := &FakeBackend{}
	m := newTestModel(t, fb, 100, 30)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	press(m, "a")
	if m.dlg == nil || !strings.Contains(screen(m), "Apply the plan?") {
		t.Fatalf("apply did not ask for confirmation:\n%s", screen(m))
	}
	press(m, "n")
	for _, c := range fb.Calls() {
		if strings.HasPrefix(c, "apply") {
			t.Fatalf("apply ran after the user declined: %v", fb.Calls())
		}
	}
	press(m, "a", "y")
	if m.screen != scrSummary {
		t.Errorf("screen = %v after apply, want summary", m.screen)
	}
	targets := 0
	for _, st := range steps.All() {
		targets += len(engine.Targets(m.a, st.Scope()))
	}
	if recap := fmt.Sprintf("%d of %d targets succeeded", targets, targets); !strings.Contains(screen(m), recap) {
		t.Errorf("summary lacks the recap:\n%s", screen(m))
	}
}

func TestFailureRetryAndRollback(t *testing.T) {
	fb := &FakeBackend{FailStep: 7, FailHost: "node1.contoso.com", FailTimes: 1}
	m := newTestModel(t, fb, 80, 24)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	press(m, "a", "y")
	got := screen(m)
	if !strings.Contains(got, "Step 7 failed on node1.contoso.com") || !strings.Contains(got, "Fix: check the master service account") {
		t.Fatalf("failure not shown with its fix:\n%s", got)
	}
	press(m, "u", "esc")
	press(m, "r")
	if m.dlg == nil {
		t.Fatal("retry did not ask for confirmation")
	}
	press(m, "y")
	calls := strings.Join(fb.Calls(), "; ")
	if !strings.Contains(calls, "apply [7 8 9]") || strings.Contains(calls, "rollback") {
		t.Errorf("calls = %s, want a retry of steps 7-9 and no rollback", calls)
	}
	if m.screen != scrSummary {
		t.Errorf("screen = %v after the retry, want summary", m.screen)
	}
}

func TestRollbackFromFailure(t *testing.T) {
	fb := &FakeBackend{FailStep: 3, FailHost: "node2.contoso.com", FailTimes: 1}
	m := newTestModel(t, fb, 120, 40)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	press(m, "a", "y", "u")
	typeText(m, "SSISCL")
	press(m, "enter")
	calls := strings.Join(fb.Calls(), "; ")
	if !strings.Contains(calls, "rollback [1 2 3]") {
		t.Errorf("calls = %s, want rollback of steps 1-3", calls)
	}
	if got := screen(m); !strings.Contains(got, "undone") {
		t.Errorf("summary does not show undone steps:\n%s", got)
	}
}

func TestStepsUndoShowsLaterSteps(t *testing.T) {
	fb := &FakeBackend{}
	m := newTestModel(t, fb, 80, 24)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	drive(m, m.startApply([]int{1, 2, 3, 4}))
	press(m, "t")
	press(m, "j", "u")
	got := screen(m)
	if !strings.Contains(got, "Undo from step 2 on?") || !strings.Contains(got, "node1: steps 4, 2") || !strings.Contains(got, "node2: steps 4, 3") {
		t.Errorf("undo confirmation does not name the later steps:\n%s", got)
	}
}

func TestQuitDuringRunAsks(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 80, 24)
	m.busy = opApply
	m.screen = scrRun
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"})
	if cmd != nil || m.dlg == nil || !strings.Contains(screen(m), "Stop the run and quit?") {
		t.Errorf("quit during a run did not ask:\n%s", screen(m))
	}
}

func TestDisabledKeySaysWhy(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 80, 24)
	m.goTo(scrPlan)
	press(m, "a")
	if !strings.Contains(m.flash, "still being computed") {
		t.Errorf("flash = %q, want the reason apply is disabled", m.flash)
	}
}

// TestCanarySecret types a canary into a masked field and checks it appears in no
// frame of the flow and not in the saved answer file.
func TestCanarySecret(t *testing.T) {
	const canary = "Canary-P@ss-0"
	fb := &FakeBackend{}
	m := newTestModel(t, fb, 120, 40)
	var frames []string
	snap := func() { frames = append(frames, m.render()) }
	press(m, "down", "enter")
	for m.questions.group() < len(questionGroups)-1 {
		drive(m, m.questions.form.NextGroup())
	}
	snap()
	press(m, "f1")
	snap()
	path := filepath.Join(t.TempDir(), "answers.yaml")
	drive(m, m.questions.save(m.model, path))
	for m.screen == scrQuestions {
		before := m.questions.focused()
		typeText(m, canary)
		press(m, "enter")
		snap()
		if m.questions.focused() == before && m.screen == scrQuestions {
			t.Fatalf("stuck on %s: %s", before.key, screen(m))
		}
	}
	snap()
	press(m, "n")
	snap()
	press(m, "n")
	snap()
	press(m, "a", "y")
	snap()
	for i, f := range frames {
		if strings.Contains(f, canary) {
			t.Fatalf("frame %d shows the canary:\n%s", i, ansi.Strip(f))
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), canary) {
		t.Fatal("the answer file holds the canary")
	}
	if m.s.Get("SSISHA_WINRM_PASSWORD").Reveal() != canary {
		t.Errorf("the secret was not kept for the run")
	}
}

// TestRunWidthSweep renders the run screen mid-run at every width from 60 to 200: no
// line is wider than the terminal and nothing panics.
func TestRunWidthSweep(t *testing.T) {
	fb := &FakeBackend{FailStep: 5, FailHost: "node2.contoso.com", FailTimes: 1}
	m := newTestModel(t, fb, 80, 24)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	drive(m, m.startApply(nil))
	for w := 60; w <= 200; w++ {
		heights := []int{24}
		if w%10 == 0 {
			heights = append(heights, 40)
		}
		for _, h := range heights {
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			lines := strings.Split(screen(m), "\n")
			if len(lines) != h {
				t.Fatalf("%dx%d: %d lines", w, h, len(lines))
			}
			for i, l := range lines {
				if ansi.StringWidth(l) > w {
					t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, ansi.StringWidth(l), l)
				}
			}
		}
	}
}

func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"", "node1, node2", "a;b c", ",,,", "node1.contoso.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range splitList(s) {
			if p == "" || strings.ContainsAny(p, ", ;") {
				t.Fatalf("splitList(%q) gave %q", s, p)
			}
		}
		_ = hostList(s)
	})
}

func FuzzFit(f *testing.F) {
	f.Add("hello\nworld", 3, 1)
	f.Add("\x1b[31mred\x1b[0m text", 5, 4)
	f.Fuzz(func(t *testing.T, s string, w, h int) {
		w, h = w%300, h%100
		out := fit(s, w, h)
		if h <= 0 {
			return
		}
		lines := strings.Split(out, "\n")
		if len(lines) != h {
			t.Fatalf("fit gave %d lines, want %d", len(lines), h)
		}
		for _, l := range lines {
			if w > 0 && ansi.StringWidth(l) > w {
				t.Fatalf("line %q wider than %d", l, w)
			}
		}
	})
}

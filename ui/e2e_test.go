package ui

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"
	"github.com/ssisha/ssisha/steps/answers"
)

// screenEmu replays the program's output into a terminal emulator, because the
// renderer sends cell diffs and text never appears whole in the byte stream.
type screenEmu struct {
	mu  sync.Mutex
	emu *vt.Emulator
}

func (s *screenEmu) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.Write(p)
}

func (s *screenEmu) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emu.String()
}

// TestEndToEnd drives the real program: start, questions with their defaults,
// preflight, plan, apply with its confirmation, and the summary.
func TestEndToEnd(t *testing.T) {
	s := &answers.Secrets{}
	for _, sp := range answers.SecretSpecs() {
		if err := s.Set(sp.Env, "E2e-Secret-Value-9"); err != nil {
			t.Fatal(err)
		}
	}
	fb := &FakeBackend{}
	m := NewModel(Options{Backend: fb, Secrets: s, Lab: true, ASCII: true, Color: "never"})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	emu := &screenEmu{emu: vt.NewEmulator(120, 40)}
	go func() { _, _ = io.Copy(io.Discard, emu.emu) }()
	_, _ = emu.emu.WriteString("\x1b[20h")
	var all strings.Builder
	var allMu sync.Mutex
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tm.Output().Read(buf)
			if n > 0 {
				allMu.Lock()
				all.Write(buf[:n])
				allMu.Unlock()
				_, _ = emu.Write(buf[:n])
			}
			if err != nil && err != io.EOF {
				return
			}
			if n == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	waitFor := func(text string, each func()) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(emu.String(), text) {
			if time.Now().After(deadline) {
				t.Fatalf("screen never showed %q; last screen:\n%s", text, emu.String())
			}
			if each != nil {
				each()
			}
			time.Sleep(40 * time.Millisecond)
		}
	}
	waitFor("Answer the questions", nil)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitFor("Questions 1/7", nil)
	// Enter accepts each question's default up to the review. Each Enter waits until
	// the screen has taken the previous one, so that no Enter queued behind a slow
	// frame (under -race) lands on the review and opens a question again.
	last := ""
	waitFor("enter changes one", func() {
		if now := emu.String(); now != last {
			time.Sleep(150 * time.Millisecond)
			if emu.String() != now {
				return
			}
			last = now
			tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
		}
	})
	tm.Send(tea.KeyPressMsg{Code: 'n', Text: "n"})
	// Enter continues past the preflight grid (it has only a warning) to the plan.
	waitFor("fingerprint", func() { tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) })
	tm.Send(tea.KeyPressMsg{Code: 'a', Text: "a"})
	waitFor("Apply the plan?", nil)
	tm.Send(tea.KeyPressMsg{Code: 'y', Text: "y"})
	waitFor("targets succeeded", nil)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if got := strings.Join(fb.Calls(), "; "); !strings.HasPrefix(got, "preflight; plan; apply []; verify") {
		t.Errorf("backend calls = %s, want preflight, plan, apply, verify", got)
	}
	allMu.Lock()
	defer allMu.Unlock()
	if strings.Contains(all.String(), "E2e-Secret-Value-9") {
		t.Error("a secret reached the terminal")
	}
}

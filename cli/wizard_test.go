package cli

import (
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/ui"
)

// terminal replays the wizard's output into a terminal emulator: the renderer sends
// cell diffs, so text only appears whole on an emulated screen.
type terminal struct {
	mu  sync.Mutex
	emu *vt.Emulator
	raw strings.Builder
}

func newTerminal(w, h int) *terminal {
	t := &terminal{emu: vt.NewEmulator(w, h)}
	go func() { _, _ = io.Copy(io.Discard, t.emu) }() // the emulator's answers to queries
	_, _ = t.emu.WriteString("\x1b[20h")              // a line feed also returns the carriage
	return t
}

func (t *terminal) follow(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			t.mu.Lock()
			t.raw.Write(buf[:n])
			_, _ = t.emu.Write(buf[:n])
			t.mu.Unlock()
		}
		if err != nil && err != io.EOF {
			return
		}
		if n == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (t *terminal) screen() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emu.String()
}

func (t *terminal) everything() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.raw.String()
}

// TestWizardAgainstTheLab drives the wizard with the real backend against a lab: start,
// the questions with the lab's answers, preflight, plan, apply, the summary; then one
// step re-run from the steps screen, and everything undone.
func TestWizardAgainstTheLab(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	before := r.estateJSON()
	a := newApp(BuildInfo{}, strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return r.env[k] })
	a.journalPath = filepath.Join(r.dir, "journal.jsonl")
	f := labFlags{dir: r.dir, masters: 2, workers: 1, sqlVersion: 2019, encrypt: "tls"}
	ans := labAnswers(r.lab, f)
	sec, err := labsetup.Secrets(r.lab, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := a.wizardSession()
	defer b.Close()

	m := ui.NewModel(ui.Options{Backend: b, Answers: ans, Secrets: sec, Lab: true, ASCII: true, Color: "never",
		AnswersPath: filepath.Join(r.dir, "wizard-answers.yaml")})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	term := newTerminal(120, 40)
	go term.follow(tm.Output())
	key := func(k string) {
		if k == "enter" {
			tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
			return
		}
		tm.Send(tea.KeyPressMsg{Code: rune(k[0]), Text: k})
	}
	waitFor := func(text string, each func()) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(term.screen(), text) {
			if time.Now().After(deadline) {
				t.Fatalf("the screen never showed %q; last screen:\n%s", text, term.screen())
			}
			if each != nil {
				each()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	waitFor("Use these answers", nil)
	key("enter")
	waitFor("enter changes one", nil)
	key("n")
	waitFor("fingerprint", func() { key("enter") })
	key("a")
	waitFor("Apply the plan?", nil)
	key("y")
	waitFor("13 of 13 targets succeeded", nil)
	if p := r.lab.Health(); len(p) > 0 {
		t.Errorf("after the wizard's apply the lab is unhealthy: %v", p)
	}

	waitFor("Verification", nil)
	waitFor("what is done on each node", func() { key("t") })
	waitFor("worker1 done", nil)
	for range 5 {
		tm.Send(tea.KeyPressMsg{Code: tea.KeyDown})
	}
	key("r")
	waitFor("Run step 6 again?", nil)
	key("y")
	waitFor("already done", nil)

	waitFor("Verification", nil)
	waitFor("what is done on each node", func() { key("t") })
	waitFor("worker1 done", nil)
	for range 10 {
		tm.Send(tea.KeyPressMsg{Code: tea.KeyUp})
	}
	key("u")
	waitFor("Undo from step 1 on?", nil)
	for _, r := range ans.Cluster.Name {
		key(string(r))
	}
	key("enter")
	waitFor("13 of 13 targets undone", nil)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	for _, d := range estateDiff("", before, r.estateJSON()) {
		t.Errorf("undo from the wizard left a difference: %s", d)
	}
	all := term.everything()
	for name, v := range r.lab.Secrets() {
		if strings.Contains(all, v) {
			t.Errorf("the value of %s reached the terminal", name)
		}
	}
}

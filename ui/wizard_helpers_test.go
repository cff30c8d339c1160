package ui

import (
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/ui/uitest/settle"
)

// keyMsg is the key press a key's name stands for, as the tests spell keys.
func keyMsg(k string) tea.KeyPressMsg { return settle.Key(k) }

// wizard is the real program under teatest, with its screen replayed into a terminal
// emulator so tests read what a user would see.
type wizard struct {
	t   *testing.T
	tm  *teatest.TestModel
	emu *screenEmu
}

// startAt runs a model whose first command also takes it to a screen, so a test
// starts where its keys matter.
type startAt struct {
	Model
	first func(m *model) tea.Cmd
}

func (s startAt) Init() tea.Cmd {
	cmds := []tea.Cmd{s.Model.Init()}
	if s.first != nil {
		cmds = append(cmds, s.first(s.model))
	}
	return tea.Batch(cmds...)
}

// allSecrets sets every secret, so the questions ask for none.
func allSecrets(t *testing.T) *answers.Secrets {
	t.Helper()
	s := &answers.Secrets{}
	for _, sp := range answers.SecretSpecs() {
		if err := s.Set(sp.Env, "Flow-Secret-Value-7"); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// newWizard starts the program at w x h on the backend, first taking it where first
// leads (nil: the start screen).
func newWizard(t *testing.T, opts Options, w, h int, first func(m *model) tea.Cmd) *wizard {
	t.Helper()
	opts.ASCII, opts.Color = true, "never"
	if opts.Secrets == nil {
		opts.Secrets = allSecrets(t)
	}
	m := NewModel(opts)
	tm := teatest.NewTestModel(t, startAt{Model: m, first: first}, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	emu := &screenEmu{emu: vt.NewEmulator(w, h)}
	go func() { _, _ = io.Copy(io.Discard, emu.emu) }()
	_, _ = emu.emu.WriteString("\x1b[20h")
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tm.Output().Read(buf)
			if n > 0 {
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
	wz := &wizard{t: t, tm: tm, emu: emu}
	t.Cleanup(func() { _ = tm.Quit() })
	return wz
}

// keys sends key presses in order.
func (wz *wizard) keys(ks ...string) {
	for _, k := range ks {
		wz.tm.Send(keyMsg(k))
	}
}

// typeText sends a string one key at a time.
func (wz *wizard) typeText(s string) {
	for _, r := range s {
		wz.tm.Send(keyMsg(string(r)))
	}
}

// waitFor waits until the screen shows every text, and returns the screen.
func (wz *wizard) waitFor(texts ...string) string {
	wz.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := wz.emu.String()
		missing := ""
		for _, text := range texts {
			if !strings.Contains(got, text) {
				missing = text
				break
			}
		}
		if missing == "" {
			return got
		}
		if time.Now().After(deadline) {
			wz.t.Fatalf("screen never showed %q; last screen:\n%s", missing, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFocus waits until the question titled title has the cursor (the line under a
// narrow form offers more about the focused question; the wide panel marks it).
func (wz *wizard) waitFocus(title string) {
	wz.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := wz.emu.String()
		for _, l := range strings.Split(got, "\n") {
			if strings.HasSuffix(strings.TrimSpace(l), "more about "+title) {
				return
			}
			if f := strings.Fields(strings.Trim(l, "|")); len(f) > 2 && f[0] == ">" && strings.HasPrefix(strings.Join(f[2:], " "), title) {
				return
			}
		}
		if time.Now().After(deadline) {
			wz.t.Fatalf("question %q never had the cursor; last screen:\n%s", title, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// final quits and returns the model as the program left it.
func (wz *wizard) final() Model {
	wz.t.Helper()
	if err := wz.tm.Quit(); err != nil {
		wz.t.Fatal(err)
	}
	fm := wz.tm.FinalModel(wz.t, teatest.WithFinalTimeout(10*time.Second))
	switch m := fm.(type) {
	case Model:
		return m
	case startAt:
		return m.Model
	}
	wz.t.Fatalf("final model is a %T", fm)
	return Model{}
}

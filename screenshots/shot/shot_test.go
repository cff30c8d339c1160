package shot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/ssisha/ssisha/steps/answers"
)

// canary is a password the screenshots must never show.
const canary = "Canary-Shot-7q!x"

// TestScreens runs the screenshot pipeline up to the ANSI files at the two sizes the
// wizard is designed for, with secrets set to a canary: every screen of the README is
// there, draws something, fits the terminal and shows no secret. It keeps the
// generator from rotting without needing freeze.
func TestScreens(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			t.Parallel()
			opts := Options()
			// The secrets the plan's scripts carry; the rest stay empty so the secrets
			// questions still have fields to show.
			opts.Secrets = &answers.Secrets{}
			for _, env := range []string{answers.EnvLoggingPassword, answers.EnvMasterKeyPassword, answers.EnvPFXPassword} {
				if err := opts.Secrets.Set(env, canary); err != nil {
					t.Fatal(err)
				}
			}
			screens, err := Screens(opts, w, h)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Screen{}
			for _, s := range screens {
				got[s.Name] = s
			}
			for _, n := range Names {
				if _, ok := got[n]; !ok {
					t.Errorf("no %s screen", n)
				}
			}
			for _, s := range screens {
				if strings.TrimSpace(s.Text) == "" {
					t.Errorf("%s: the emulated screen is empty", s.Name)
				}
				if strings.Contains(s.ANSI, canary) || strings.Contains(s.Text, canary) {
					t.Errorf("%s shows the secret canary:\n%s", s.Name, s.Text)
				}
				if !strings.Contains(s.ANSI, "\x1b[") {
					t.Errorf("%s: no colours; the screenshots are meant to be in colour", s.Name)
				}
				lines := strings.Split(ansi.Strip(s.ANSI), "\n")
				if len(lines) != h {
					t.Errorf("%s: %d rows, want %d", s.Name, len(lines), h)
				}
				for i, l := range lines {
					if lw := ansi.StringWidth(l); lw != w {
						t.Errorf("%s: row %d is %d wide, want %d: %q", s.Name, i, lw, w, l)
					}
				}
				// The text must agree with the ANSI: nothing scrolled off or wrapped.
				if plain := strings.Join(trimRight(lines), "\n"); strings.TrimRight(plain, "\n") != strings.TrimRight(s.Text, "\n") {
					t.Errorf("%s: the ANSI and the text of the screen differ:\n%s\n---\n%s", s.Name, plain, s.Text)
				}
			}
		})
	}
}

func trimRight(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(l, " ")
	}
	return out
}

// TestPNG renders one screen with freeze when it is installed (it is not in CI) and
// checks the result is a PNG.
func TestPNG(t *testing.T) {
	freeze, err := FindFreeze("")
	if err != nil {
		t.Skip(err)
	}
	if testing.Short() {
		t.Skip("freeze takes seconds")
	}
	screens, err := Screens(Options(), 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "start.ansi"), filepath.Join(dir, "start.png")
	if err := os.WriteFile(in, []byte(screens[0].ANSI), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PNG(context.Background(), freeze, in, out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s is not a PNG", out)
	}
}

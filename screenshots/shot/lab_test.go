package shot

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/ssisha/ssisha/remote/lab"
)

// trueColors finds the distinct RGB colours of an ANSI screen as cells writes it.
var trueColors = regexp.MustCompile(`[34]8;2;\d+;\d+;\d+`)

// TestLabScreens runs the generator's tour of a lab end to end at 120x40, the size of
// the README's pictures: every screen of Names is captured, fills the terminal, draws
// something in colour, and shows none of the lab's secrets.
func TestLabScreens(t *testing.T) {
	if testing.Short() {
		t.Skip("the tour applies every step to a lab")
	}
	t.Parallel()
	const w, h = 120, 40
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var secrets map[string]string
	// A quarter of the pictures' speed: the same tour with shorter waits in the lab,
	// so that it stays well inside CI's time under the race detector.
	screens, err := labScreens(ctx, w, h, LabSpeed/4, func(l *lab.Lab) { secrets = l.Secrets() })
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) == 0 {
		t.Fatal("the lab has no secrets to look for")
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
		colours := map[string]bool{}
		for _, c := range trueColors.FindAllString(s.ANSI, -1) {
			colours[c] = true
		}
		if len(colours) < 3 {
			t.Errorf("%s: %d TrueColor colours; the pictures are meant to be in colour", s.Name, len(colours))
		}
		for k, v := range secrets {
			if v != "" && (strings.Contains(s.ANSI, v) || strings.Contains(s.Text, v)) {
				t.Errorf("%s shows the value of %s:\n%s", s.Name, k, s.Text)
			}
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
	}
	// Each picture shows what its name says.
	for name, want := range map[string]string{
		"start":                       "Answer the questions",
		"questions-nodes-and-version": "Questions 1/7",
		"questions-secrets":           "Questions 7/7",
		"preflight":                   ": ⚠ Warning",
		"plan":                        "# on node",
		"run":                         "running • step 5",
		"run-failed":                  "Step 7 failed on " + failHost,
		"summary":                     "Verification",
		"steps":                       "what is done on each node",
	} {
		if s, ok := got[name]; ok && !strings.Contains(s.Text, want) {
			t.Errorf("%s does not show %q:\n%s", name, want, s.Text)
		}
	}
	for _, s := range screens {
		if strings.HasPrefix(s.Name, "questions-") && !strings.Contains(s.Text, failMark) {
			t.Errorf("%s shows no failing check:\n%s", s.Name, s.Text)
		}
	}
}

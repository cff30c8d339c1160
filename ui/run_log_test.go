package ui

import (
	"strings"
	"testing"
)

// A suggested command is one line, whole, and names the answer file, so it works as
// shown when copied.
func TestCommandLinesKeepCommandsWhole(t *testing.T) {
	fix := "fix the cause, then run `ssisha apply --steps 7` again; `ssisha rollback --steps 7` undoes it"
	got := commandLines("Fix: "+fix, "answers.yaml", 30)
	want := []string{"  ssisha apply --steps 7 -f answers.yaml", "  ssisha rollback --steps 7 -f answers.yaml"}
	for _, w := range want {
		found := false
		for _, l := range got {
			found = found || l == w
		}
		if !found {
			t.Errorf("no line %q in %q", w, got)
		}
	}
	for _, l := range got {
		if !strings.HasPrefix(l, "  ssisha") && width(l) > 30 {
			t.Errorf("prose line %q is wider than 30", l)
		}
	}
	if got := commandLines("run `ssisha plan -f other.yaml`", "answers.yaml", 80); got[len(got)-1] != "  ssisha plan -f other.yaml" {
		t.Errorf("a command that names its file got another: %q", got)
	}
}

// The command log shows what a script does, not the comment naming its operation.
func TestFirstStatementSkipsComments(t *testing.T) {
	for script, want := range map[string]string{
		"# ssisha-op: set-master-settings\n# read-only\n\n$ErrorActionPreference = 'Stop'\n$x = 1\n$y = 2": "$x = 1",
		"-- ssisha-op: ag-join\nALTER AVAILABILITY GROUP [AG] JOIN":                                        "ALTER AVAILABILITY GROUP [AG] JOIN",
		"# only a comment": "",
	} {
		if got := firstStatement(script); got != want {
			t.Errorf("firstStatement(%q) = %q, want %q", script, got, want)
		}
	}
}

// The summary goes back one screen, to the run it sums up, and F1 opens the keys'
// help on every screen, with why a disabled key is off.
func TestSummaryBackAndF1Help(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 120, 40)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	press(m, "a", "y")
	if m.screen != scrSummary {
		t.Fatalf("screen = %v after apply, want summary", m.screen)
	}
	if !strings.Contains(screen(m), "esc back") {
		t.Errorf("the summary offers no way back:\n%s", screen(m))
	}
	press(m, "esc")
	if m.screen != scrRun {
		t.Errorf("esc on the summary went to %v, want the run", m.screen)
	}
	press(m, "f1")
	if !m.longHelp || !strings.Contains(screen(m), "(no step failed)") {
		t.Errorf("f1 does not open the help with why keys are off:\n%s", screen(m))
	}
}

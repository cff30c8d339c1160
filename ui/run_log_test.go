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

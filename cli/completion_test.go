package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out := runCLI(t, nil, false, "", "completion", shell)
		if code != 0 {
			t.Errorf("completion %s exited %d:\n%s", shell, code, out)
			continue
		}
		// Every script asks ssisha itself for the candidates, which is what makes the
		// completion of --steps dynamic.
		if !strings.Contains(out, "__complete") {
			t.Errorf("the %s completion script does not call ssisha __complete", shell)
		}
	}
}

func TestCompletionOfSteps(t *testing.T) {
	all := steps.All()
	for _, tc := range []struct {
		args   []string
		typed  string
		prefix string
	}{
		{[]string{"apply"}, "", ""},
		{[]string{"plan"}, "", ""},
		{[]string{"rollback"}, "", ""},
		{[]string{"apply"}, "5,", "5,"},
		{[]string{"rollback"}, "9-", "9-"},
	} {
		args := append([]string{"__complete"}, tc.args...)
		args = append(args, "-f", "answers.yaml", "--steps", tc.typed)
		code, out := runCLI(t, nil, false, "", args...)
		if code != 0 {
			t.Fatalf("%v exited %d:\n%s", args, code, out)
		}
		for _, s := range all {
			want := fmt.Sprintf("%s%d\t%s\n", tc.prefix, s.ID(), s.Title())
			if !strings.Contains(out, want) {
				t.Errorf("%v does not offer %q:\n%s", args, want, out)
			}
		}
		// 6: no space after the value (more steps may follow a comma), and no file names.
		if !strings.Contains(out, "\n:6\n") {
			t.Errorf("%v: the directive is not :6 (no space, no files):\n%s", args, out)
		}
	}
}

func TestManWritesAPagePerCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "manpages")
	code, out := runCLI(t, nil, false, "", "man", "--dir", dir)
	if code != 0 {
		t.Fatalf("man exited %d:\n%s", code, out)
	}
	for _, page := range []string{"ssisha.1", "ssisha-apply.1", "ssisha-plan.1", "ssisha-validate.1", "ssisha-schema.1", "ssisha-lab-serve.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("no page %s: %v", page, err)
			continue
		}
		if !strings.Contains(string(b), ".TH \"SSISHA\" \"1\"") {
			t.Errorf("%s is not a section 1 manual page:\n%.300s", page, b)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ssisha-apply.1"))
	if !strings.Contains(string(b), "steps") || !strings.Contains(string(b), "yes") {
		t.Errorf("ssisha-apply.1 does not describe apply's flags:\n%s", b)
	}
	if code, _ := runCLI(t, nil, false, "", "man"); code != ExitInvalid {
		t.Errorf("man without --dir exited %d, want %d", code, ExitInvalid)
	}
}

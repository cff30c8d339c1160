package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs ssisha in process with the given environment and terminal-ness.
func runCLI(t *testing.T, env map[string]string, tty bool, stdin string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	a := newApp(BuildInfo{Version: "1.2.3", Commit: "abc1234", Date: "2026-11-25"}, strings.NewReader(stdin), &out, &out, func(k string) string { return env[k] })
	a.isTerminal = func() bool { return tty }
	return a.run(context.Background(), args), out.String()
}

func TestParseSteps(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  bool
	}{
		{"", nil, false},
		{"5", []int{5}, false},
		{"5,6", []int{5, 6}, false},
		{"9-7", []int{7, 8, 9}, false},
		{"1-3,8, 2", []int{1, 2, 3, 8}, false},
		{"0", nil, true},
		{"10", nil, true},
		{"a", nil, true},
		{"3-", nil, true},
	} {
		got, err := parseSteps(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("parseSteps(%q) error = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if err == nil && !equalInts(got, tc.want) {
			t.Errorf("parseSteps(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "--steps") {
			t.Errorf("parseSteps(%q) error does not name the flag: %v", tc.in, err)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHelpDescribesTheCommandLine(t *testing.T) {
	code, out := runCLI(t, nil, false, "", "--help")
	if code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, cmd := range []string{"lab", "validate", "plan", "apply", "rollback", "status", "verify", "version"} {
		if !strings.Contains(out, cmd) {
			t.Errorf("--help does not list %s:\n%s", cmd, out)
		}
	}
	for _, tc := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"apply", "--help"}, []string{"--steps", "--yes", "--output", "--bundle", "--parallel", "--secrets", "--journal"}},
		{[]string{"plan", "--help"}, []string{"--out", "--steps"}},
		{[]string{"rollback", "--help"}, []string{"--steps", "--yes"}},
		{[]string{"verify", "--help"}, []string{"--failover", "--report"}},
		{[]string{"validate", "--help"}, []string{"--offline"}},
		{[]string{"lab", "serve", "--help"}, []string{"--dir", "--masters", "--workers", "--sql-version", "--speed", "--latency"}},
	} {
		code, out := runCLI(t, nil, false, "", tc.args...)
		if code != 0 {
			t.Errorf("%v exited %d", tc.args, code)
		}
		for _, f := range tc.flags {
			if !strings.Contains(out, f) {
				t.Errorf("%v does not describe %s", tc.args, f)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	code, out := runCLI(t, nil, false, "", "version")
	if code != 0 || !strings.Contains(out, "1.2.3") || !strings.Contains(out, "abc1234") || !strings.Contains(out, "2026-11-25") {
		t.Errorf("version exited %d with %q; want the version, commit and date", code, out)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"apply", "--no-such-flag"},
		{"apply"},
		{"plan", "-f", "answers.yaml", "--steps", "12"},
		{"lab", "serve"},
		{"lab", "serve", "--dir", "x", "--masters", "1"},
		{"status", "-f", "answers.yaml", "--output", "xml"},
		{"plan", "-f", "answers.yaml", "--output", "yaml"},
		{"validate", "--offline", "-f", "../steps/answers/testdata/good.yaml", "--parallel", "-5"},
		{"version", "--color", "purple"},
	} {
		code, out := runCLI(t, nil, false, "", args...)
		if code != ExitInvalid {
			t.Errorf("%v exited %d, want %d:\n%s", args, code, ExitInvalid, out)
		}
		if !strings.Contains(out, "ssisha:") {
			t.Errorf("%v printed no error:\n%s", args, out)
		}
	}
}

func TestLabRefusesStrictBefore2022(t *testing.T) {
	for _, v := range []string{"2017", "2019"} {
		code, out := runCLI(t, nil, false, "", "lab", "serve", "--dir", t.TempDir(), "--encrypt", "strict", "--sql-version", v)
		if code != ExitInvalid || !strings.Contains(out, "SQL Server "+v+" has no TDS 8.0") || !strings.Contains(out, "--sql-version 2022") {
			t.Errorf("lab serve --encrypt strict --sql-version %s exited %d:\n%s", v, code, out)
		}
	}
}

func TestLabKerberosFlagsGoTogether(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kerberos-realm", "CONTOSO.COM"}, "go together"},
		{[]string{"--kerberos-keytab", "lab.keytab"}, "go together"},
		{[]string{"--no-ntlm"}, "--kerberos-realm"},
	} {
		args := append([]string{"lab", "serve", "--dir", t.TempDir()}, tc.args...)
		if code, out := runCLI(t, nil, false, "", args...); code != ExitInvalid || !strings.Contains(out, tc.want) {
			t.Errorf("%v exited %d:\n%s", tc.args, code, out)
		}
	}
}

func TestValidateOffline(t *testing.T) {
	code, out := runCLI(t, nil, false, "", "validate", "--offline", "-f", filepath.Join("..", "steps", "answers", "testdata", "good.yaml"))
	if code != 0 {
		t.Errorf("a correct file exited %d:\n%s", code, out)
	}
	code, out = runCLI(t, nil, false, "", "validate", "--offline", "-f", filepath.Join("..", "steps", "answers", "testdata", "mistakes.yaml"))
	if code != ExitInvalid {
		t.Errorf("a file with mistakes exited %d, want 2:\n%s", code, out)
	}
	for _, path := range []string{"masterService.account", "line "} {
		if !strings.Contains(out, path) {
			t.Errorf("the problems do not name %q:\n%s", path, out)
		}
	}
	if n := strings.Count(out, "\n  - "); n < 3 {
		t.Errorf("validate listed %d problems; the file has several and all should be listed at once:\n%s", n, out)
	}
}

func TestSecretsFileMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	sec := filepath.Join(dir, "secrets.env")
	if err := os.WriteFile(sec, []byte("SSISHA_LOGGING_PASSWORD=Canary-P@ss-0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, nil, false, "", "plan", "-f", filepath.Join("..", "steps", "answers", "testdata", "good.yaml"), "--secrets", sec)
	if code != ExitInvalid || !strings.Contains(out, "chmod 600") {
		t.Errorf("a world-readable secrets file exited %d:\n%s", code, out)
	}
	if strings.Contains(out, "Canary-P@ss-0") {
		t.Errorf("the secret leaked into the output:\n%s", out)
	}
}

func TestMissingSecretsWithoutTerminalNamesTheVariables(t *testing.T) {
	code, out := runCLI(t, nil, false, "", "plan", "-f", filepath.Join("..", "steps", "answers", "testdata", "good.yaml"))
	if code != ExitInvalid {
		t.Fatalf("exited %d, want 2:\n%s", code, out)
	}
	for _, v := range []string{"SSISHA_WINRM_PASSWORD", "SSISHA_LOGGING_PASSWORD", "SSISHA_MASTER_KEY_PASSWORD"} {
		if !strings.Contains(out, v) {
			t.Errorf("the error does not name %s:\n%s", v, out)
		}
	}
}

func TestConfirmRefusesWithoutTerminal(t *testing.T) {
	a := newApp(BuildInfo{}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
	a.isTerminal = func() bool { return false }
	if err := a.confirm(false, "Apply?"); exitCode(err) != ExitAborted || !strings.Contains(err.Error(), "--yes") {
		t.Errorf("without a terminal and --yes: %v (exit %d), want exit 3 naming --yes", err, exitCode(err))
	}
	if err := a.confirm(true, "Apply?"); err != nil {
		t.Errorf("with --yes: %v", err)
	}
	for _, tc := range []struct {
		in   string
		code int
	}{{"y\n", ExitOK}, {"yes\n", ExitOK}, {"n\n", ExitAborted}, {"\n", ExitAborted}} {
		a := newApp(BuildInfo{}, strings.NewReader(tc.in), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" })
		a.isTerminal = func() bool { return true }
		if got := exitCode(a.confirm(false, "Apply?")); got != tc.code {
			t.Errorf("answer %q: exit %d, want %d", tc.in, got, tc.code)
		}
	}
}

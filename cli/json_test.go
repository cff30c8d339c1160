package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// split runs one command against the lab with stdout and stderr apart, as a script
// reading --output json sees them.
func (r *labRun) split(args ...string) (code int, stdout, stderr string) {
	r.t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(BuildInfo{Version: "test"}, strings.NewReader(""), &out, &errOut, func(k string) string { return r.env[k] })
	a.isTerminal = func() bool { return false }
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full := append(append([]string(nil), args...), "-f", r.answers, "--secrets", r.secrets, "--journal", r.journalPath())
	return a.run(ctx, full), out.String(), errOut.String()
}

// decodeOne reads stdout as exactly one JSON object into v.
func decodeOne(t *testing.T, what, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not the documented JSON object: %v\n%s", what, err, stdout)
	}
	if dec.More() {
		t.Fatalf("%s printed more than one JSON value:\n%s", what, stdout)
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)

	code, stdout, stderr := r.split("validate", "--output", "json")
	var rep validateJSON
	decodeOne(t, "validate --output json", stdout, &rep)
	if code != 0 || !rep.OK || len(rep.Problems) != 0 || rep.Offline {
		t.Errorf("validate of the lab: exit %d, %+v\n%s", code, rep, stderr)
	}
	if len(rep.Reach) == 0 || len(rep.Facts) == 0 || len(rep.Preflight) == 0 {
		t.Errorf("validate --output json lacks reach, networkFacts or preflight: %+v", rep)
	}
	for _, f := range rep.Facts {
		if f.Field == "" || f.Status != "ok" && f.Status != "warn" {
			t.Errorf("network fact %+v: want a field and ok or warn", f)
		}
	}

	code, stdout, _ = r.split("validate", "--offline", "--output", "json")
	rep = validateJSON{}
	decodeOne(t, "validate --offline --output json", stdout, &rep)
	if code != 0 || !rep.OK || !rep.Offline || rep.Reach != nil || rep.Preflight != nil {
		t.Errorf("validate --offline of the lab: exit %d, %+v", code, rep)
	}

	// Every problem of a bad file, each with its path, line and fix; exit 2.
	data, err := os.ReadFile(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "domain: CONTOSO", "domain: CONTOSO.COM", 1)
	bad = strings.Replace(bad, "name: SSISCL", "name: SSIS_CL", 1)
	r.answers = filepath.Join(r.dir, "bad.yaml")
	if err := os.WriteFile(r.answers, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = r.split("validate", "--offline", "--output", "json")
	rep = validateJSON{}
	decodeOne(t, "validate --output json of a bad file", stdout, &rep)
	if code != ExitInvalid || rep.OK {
		t.Errorf("a bad file: exit %d, ok %v; want 2 and false", code, rep.OK)
	}
	paths := map[string]problemJSON{}
	for _, p := range rep.Problems {
		paths[p.Path] = p
	}
	for _, want := range []string{"domain", "cluster.name"} {
		p, ok := paths[want]
		if !ok || p.Line == 0 || p.Problem == "" || p.Fix == "" {
			t.Errorf("problem of %s: %+v (all: %+v)", want, p, rep.Problems)
		}
	}
	if !strings.Contains(stderr, "problem") {
		t.Errorf("stderr does not say why validate failed: %q", stderr)
	}

	// A key ssisha does not know stops the file being read: still one object.
	if err := os.WriteFile(r.answers, []byte(string(data)+"extra: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = r.split("validate", "--offline", "--output", "json")
	rep = validateJSON{}
	decodeOne(t, "validate --output json of an unreadable file", stdout, &rep)
	if code != ExitInvalid || rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Line == 0 {
		t.Errorf("an unknown key: exit %d, %+v", code, rep)
	}
}

func TestVerifyJSON(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	// Nothing is set up yet, so checks fail: the object still comes, and exit is 1.
	code, stdout, _ := r.split("verify", "--output", "json")
	var rep verifyJSON
	decodeOne(t, "verify --output json", stdout, &rep)
	if code != ExitStepFailed || rep.OK || rep.Failed == 0 {
		t.Errorf("verify of a fresh lab: exit %d, ok %v, %d failed; want 1, false and failures", code, rep.OK, rep.Failed)
	}
	if n := rep.Success + rep.Warning + rep.Failed + rep.Skipped; n != len(rep.Checks) || n == 0 {
		t.Errorf("the counts add up to %d, but there are %d checks", n, len(rep.Checks))
	}
	steps := map[int]bool{}
	for _, c := range rep.Checks {
		steps[c.Step] = true
		if c.Target == "" || c.Name == "" || c.Title == "" {
			t.Errorf("check without target, name or title: %+v", c)
		}
		if c.Status == "Failed" && c.Fix == "" {
			t.Errorf("failed check without a fix: %+v", c)
		}
	}
	if len(steps) != 9 {
		t.Errorf("verify covers steps %v, want all nine", steps)
	}
}

package cli

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// apply checks the secrets before it changes anything: a master key password SQL
// Server would refuse, given in the environment, stops it with exit 2 and the estate
// as it was.
func TestApplyRefusesBadSecretsBeforeAnyChange(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 0)
	before := r.estateJSON()
	r.env["SSISHA_MASTER_KEY_PASSWORD"] = "Ab1!x"
	code, out := r.cmd("apply", "--yes")
	if code != ExitInvalid || !strings.Contains(out, "SSISHA_MASTER_KEY_PASSWORD") {
		t.Errorf("apply with a 5-character master key password exited %d, want 2 naming the variable:\n%s", code, out)
	}
	if strings.Contains(out, "Ab1!x") {
		t.Errorf("the refusal shows the password:\n%s", out)
	}
	if d := estateDiff("", before, r.estateJSON()); len(d) > 0 {
		t.Errorf("apply changed the estate although it refused: %v", d)
	}
}

// apply runs preflight before any change: a failed check stops it with exit 1; it
// may go on only when the check is named with --skip-check, and the journal records
// that the run skipped it.
func TestApplyRunsPreflightAndSkipsOnlyNamedChecks(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	r.lab.Estate(func(e *estate.Estate) {
		for host, n := range e.Nodes {
			if strings.HasPrefix(host, "worker") {
				n.PendingReboot = true
			}
		}
	})
	before := r.estateJSON()
	code, out := r.cmd("apply", "--yes", "--steps", "1")
	if code != ExitStepFailed || !strings.Contains(out, "No restart pending") {
		t.Errorf("apply with a failed preflight check exited %d, want 1 naming the check:\n%s", code, out)
	}
	if d := estateDiff("", before, r.estateJSON()); len(d) > 0 {
		t.Errorf("apply changed the estate although preflight failed: %v", d)
	}
	if code, out := r.cmd("apply", "--yes", "--steps", "1", "--skip-check", "no such check"); code != ExitInvalid || !strings.Contains(out, "No restart pending") {
		t.Errorf("an unknown --skip-check exited %d, want 2 listing the checks:\n%s", code, out)
	}
	r.must("apply", "--yes", "--steps", "1", "--skip-check", "no restart pending")
	var starts []engine.Record
	for _, rec := range readJournal(t, r.journalPath()) {
		if rec.Kind == engine.KindRunStart {
			starts = append(starts, rec)
		}
	}
	if len(starts) != 1 || !reflect.DeepEqual(starts[0].SkippedChecks, []string{"No restart pending"}) {
		t.Errorf("the journal's run starts do not record the skipped check: %+v", starts)
	}
}

// validate --offline checks the secrets it is given: a logging password with a quote
// would break the connection string workers parse.
func TestValidateOfflineChecksSecrets(t *testing.T) {
	env := map[string]string{"SSISHA_LOGGING_PASSWORD": "Str0ng'Passw0rd"}
	code, out := runCLI(t, env, false, "", "validate", "--offline", "-f", goodAnswers())
	if code != ExitInvalid || !strings.Contains(out, "SSISHA_LOGGING_PASSWORD") {
		t.Errorf("validate --offline with a bad logging password exited %d, want 2:\n%s", code, out)
	}
	if strings.Contains(out, "Str0ng'Passw0rd") {
		t.Errorf("the refusal shows the password:\n%s", out)
	}
}

func goodAnswers() string {
	p := "../steps/answers/testdata/good.yaml"
	if _, err := os.Stat(p); err != nil {
		panic(err)
	}
	return p
}

// apply refuses to send the logging and master key passwords over a SQL connection
// that is not encrypted, before any change, unless --allow-cleartext-secrets.
func TestApplyRefusesCleartextSecrets(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 0)
	ans, err := answers.Load(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	ans.Connection.SQL.Encrypt = "false"
	if err := answers.Save(r.answers, ans); err != nil {
		t.Fatal(err)
	}
	before := r.estateJSON()
	code, out := r.cmd("apply", "--yes")
	if code != ExitInvalid || !strings.Contains(out, "--allow-cleartext-secrets") {
		t.Errorf("apply over unencrypted SQL exited %d, want 2 saying how to allow it:\n%s", code, out)
	}
	if d := estateDiff("", before, r.estateJSON()); len(d) > 0 {
		t.Errorf("apply changed the estate although it refused: %v", d)
	}
}

// verify --report writes a file for its user only, as the journal is.
func TestVerifyReportIsPrivate(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 0)
	report := r.dir + "/report.md"
	if err := os.WriteFile(report, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.cmd("verify", "--report", report)
	info, err := os.Stat(report)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("the report has mode %04o, want 0600", info.Mode().Perm())
	}
}

package engine

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ssisha/ssisha/steps"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the tests with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; run with -update if the change is intended\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestVerifyReport(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s1.verifyFails = map[string]bool{"node2.contoso.com": true}
	s1.secret = w.secret()
	rep, err := w.engine(0, s1, newFakeStep(2, steps.ClusterOnce, w.tr, "a")).Verify(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() || len(rep.Checks) != 3 {
		t.Errorf("report: failed %v, %d checks; want failed, 3", rep.Failed(), len(rep.Checks))
	}
	if n := len(w.events.kinds(CheckFinished)); n != 3 {
		t.Errorf("%d check-finished events, want 3", n)
	}
	golden(t, "verify.md", rep.Markdown())
}

func TestTextLines(t *testing.T) {
	events := []Event{
		{Kind: RunStarted, Mode: "apply", RunID: "r1"},
		{Kind: DetectStarted, Step: 5, Target: "node2.contoso.com"},
		{Kind: DetectFinished, Step: 5, Target: "node2.contoso.com", State: "drift", Message: "SqlServerName is NODE1"},
		{Kind: StepStarted, Step: 5, Title: "Update the master settings"},
		{Kind: ActionStarted, Step: 5, Target: "node2.contoso.com", Summary: "Set SqlServerName to SSISLSN,1433"},
		{Kind: ActionOutput, Step: 5, Target: "node2.contoso.com", Message: "service restarted"},
		{Kind: ActionFinished, Step: 5, Target: "node2.contoso.com", Summary: "Set SqlServerName to SSISLSN,1433", Status: StatusSucceeded, Elapsed: 1234 * time.Millisecond},
		{Kind: ActionFinished, Step: 5, Target: "node3.contoso.com", Summary: "Set SqlServerName to SSISLSN,1433", Status: StatusFailed, Error: "access denied", Fix: "grant the account rights"},
		{Kind: CheckFinished, Step: 5, Target: "node2.contoso.com", Check: &CheckResult{Name: "SqlServerName", Status: "Failed", Detail: "is NODE1", Fix: "run step 5 again"}},
		{Kind: TargetFinished, Step: 5, Target: "node1.contoso.com", Status: StatusSkipped, Message: "already done"},
		{Kind: Notice, Step: 5, Target: "node2.contoso.com", Message: "resuming: step 5 on node2.contoso.com was interrupted"},
		{Kind: StepFinished, Step: 5, Title: "Update the master settings", Status: StatusFailed},
		{Kind: RunFinished, Mode: "apply", Status: StatusFailed, Message: "2 of 3 targets succeeded, 1 failed"},
	}
	var buf bytes.Buffer
	sub := TextLines(&buf)
	for _, ev := range events {
		sub(ev)
	}
	golden(t, "text-lines.txt", buf.String())
}

func TestReportRecapCountsSkippedOnce(t *testing.T) {
	r := &Report{Results: []TargetResult{{Status: StatusSucceeded}, {Status: StatusSkipped}, {Status: StatusSkipped}}}
	if got, want := r.Recap(), "1 of 1 targets succeeded, 2 skipped"; got != want {
		t.Errorf("Recap() = %q, want %q", got, want)
	}
	r = &Report{Results: []TargetResult{{Status: StatusUndone}, {Status: StatusUndone}, {Status: StatusSkipped}}}
	if got, want := r.Recap(), "2 of 2 targets undone, 1 skipped"; got != want {
		t.Errorf("Recap() = %q, want %q", got, want)
	}
	r = &Report{Results: []TargetResult{{Status: StatusSkipped}, {Status: StatusSkipped}}}
	if got, want := r.Recap(), "nothing to do: all 2 targets skipped"; got != want {
		t.Errorf("Recap() = %q, want %q", got, want)
	}
}

func TestReportRecap(t *testing.T) {
	r := &Report{Results: []TargetResult{{Status: StatusSucceeded}, {Status: StatusSkipped}, {Status: StatusFailed}, {Status: StatusCancelled}}}
	if got, want := r.Recap(), "1 of 3 targets succeeded, 1 skipped, 1 failed, 1 cancelled"; got != want {
		t.Errorf("Recap() = %q, want %q", got, want)
	}
}

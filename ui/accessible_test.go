package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// lineReader hands out one line per Read, as a terminal does: the accessible prompts
// each read their own line.
type lineReader struct{ lines []string }

func (r *lineReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, nil
	}
	n := copy(p, r.lines[0]+"\n")
	r.lines = r.lines[1:]
	return n, nil
}

// accessibleInput answers every question with its default, then confirms the plan,
// then gives the answers after a failure.
func accessibleInput(a *answers.Answers, s *answers.Secrets, after ...string) *lineReader {
	var lines []string
	for _, q := range newQuestions(a, s) {
		if q.secret != nil && strings.TrimSpace(*q.value) != "" {
			continue
		}
		lines = append(lines, "")
	}
	lines = append(lines, "y")
	return &lineReader{lines: append(lines, after...)}
}

func accessibleSecrets(t *testing.T) *answers.Secrets {
	s := &answers.Secrets{}
	for _, sp := range answers.SecretSpecs() {
		if err := s.Set(sp.Env, "Access-Ible-Secret-7"); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestAccessibleRetriesAFailedStep(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	fb := &FakeBackend{FailStep: 7, FailHost: a.Masters[0].Host, FailTimes: 1}
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Answers: a, Secrets: s, Input: accessibleInput(a, s, "1"), Output: &out})
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"Preflight checks:", "Step 7 failed. What now?", "Retry step 7", "Roll back what this run changed", "Step 7 started"} {
		if !strings.Contains(text, want) {
			t.Errorf("the stream does not say %q:\n%s", want, text)
		}
	}
	calls := strings.Join(fb.Calls(), "; ")
	if !strings.Contains(calls, "apply []") || !strings.Contains(calls, "apply [7 8 9]") {
		t.Errorf("backend calls = %s; want the whole apply, then steps 7 to 9 again", calls)
	}
	if strings.Contains(text, "Access-Ible-Secret-7") {
		t.Error("a secret reached the stream")
	}
}

func TestAccessibleRollsBackAfterAFailure(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	fb := &FakeBackend{FailStep: 7, FailHost: a.Masters[0].Host, FailTimes: 1}
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Answers: a, Secrets: s, Input: accessibleInput(a, s, "2"), Output: &out})
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out.String())
	}
	calls := fb.Calls()
	last := calls[len(calls)-1]
	if !strings.HasPrefix(last, "rollback [") || !strings.Contains(last, "1") || !strings.Contains(last, "7") {
		t.Errorf("last backend call = %s; want a rollback of the steps this run changed, 7 included", last)
	}
}

func TestAccessibleStopsWhenAsked(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	fb := &FakeBackend{FailStep: 7, FailHost: a.Masters[0].Host, FailTimes: 1}
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Answers: a, Secrets: s, Input: accessibleInput(a, s, "3"), Output: &out})
	if err == nil || !strings.Contains(err.Error(), "step 7 failed") {
		t.Errorf("RunAccessible = %v; want the failure reported", err)
	}
	if !strings.Contains(out.String(), "resume") {
		t.Errorf("stopping does not say how to resume:\n%s", out.String())
	}
}

func TestAccessibleSaysALongActionIsStillRunning(t *testing.T) {
	got := engine.Text(engine.Event{Kind: engine.ActionRunning, Step: 2, Target: "node1.contoso.com",
		Summary: "Install Integration Services and Scale Out Master", Elapsed: 3*time.Minute + 400*time.Millisecond}, engine.Spoken)
	want := "Step 2 on node1.contoso.com: still running after 3m0s: Install Integration Services and Scale Out Master"
	if got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

// accessibleDefaults is one empty line (keep the shown value) per question asked.
func accessibleDefaults(a *answers.Answers, s *answers.Secrets) []string {
	var lines []string
	for _, q := range newQuestions(a, s) {
		if q.secret != nil && strings.TrimSpace(*q.value) != "" {
			continue
		}
		lines = append(lines, "")
	}
	return lines
}

func TestAccessibleChecksTheNetworkAndAsksAgain(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	a.Workers[len(a.Workers)-1].Host = "worker9.contoso.com"
	fb := &FakeBackend{}
	lines := append(accessibleDefaults(a, s), "1", "worker1.contoso.com, worker2.contoso.com", "y")
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Answers: a, Secrets: s, Input: &lineReader{lines: lines}, Output: &out})
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"Network checks:",
		"worker9.contoso.com does not resolve",
		"1 answer(s) did not pass the network checks. What now?",
		"Answer those questions again",
		"Worker hosts (worker1.contoso.com, worker2.contoso.com): ok",
		"Preflight checks:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the stream does not say %q:\n%s", want, text)
		}
	}
	if got := a.WorkerHosts(); len(got) != 2 || got[1] != "worker2.contoso.com" {
		t.Errorf("workers = %v, want the answer given again", got)
	}
	if !strings.Contains(strings.Join(fb.Calls(), "; "), "apply") {
		t.Errorf("backend calls = %v; want the run to go on to apply", fb.Calls())
	}
	if strings.Contains(text, "Access-Ible-Secret-7") {
		t.Error("a secret reached the stream")
	}
}

func TestAccessibleStopsAtTheNetworkChecks(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	a.Workers[0].Host = "worker9.contoso.com"
	fb := &FakeBackend{}
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Answers: a, Secrets: s, Input: &lineReader{lines: append(accessibleDefaults(a, s), "3")}, Output: &out})
	if err == nil || !strings.Contains(err.Error(), "network checks") {
		t.Fatalf("err = %v, want a stop at the network checks\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "Preflight checks:") {
		t.Error("the preflight ran after the user stopped")
	}
}

// Each question is read out whole, with the value an empty line keeps, and nothing
// on the stream is an escape code.
func TestAccessibleReadsOutEachQuestion(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: &FakeBackend{}, Answers: a, Secrets: s, Input: accessibleInput(a, s), Output: &out})
	if err != nil {
		t.Fatalf("RunAccessible: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		`Failover cluster name: The WSFC the master nodes belong to (at most 15 characters). Press Enter to keep "SSISCL".`,
		`Master nodes: SQL Server replicas that run the master; the first is the primary. Press Enter to keep "node1.contoso.com, node2.contoso.com".`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the stream does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("the stream holds escape codes:\n%q", text)
	}
}

// endingReader hands out one line per Read, then says the input ended.
type endingReader struct{ lines []string }

func (r *endingReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.lines[0]+"\n")
	r.lines = r.lines[1:]
	return n, nil
}

// TestAccessibleRefusesAnInvalidChoice: SQL Server version 2016 is refused at its
// prompt, and input that ends without a valid answer exits 2 before anything runs.
func TestAccessibleRefusesAnInvalidChoice(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	var lines []string
	for _, q := range newQuestions(a, s) {
		if q.key == "sqlVersion" {
			lines = append(lines, "2016")
			break
		}
		lines = append(lines, "")
	}
	fb := &FakeBackend{}
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Answers: a, Secrets: s, Input: &endingReader{lines: lines}, Output: &out})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("RunAccessible = %v, want exit code 2\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), `"2016" is not a choice`) {
		t.Errorf("the prompt did not refuse 2016:\n%s", out.String())
	}
	if calls := fb.Calls(); len(calls) > 0 {
		t.Errorf("the backend ran after invalid input: %v", calls)
	}
}

// TestAccessibleDecliningTheApplyExits3: saying no to "Apply the plan?" applies
// nothing and exits 3.
func TestAccessibleDecliningTheApplyExits3(t *testing.T) {
	a, s := answers.Example(), accessibleSecrets(t)
	in := accessibleInput(a, s)
	in.lines[len(in.lines)-1] = "n"
	fb := &FakeBackend{}
	var out bytes.Buffer
	err := RunAccessible(context.Background(), Options{Backend: fb, Answers: a, Secrets: s, Input: in, Output: &out})
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("RunAccessible = %v, want exit code 3\n%s", err, out.String())
	}
	for _, c := range fb.Calls() {
		if strings.HasPrefix(c, "apply") {
			t.Errorf("apply ran after the user declined: %v", fb.Calls())
		}
	}
}

package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// freshLab plans as a fresh lab does: steps 1 and 2 pending, the later ones blocked
// because they cannot be detected before the earlier ones are done.
type freshLab struct{ *FakeBackend }

func (f freshLab) Plan(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	p, err := f.FakeBackend.Plan(ctx, a, s, emit)
	if p == nil {
		return p, err
	}
	for i := range p.Steps {
		for j := range p.Steps[i].Targets {
			d := &p.Steps[i].Targets[j].Detection
			if p.Steps[i].ID >= 3 && d.State == steps.StatePending {
				*d = steps.Detection{State: steps.StateBlocked, Reason: "waits for step 2"}
			}
		}
	}
	return p, err
}

// TestWizardStepsTextIsHonest: on a fresh lab nothing is offered for undo, a step
// that never ran is not run "again", and steps waiting for earlier ones are not
// marked as failures; after steps 1 and 2 the undo names them in the order it runs.
func TestWizardStepsTextIsHonest(t *testing.T) {
	fb := &FakeBackend{}
	wz := newWizard(t, Options{Backend: freshLab{fb}, StartScreen: "steps"}, 100, 30, nil)
	got := wz.waitFor("1 Windows Server Failover Cluster", "worker1 blocked")
	if strings.Contains(got, "u undoes") {
		t.Errorf("a fresh lab offers an undo:\n%s", got)
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.Contains(l, "Add Scale Out Workers") && (!strings.Contains(l, "waiting") || strings.HasPrefix(strings.TrimSpace(l), "x")) {
			t.Errorf("a step waiting for earlier ones is shown as failed: %q", l)
		}
	}
	// Step 4 never ran and waits for the steps before it: it is not run, let alone
	// "again". Step 5 never ran either; what it would set differs from what is there
	// (drift): it runs, not "again".
	wz.keys("j", "j", "j", "r")
	got = wz.waitFor("Step 4 waits for the steps before it")
	if strings.Contains(got, "Run step 4") {
		t.Errorf("step 4, which waits for the steps before it, is offered to run:\n%s", got)
	}
	wz.keys("j", "r")
	got = wz.waitFor("Run step 5?")
	if strings.Contains(got, "Run step 5 again") {
		t.Errorf("step 5, which never ran, is offered to run again:\n%s", got)
	}
	wz.keys("esc", "k", "k", "k", "k", "r")
	got = wz.waitFor("Run step 1?")
	if strings.Contains(got, "Run step 1 again") || strings.Contains(got, "y run again") {
		t.Errorf("a step that never ran is offered to run again:\n%s", got)
	}
	wz.keys("y")
	wz.waitFor("targets succeeded")
	wz.keys("t")
	wz.waitFor("worker1 blocked")
	wz.keys("j", "r", "y")
	wz.waitFor("targets succeeded")
	wz.keys("t")
	wz.waitFor("worker1 blocked", "2 Install Scale Out Master on the primary node     done")
	// The cursor stays on step 2, the one just run.
	wz.waitFor("u undoes step 2, in this order")
	wz.keys("k")
	wz.waitFor("u undoes steps 2, 1, in this order")
	wz.keys("r")
	wz.waitFor("Run step 1 again?")
}

// TestWizardStartNamesOnlyARealAnswerFile: against a real cluster with no answer
// file, Start says the answers are the examples, not a file that does not exist.
func TestWizardStartNamesOnlyARealAnswerFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "answers.yaml")
	wz := newWizard(t, Options{Backend: &FakeBackend{}, AnswersPath: path}, 120, 30, nil)
	got := wz.waitFor("Real cluster", "Answers: example answers")
	if strings.Contains(got, "answers.yaml") {
		t.Errorf("Start names an answer file that does not exist:\n%s", got)
	}
}

// certFirst plans step 2 as the real step runs it: the master's certificate is created
// before the install, so an install that fails leaves the certificate behind.
type certFirst struct{ *FakeBackend }

func (f certFirst) Plan(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	p, err := f.FakeBackend.Plan(ctx, a, s, emit)
	if p == nil {
		return p, err
	}
	for i := range p.Steps {
		if p.Steps[i].ID != 2 {
			continue
		}
		for j := range p.Steps[i].Targets {
			d := &p.Steps[i].Targets[j].Detection
			if len(d.Actions) > 0 {
				cert := d.Actions[0]
				cert.ID, cert.Summary, cert.Kind = "create-master-certificate", "Create the master's certificate CN="+a.MasterService.DNSName, steps.KindCreate
				d.Actions = append([]steps.Action{cert}, d.Actions...)
			}
		}
	}
	return p, err
}

// TestWizardStepsUndoesAFailedStepsChanges: after a run of step 2 that created the
// certificate and then failed, step 2 still detects as pending, but the journal holds
// the certificate: the steps screen offers to undo step 2, and runs it "again".
func TestWizardStepsUndoesAFailedStepsChanges(t *testing.T) {
	fb := &FakeBackend{FailStep: 2, FailHost: "node1.contoso.com", FailTimes: 1}
	wz := newWizard(t, Options{Backend: certFirst{fb}, StartScreen: "steps"}, 100, 30, nil)
	wz.waitFor("1 Windows Server Failover Cluster", "node1 pending")
	wz.keys("r", "y")
	wz.waitFor("targets succeeded")
	wz.keys("t")
	wz.waitFor("u undoes step 1, in this order")
	wz.keys("j", "r", "y")
	wz.waitFor("r retry the step")
	wz.keys("enter")
	wz.waitFor("Summary")
	wz.keys("t")
	got := wz.waitFor("2 Install Scale Out Master on the primary node", "node1 pending")
	if !strings.Contains(got, "u undoes step 2, in this order") {
		t.Fatalf("the steps screen leaves out step 2, whose certificate the failed run created:\n%s", got)
	}
	wz.keys("k")
	wz.waitFor("u undoes steps 2, 1, in this order")
	wz.keys("j", "r")
	wz.waitFor("Run step 2 again?")
}

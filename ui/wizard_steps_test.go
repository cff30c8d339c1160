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
	wz.keys("r")
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

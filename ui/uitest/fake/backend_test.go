package fake

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// The fake's plan is the real one of a fresh lab estate: every one of the nine steps,
// with the actions the steps themselves plan, and the same on every read (the
// pictures of the wizard depend on it).
func TestPlanIsTheLabsAndStable(t *testing.T) {
	a, s, err := LabAnswers(2, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := (&Backend{}).Plan(context.Background(), a, s, func(engine.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != len(steps.All()) {
		t.Fatalf("the plan has %d steps, want %d", len(p.Steps), len(steps.All()))
	}
	for _, ps := range p.Steps {
		n := 0
		for _, tg := range ps.Targets {
			n += len(tg.Detection.Actions)
		}
		if n == 0 {
			t.Errorf("step %d plans no action on a fresh estate", ps.ID)
		}
	}
	again, err := readFacts(2, 1)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := factsFor(2, 1)
	for name, pair := range map[string][2]any{"plan": {first.plan, again.plan}, "preflight": {first.preflight, again.preflight}, "verify": {first.verify, again.verify}} {
		x, _ := json.Marshal(pair[0])
		y, _ := json.Marshal(pair[1])
		if string(x) != string(y) {
			t.Errorf("the %s of two fresh lab estates differ", name)
		}
	}
}

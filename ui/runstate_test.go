package ui

import (
	"testing"

	"github.com/ssisha/ssisha/steps/engine"
)

// Steps overlap when one needs nothing of the other: a node's pane follows the step
// still running there when another of its steps finishes.
func TestNodePaneFollowsTheStepStillRunning(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 120, 40)
	m.run.begin(m.model, opApply, nil, nil)
	const host = "node1.contoso.com"
	for _, ev := range []engine.Event{
		{Kind: engine.StepStarted, Step: 1},
		{Kind: engine.TargetStarted, Step: 1, Target: host},
		{Kind: engine.StepStarted, Step: 2},
		{Kind: engine.TargetStarted, Step: 2, Target: host},
		{Kind: engine.TargetFinished, Step: 1, Target: host, Status: engine.StatusSucceeded},
		{Kind: engine.StepFinished, Step: 1, Status: engine.StatusSucceeded},
	} {
		m.run.event(m.model, ev)
	}
	n := m.run.node(host)
	if n.status != engine.StatusRunning || n.step != 2 {
		t.Errorf("after step 1 ended on %s with step 2 still running there, the pane shows step %d %s", host, n.step, n.status)
	}
	if st := m.run.stepFor(2, "").status; st != engine.StatusRunning {
		t.Errorf("step 2 is %s, want running", st)
	}
	if !m.run.changed[1] {
		t.Error("step 1's change on the node is not counted")
	}
	m.run.event(m.model, engine.Event{Kind: engine.TargetFinished, Step: 2, Target: host, Status: engine.StatusSucceeded})
	if n.status != engine.StatusSucceeded {
		t.Errorf("after every step ended on %s, the pane shows %s", host, n.status)
	}
}

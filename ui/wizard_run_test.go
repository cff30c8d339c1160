package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// heldRun plans step 4 with a T-SQL batch for the secondary, then applies step 4 on
// the primary and step 9 on the last worker, each held until the test lets it go.
type heldRun struct {
	*FakeBackend
	hold chan struct{}
}

func (h heldRun) Plan(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	p, err := h.FakeBackend.Plan(ctx, a, s, emit)
	if p != nil {
		act := &p.Steps[3].Targets[0].Detection.Actions[0]
		act.Commands = append(act.Commands, steps.Command{Host: "node2.contoso.com",
			SQL: &script.TSQL{Op: "join-availability-group", Text: "ALTER AVAILABILITY GROUP [AG_SSIS] JOIN"}})
	}
	return p, err
}

func (h heldRun) Apply(ctx context.Context, a *answers.Answers, s *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	for _, at := range []struct {
		step int
		host string
	}{{4, "node1.contoso.com"}, {9, "worker2.contoso.com"}, {9, "worker1.contoso.com"}} {
		pt := p.Steps[at.step-1]
		var act steps.Action
		for _, t := range pt.Targets {
			if t.Target.Host == at.host {
				act = t.Detection.Actions[0]
			}
		}
		emit(engine.Event{Kind: engine.StepStarted, Step: at.step, Title: pt.Title})
		emit(engine.Event{Kind: engine.TargetStarted, Step: at.step, Target: at.host})
		emit(engine.Event{Kind: engine.ActionStarted, Step: at.step, Target: at.host, Action: act.ID, Summary: act.Summary})
		<-h.hold
	}
	return &engine.Report{Status: engine.StatusSucceeded}, nil
}

// TestWizardRunPanesFollowTheWork: at 120 columns the panes stand side by side, a
// T-SQL batch shows in the pane of the replica it runs on, and the focused pane moves
// to the worker when step 9 starts there, until the user picks a pane with tab.
func TestWizardRunPanesFollowTheWork(t *testing.T) {
	a := answers.Example()
	a.Workers = append(a.Workers, answers.Worker{Host: "worker2.contoso.com", Account: a.Workers[0].Account})
	h := heldRun{&FakeBackend{}, make(chan struct{})}
	wz := newWizard(t, Options{Backend: h, Answers: a}, 120, 40, toAppliedSummary)
	got := wz.waitFor("+- node2", "T-SQL join-availability-g")
	sideBySide := false
	for _, l := range strings.Split(got, "\n") {
		if strings.Count(l, "+- ") >= 2 {
			sideBySide = true
		}
	}
	if !sideBySide {
		t.Errorf("no panes side by side at 120 columns:\n%s", got)
	}
	h.hold <- struct{}{}
	wz.waitFor("+- worker2", "running * step 9")
	wz.keys("tab") // from worker2 round to node1
	wz.waitFor("+- node1")
	h.hold <- struct{}{}
	close(h.hold)
	wz.waitFor("targets succeeded")
	if m := wz.final(); m.run.nodes[m.run.tab].host != "node1.contoso.com" {
		t.Errorf("focused pane = %s after the user picked node1, want node1", m.run.nodes[m.run.tab].host)
	}
}

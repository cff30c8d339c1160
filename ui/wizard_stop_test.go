package ui

import (
	"context"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// stuckApply starts one action and keeps it running until its actions' context ends,
// reporting which of the two contexts ended.
type stuckApply struct {
	*FakeBackend
	stopped, cancelled, release chan struct{}
}

func (s stuckApply) Apply(ctx context.Context, a *answers.Answers, sec *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	emit(engine.Event{Kind: engine.StepStarted, Step: 1, Title: "Prerequisites: failover cluster"})
	emit(engine.Event{Kind: engine.ActionStarted, Step: 1, Target: "node1.contoso.com", Action: "a", Summary: "Check cluster SSISCL"})
	<-ctx.Done()
	close(s.stopped)
	<-ActionsContext(ctx).Done()
	close(s.cancelled)
	<-s.release
	return &engine.Report{Status: engine.StatusCancelled}, nil
}

// TestWizardCtrlCAsDocumented: the first Ctrl-C asks; a second confirms the stop,
// which lets the running action go on and says so; Ctrl-C while stopping cancels it.
func TestWizardCtrlCAsDocumented(t *testing.T) {
	b := stuckApply{&FakeBackend{}, make(chan struct{}), make(chan struct{}), make(chan struct{})}
	wz := newWizard(t, Options{Backend: b}, 80, 24, toAppliedSummary)
	wz.waitFor("Check cluster SSISCL")
	wz.keys("ctrl+c")
	wz.waitFor("Stop the run and quit?")
	wz.keys("ctrl+c")
	wz.waitFor("stopping after the running actions")
	<-b.stopped
	select {
	case <-b.cancelled:
		t.Fatal("the first stop cancelled the running action")
	default:
	}
	wz.keys("ctrl+c")
	<-b.cancelled
	wz.waitFor("cancelling the running actions")
	close(b.release)
	wz.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

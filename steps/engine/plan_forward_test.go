package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

func TestPlanPredictsTheStepsAfterAChange(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "install")
	s2 := newFakeStep(2, steps.Primary, w.tr, "configure")
	e := w.engine(0, s1, s2)
	p, err := e.Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Steps[0].Predicted() || !p.Steps[1].Predicted() {
		t.Errorf("predicted: step 1 %t, step 2 %t; want only the step after the change", p.Steps[0].Predicted(), p.Steps[1].Predicted())
	}
	if p.Blocked() != 0 || p.AwaitsEarlierSteps(1) {
		t.Errorf("a plan without a blocked step counts %d blocked and has step 2 waiting: %t", p.Blocked(), p.AwaitsEarlierSteps(1))
	}
	again, err := e.Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint != p.Fingerprint {
		t.Error("two plans of the same estate have different fingerprints")
	}
	st, err := e.Status(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Steps {
		if s.Predicted() {
			t.Errorf("status predicted step %d; it shows the estate as it is", s.ID)
		}
	}
	c := p.Counts()
	if c.Actions != 3 || c.Targets != 3 {
		t.Errorf("counts %+v, want 3 actions on 3 targets", c)
	}
}

func TestPlanStopsLookingAtABlockedStep(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "install")
	s2 := newFakeStep(2, steps.Primary, w.tr, "configure")
	s2.blocked = map[string]bool{"node1.contoso.com": true}
	s3 := newFakeStep(3, steps.EachMaster, w.tr, "finish")
	p, err := w.engine(0, s1, s2, s3).Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Steps[1].Targets[0]; got.Detection.State != steps.StateBlocked || got.Detection.Fix == "" || got.WaitsFor != "" {
		t.Errorf("step 2 is %s (fix %q, waits for %q); want blocked with its own fix", got.Detection.State, got.Detection.Fix, got.WaitsFor)
	}
	for _, tg := range p.Steps[2].Targets {
		if !strings.Contains(tg.WaitsFor, "step 2") || tg.Predicted {
			t.Errorf("step 3 on %s waits for %q (predicted %t); want it to wait for step 2, not predicted", tg.Target.Host, tg.WaitsFor, tg.Predicted)
		}
	}
	if p.Blocked() != 1 {
		t.Errorf("Blocked() = %d, want 1: step 3 only waits", p.Blocked())
	}
}

// surpriseStep is a fake step that needs one more action once step 1 has run: the
// estate turned out otherwise than the plan predicted.
type surpriseStep struct {
	*fakeStep
	after *fakeStep
}

func (s surpriseStep) Detect(ctx context.Context, env *steps.Env, t steps.Target) (steps.Detection, error) {
	d, err := s.fakeStep.Detect(ctx, env, t)
	if s.after.isApplied(t.Host, s.after.acts[0]) {
		return d, err
	}
	d.Actions = slices.DeleteFunc(d.Actions, func(a steps.Action) bool { return a.ID == "surprise" })
	return d, err
}

func TestApplyReportsWhereTheRunDiffersFromThePlan(t *testing.T) {
	for _, follow := range []bool{false, true} {
		w := newWorld(t, 1)
		s1 := newFakeStep(1, steps.EachMaster, w.tr, "install")
		s2 := surpriseStep{newFakeStep(2, steps.Primary, w.tr, "configure", "surprise"), s1}
		e := w.engine(0, s1, s2)
		p, err := e.Plan(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := e.ApplyWith(testCtx(t), p, nil, ApplyOptions{FollowPlan: follow})
		if len(rep.Deviations) != 1 || rep.Deviations[0].Kind != DeviationUnplanned || rep.Deviations[0].Action != "surprise" {
			t.Fatalf("follow %t: deviations %+v, want the surprise action as unplanned", follow, rep.Deviations)
		}
		ran := slices.ContainsFunc(w.tr.all(), func(l string) bool { return strings.HasPrefix(l, "start s2") })
		if follow {
			if !errors.Is(err, ErrStalePlan) || ran {
				t.Errorf("following the plan: error %v, step 2 ran %t; want a stale plan and step 2 not started", err, ran)
			}
		} else if err != nil || !ran || rep.ActionsRun() != 3 {
			t.Errorf("not following the plan: error %v, step 2 ran %t, %d actions ran; want the run to go on with 3", err, ran, rep.ActionsRun())
		}
		if n := len(w.events.kinds(PlanDeviation)); n != 1 {
			t.Errorf("follow %t: %d plan-deviation events, want 1", follow, n)
		}
	}
}

func TestMatchesPlanned(t *testing.T) {
	for _, c := range []struct {
		planned, text string
		want          bool
	}{
		{"same", "same", true},
		{"Bind '<after apply: master certificate thumbprint>' now", "Bind 'AB12CD' now", true},
		{"Bind '<after apply: master certificate thumbprint>' now", "Bind 'AB12CD' later", false},
		{"a <after apply: x> b <after apply: y> c", "a 1 b 2 c", true},
		{"no placeholder", "no placeholder here", false},
		{"SID = <after apply: sid>;\nGO", "SID = 0x0105;\nGO", true},
	} {
		if got := matchesPlanned(c.planned, c.text); got != c.want {
			t.Errorf("matchesPlanned(%q, %q) = %t, want %t", c.planned, c.text, got, c.want)
		}
	}
}

// foresightStep is a fake step whose facts say which earlier steps' actions the plan
// assumes have run, as a real step's facts differ on a projected estate.
type foresightStep struct{ *fakeStep }

func (s foresightStep) Detect(ctx context.Context, env *steps.Env, t steps.Target) (steps.Detection, error) {
	d, err := s.fakeStep.Detect(ctx, env, t)
	d.Facts["assumes"] = env.Projection.Steps()
	return d, err
}

// A part of a plan of every step is checked against what the whole plan predicted,
// not taken for a stale plan.
func TestApplyPartOfAForwardPlan(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "install")
	s2 := foresightStep{newFakeStep(2, steps.Primary, w.tr, "configure")}
	e := w.engine(0, s1, s2)
	p, err := e.Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.ApplyWith(testCtx(t), p, []int{2}, ApplyOptions{AllowOutOfOrder: true})
	if err != nil {
		t.Fatalf("applying step 2 of a plan of both steps: %v", err)
	}
	if statusOf(rep, 2, "node1.contoso.com") != StatusSucceeded || len(rep.Deviations) != 0 {
		t.Errorf("step 2: %s, deviations %v", statusOf(rep, 2, "node1.contoso.com"), rep.Deviations)
	}
	if s1.isApplied("node1.contoso.com", "install") {
		t.Error("step 1 ran though only step 2 was asked for")
	}
}

// An interrupted action is settled from the estate as it is, never from a prediction:
// while an earlier step has work again, its step is only predicted, and the intent
// waits for a run that detects it.
func TestResumeIgnoresPredictedTargets(t *testing.T) {
	w := newWorld(t, 1)
	s1 := newFakeStep(1, steps.Primary, w.tr, "a")
	s2 := hintStep{newFakeStep(2, steps.Primary, w.tr, "b"), map[string]bool{"b": true}}
	e := w.engine(0, s1, s2)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	intent := killAfterLastIntent(t, w)
	s1.setApplied("node1.contoso.com", "a", false) // someone undid step 1 by hand
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	recs, err := w.journal.Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Kind == KindResult && r.Ref == intent.RunID && r.origin() == intent.origin() {
			t.Fatalf("the interrupted intent was settled from a predicted detection: %+v", r)
		}
	}
	if len(e.Interrupted()) != 1 {
		t.Fatalf("interrupted: %v, want the intent of b still open", e.Interrupted())
	}
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	if res := resumedResult(t, w, intent); res.Resolution != ResolvedDone {
		t.Errorf("once step 2 is detected as it is, the intent is settled %s, want done", res.Resolution)
	}
}

package engine

import (
	"context"
	"fmt"

	"github.com/ssisha/ssisha/steps"
)

// The plan covers every step before anything runs. The estate is detected once, as it
// is; then, step by step, the planner assumes that the actions planned so far succeed
// and detects the next step on the estate they leave (a steps.Projection: the facts
// readers answer from it; nothing is written). A value that exists only after apply is
// a named placeholder ("<after apply: master certificate thumbprint>"). Apply detects
// each step again on the real estate when its turn comes and compares it with this
// plan (plan_actual.go).
//
// A step that is blocked on some target, or whose detection failed, is as far as the
// plan can look: the steps after it keep the detection of the estate as it is, each
// target marked with what it waits for.

// planForward detects sel on the estate as it is and on the estate each step's
// planned actions leave for the next.
func (e *Engine) planForward(ctx context.Context, runID string, sel []steps.Step) *Plan {
	cache := steps.NewReadCache()
	p := e.detectWith(ctx, runID, sel, cache)
	if ctx.Err() != nil {
		return p
	}
	proj := steps.NewProjection()
	env := e.runEnv()
	// The projection's rounds share the estate's reads of the first round: the
	// projection adds to what they found, it does not change it.
	env.Reads = cache
	env.Projection = proj
	changed, blocker := false, ""
	for si, s := range sel {
		ps := &p.Steps[si]
		switch {
		case blocker != "":
			for ti := range ps.Targets {
				if t := &ps.Targets[ti]; t.Err != "" || t.Detection.State != steps.StateDone {
					t.WaitsFor = blocker
				}
			}
		case changed:
			e.predictStep(ctx, env, s, ps)
		}
		for _, t := range ps.Targets {
			switch {
			case blocker != "":
			case t.Err != "":
				blocker = fmt.Sprintf("step %d, whose detection failed on %s", s.ID(), t.Target.Host)
			case t.Detection.State == steps.StateBlocked:
				blocker = fmt.Sprintf("step %d, blocked on %s", s.ID(), t.Target.Host)
			case len(t.Detection.Actions) > 0:
				changed = true
				proj.Assume(s.ID(), t.Target, t.Detection)
			}
		}
	}
	p.Fingerprint = fingerprint(p)
	return p
}

// predictStep detects every target of s again on the projected estate.
func (e *Engine) predictStep(ctx context.Context, env *steps.Env, s steps.Step, ps *PlanStep) {
	e.fanOut(ctx, len(ps.Targets), nil, func(i int) {
		pt := &ps.Targets[i]
		fresh := PlanTarget{Target: pt.Target, Predicted: true}
		e.detectInto(ctx, env, s, &fresh)
		*pt = fresh
	}, func(i int) {
		ps.Targets[i].Err = fmt.Sprintf("detection was cancelled: %v", ctx.Err())
	})
}

// Predicted reports whether any target of the step was planned on the projected
// estate rather than detected as it is.
func (s PlanStep) Predicted() bool {
	for _, t := range s.Targets {
		if t.Predicted {
			return true
		}
	}
	return false
}

// planFor is the forward plan Apply checks the given plan p against: that of p's steps
// cut to sel when sel is part of them, so that a part of a plan is predicted as the
// whole plan predicted it (`apply --steps 7 --out-of-order` after a plan of every step);
// otherwise that of sel.
func (e *Engine) planFor(ctx context.Context, runID string, p *Plan, sel []steps.Step) *Plan {
	if p == nil || len(p.Steps) <= len(sel) {
		return e.planForward(ctx, runID, sel)
	}
	in := map[int]bool{}
	var ids []int
	for _, s := range p.Steps {
		in[s.ID] = true
		ids = append(ids, s.ID)
	}
	for _, s := range sel {
		if !in[s.ID()] {
			return e.planForward(ctx, runID, sel)
		}
	}
	scope, err := e.selectSteps(ids)
	if err != nil {
		return e.planForward(ctx, runID, sel)
	}
	out := subsetPlan(e.planForward(ctx, runID, scope), sel)
	out.Fingerprint = fingerprint(out)
	return out
}

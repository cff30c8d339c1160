package engine

import (
	"context"

	"github.com/ssisha/ssisha/steps"
)

// Preflight runs every read-only preflight check on every target of its scope, at
// most Parallel at once, and reports each result as a CheckFinished event as it
// comes. Nothing changes on a node, so nothing is journaled. The result is in check
// order, then target order; checks not started because ctx ended are left out.
func (e *Engine) Preflight(ctx context.Context) ([]VerifyCheck, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	type job struct {
		pc steps.PreflightCheck
		t  steps.Target
	}
	var jobs []job
	for _, pc := range steps.PreflightChecks() {
		for _, t := range Targets(e.env.Answers, pc.Scope) {
			jobs = append(jobs, job{pc, t})
		}
	}
	// The checks only read: facts several of them need (a node's SQL Server facts,
	// the primary's) are read once for the run, or once for the caller's round when
	// it has one.
	env := *e.env
	if env.Reads == nil {
		env.Reads = steps.NewReadCache()
	}
	found := make([]*VerifyCheck, len(jobs))
	e.fanOut(ctx, len(jobs), nil, func(i int) {
		j := jobs[i]
		chk := j.pc.Run(ctx, &env, j.t)
		if chk.Name == "" {
			chk.Name = j.pc.Name
		}
		chk.Detail, chk.Fix = e.redact(chk.Detail), e.redact(chk.Fix)
		found[i] = &VerifyCheck{Title: "Preflight", Target: j.t.Host, Check: chk}
		e.emit(Event{Kind: CheckFinished, Target: j.t.Host, Check: checkResult(chk)})
	}, nil)
	var out []VerifyCheck
	for _, c := range found {
		if c != nil {
			out = append(out, *c)
		}
	}
	return out, ctx.Err()
}

// checkResult is the event form of a check.
func checkResult(c steps.Check) *CheckResult {
	return &CheckResult{Name: c.Name, Status: string(c.Status), Detail: c.Detail, Fix: c.Fix}
}

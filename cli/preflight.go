package cli

import (
	"context"
	"sync"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// runPreflight runs every preflight check on every target of its scope, in parallel,
// reporting each result as a CheckFinished event as it comes (read-only: nothing
// changes). The returned list is in check order, then target order.
func runPreflight(ctx context.Context, c *conn, emit func(engine.Event)) []engine.VerifyCheck {
	type job struct {
		pc steps.PreflightCheck
		t  steps.Target
	}
	var jobs []job
	for _, pc := range steps.PreflightChecks() {
		for _, t := range engine.Targets(c.ans, pc.Scope) {
			jobs = append(jobs, job{pc, t})
		}
	}
	// The checks only read, all at once: facts several of them need (a node's SQL
	// Server facts, the primary's) are read once for the run, or once for the
	// caller's round when it has one.
	env := *c.env
	if env.Reads == nil {
		env.Reads = steps.NewReadCache()
	}
	out := make([]engine.VerifyCheck, len(jobs))
	var (
		mu sync.Mutex // serialises emit
		wg sync.WaitGroup
	)
	for i, j := range jobs {
		wg.Go(func() {
			chk := j.pc.Run(ctx, &env, j.t)
			if chk.Name == "" {
				chk.Name = j.pc.Name
			}
			chk.Detail, chk.Fix = c.red.Redact(chk.Detail), c.red.Redact(chk.Fix)
			out[i] = engine.VerifyCheck{Title: "Preflight", Target: j.t.Host, Check: chk}
			if emit != nil {
				mu.Lock()
				emit(engine.Event{Kind: engine.CheckFinished, Target: j.t.Host, Check: &engine.CheckResult{
					Name: chk.Name, Status: string(chk.Status), Detail: chk.Detail, Fix: chk.Fix}})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

package cli

import (
	"context"
	"sync"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// runPreflight runs every preflight check on every target of its scope, in parallel,
// reporting each result as a CheckFinished event (read-only: nothing changes).
func runPreflight(ctx context.Context, c *conn, emit func(engine.Event)) []engine.VerifyCheck {
	var (
		mu  sync.Mutex
		out []engine.VerifyCheck
		wg  sync.WaitGroup
	)
	for _, pc := range steps.PreflightChecks() {
		for _, t := range engine.Targets(c.ans, pc.Scope) {
			wg.Go(func() {
				chk := pc.Run(ctx, c.env, t)
				if chk.Name == "" {
					chk.Name = pc.Name
				}
				chk.Detail, chk.Fix = c.red.Redact(chk.Detail), c.red.Redact(chk.Fix)
				mu.Lock()
				out = append(out, engine.VerifyCheck{Title: "Preflight", Target: t.Host, Check: chk})
				if emit != nil {
					emit(engine.Event{Kind: engine.CheckFinished, Target: t.Host, Check: &engine.CheckResult{
						Name: chk.Name, Status: string(chk.Status), Detail: chk.Detail, Fix: chk.Fix}})
				}
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return out
}

package bench

import (
	"context"
	"fmt"
	"time"
)

// PlanResult is one plan (every step's Detect on every target) against a fresh lab.
type PlanResult struct {
	Wall time.Duration
	// Targets is how many detections the plan ran.
	Targets int
	// PowerShell and SQL count the commands and batches the detections sent.
	PowerShell, SQL int
}

// MeasurePlan connects to a fresh lab of shape e, as `ssisha plan` does, and times
// the plan with at most parallel detections at a time (0: all). The shells and
// connections are cold, as they are for a command started by hand.
func MeasurePlan(ctx context.Context, e Estate, parallel int) (PlanResult, error) {
	le, err := startEstate(ctx, e)
	if err != nil {
		return PlanResult{}, err
	}
	defer le.Close()
	return le.plan(ctx, parallel)
}

func (le *labEstate) plan(ctx context.Context, parallel int) (PlanResult, error) {
	eng, done, err := le.engine(parallel, false)
	if err != nil {
		return PlanResult{}, err
	}
	defer done()
	le.count.reset()
	start := time.Now()
	p, err := eng.Plan(ctx, nil)
	wall := time.Since(start)
	if err != nil {
		return PlanResult{}, err
	}
	res := PlanResult{Wall: wall}
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			if t.Err != "" {
				return PlanResult{}, fmt.Errorf("step %d could not be detected on %s: %s", s.ID, t.Target.Host, t.Err)
			}
			res.Targets++
		}
	}
	res.PowerShell, res.SQL = le.count.reset()
	return res, nil
}

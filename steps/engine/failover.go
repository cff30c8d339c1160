package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// masterHeartbeat is how long the master service takes to write its heartbeat into
// SSISDB after it starts (MasterHeartbeatIntervalInMs defaults to 30 s), plus margin.
const masterHeartbeat = 40 * time.Second

// failoverTitle heads every check of the failover test.
const failoverTitle = "Failover test"

// FailoverTest moves the availability group and the master role to every other
// master node and back, and verifies every step at each stop (within the Parallel
// bound), as a DBA does before signing off an HA setup. Each move is reported as a
// CheckFinished event when it is done; a failed move stops the test and leaves the
// roles where they are, which its check says.
func (e *Engine) FailoverTest(ctx context.Context) ([]VerifyCheck, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	env := e.env
	origin, stops, err := steps.FailoverStops(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("planning the failover test: %w", err)
	}
	var out []VerifyCheck
	report := func(to string, c steps.Check) {
		c.Detail, c.Fix = e.redact(c.Detail), e.redact(c.Fix)
		out = append(out, VerifyCheck{Title: failoverTitle, Target: to, Check: c})
		e.emit(Event{Kind: CheckFinished, Target: to, Check: checkResult(c)})
	}
	for _, to := range stops {
		move := func(name string, fn func(context.Context, *steps.Env, string) error) bool {
			if err := fn(ctx, env, to); err != nil {
				report(to, steps.Check{Name: name, Status: steps.CheckFailed, Detail: err.Error(),
					Fix: "fix the cause, then run ssisha verify --failover again; the roles are left where they are now"})
				return false
			}
			report(to, steps.Check{Name: name, Status: steps.CheckSuccess})
			return true
		}
		if !move("availability group moved to "+to, steps.MoveAvailabilityGroup) ||
			!move("master role moved to "+to, steps.MoveMasterRole) {
			return out, nil
		}
		if err := env.Wait(ctx, masterHeartbeat); err != nil {
			return out, err
		}
		vr, err := e.Verify(ctx)
		if err != nil {
			return out, err
		}
		for _, c := range vr.Checks {
			c.Target += " (roles on " + to + ")"
			out = append(out, c)
		}
	}
	ag, role, err := steps.Owners(ctx, env)
	if err != nil {
		return out, err
	}
	back := steps.Check{Name: "roles back on " + origin, Status: steps.CheckSuccess, Detail: fmt.Sprintf("AG primary %s, master role on %s", ag, role)}
	if !steps.SameHost(ag, origin) || !steps.SameHost(role, origin) {
		back.Status = steps.CheckWarning
		back.Fix = "move the roles back by hand if that matters: Move-ClusterGroup and ALTER AVAILABILITY GROUP … FAILOVER"
	}
	report(origin, back)
	return out, nil
}

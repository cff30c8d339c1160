package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// masterHeartbeat is how long the master service takes to write its heartbeat into
// SSISDB after it starts (MasterHeartbeatIntervalInMs defaults to 30 s), plus margin.
const masterHeartbeat = 40 * time.Second

// runFailoverTest moves the availability group and the master role to every other
// master node and back, and verifies every step at each stop, as a DBA does before
// signing off an HA setup.
func runFailoverTest(ctx context.Context, s *session) ([]engine.VerifyCheck, error) {
	origin, stops, err := steps.FailoverStops(ctx, s.env)
	if err != nil {
		return nil, fmt.Errorf("planning the failover test: %w", err)
	}
	var out []engine.VerifyCheck
	for _, to := range stops {
		label := "roles on " + to
		move := func(name string, fn func(context.Context, *steps.Env, string) error) bool {
			if err := fn(ctx, s.env, to); err != nil {
				out = append(out, engine.VerifyCheck{Title: "Failover test", Target: to, Check: steps.Check{
					Name: name, Status: steps.CheckFailed, Detail: s.red.Redact(err.Error()),
					Fix: "fix the cause, then run ssisha verify --failover again; the roles are left where they are now",
				}})
				return false
			}
			out = append(out, engine.VerifyCheck{Title: "Failover test", Target: to, Check: steps.Check{Name: name, Status: steps.CheckSuccess}})
			return true
		}
		if !move("availability group moved to "+to, steps.MoveAvailabilityGroup) ||
			!move("master role moved to "+to, steps.MoveMasterRole) {
			return out, nil
		}
		if err := s.env.Wait(ctx, masterHeartbeat); err != nil {
			return out, err
		}
		vr, err := s.eng.Verify(ctx)
		if err != nil {
			return out, err
		}
		for _, c := range vr.Checks {
			c.Target = c.Target + " (" + label + ")"
			out = append(out, c)
		}
	}
	ag, role, err := steps.Owners(ctx, s.env)
	if err != nil {
		return out, err
	}
	back := steps.Check{Name: "roles back on " + origin, Status: steps.CheckSuccess, Detail: fmt.Sprintf("AG primary %s, master role on %s", ag, role)}
	if !steps.SameHost(ag, origin) || !steps.SameHost(role, origin) {
		back.Status = steps.CheckWarning
		back.Fix = "move the roles back by hand if that matters: Move-ClusterGroup and ALTER AVAILABILITY GROUP … FAILOVER"
	}
	out = append(out, engine.VerifyCheck{Title: "Failover test", Target: origin, Check: back})
	return out, nil
}

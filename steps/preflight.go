package steps

import "context"

// PreflightCheck is one read-only check run before anything changes, on each target
// of its scope, shown in the preflight grid.
type PreflightCheck struct {
	Name  string
	Scope Scope
	Run   func(ctx context.Context, env *Env, t Target) Check
}

// PreflightChecks lists every preflight check: the Windows side (domain, accounts,
// names, addresses, reboots, media) and the SQL Server side (versions, editions,
// authentication mode, Always On).
func PreflightChecks() []PreflightCheck {
	return append(windowsPreflightChecks(), sqlPreflightChecks()...)
}

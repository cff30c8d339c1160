package steps

import (
	"context"
	"fmt"
	"strings"
)

// sqlPreflightChecks are the SQL Server consistency checks run on every master node
// before anything changes: what an AG and Scale Out need to be alike on all replicas.
func sqlPreflightChecks() []PreflightCheck {
	return []PreflightCheck{
		{Name: "SQL Server version and CU", Scope: EachMaster, Run: checkSameBuild},
		{Name: "Edition for the Scale Out Master", Scope: EachMaster, Run: checkEdition},
		{Name: "Mixed mode authentication", Scope: EachMaster, Run: checkMixedMode},
		{Name: "Always On availability groups", Scope: EachMaster, Run: checkHadr},
		{Name: "CLR enabled", Scope: EachMaster, Run: checkCLR},
		{Name: "SSISDB schema", Scope: EachMaster, Run: checkSchema},
		{Name: "Default data and log paths", Scope: EachMaster, Run: checkPaths},
	}
}

// withFacts reads the target's instance facts and, for the comparisons, the
// primary's; a failure to read is the check's Failed result, not an error.
func withFacts(ctx context.Context, env *Env, t Target, name string, fn func(self, primary serverFacts) Check) Check {
	self, err := readServerFacts(ctx, env, t.Host)
	if err != nil {
		return Check{Name: name, Status: CheckFailed, Detail: env.Redactor.Redact(err.Error()), Fix: "check that SQL Server runs on " + t.Host + " and that the connection settings are right"}
	}
	primary := self
	if p := env.Answers.Primary().Host; p != "" && !strings.EqualFold(p, t.Host) {
		if primary, err = readServerFacts(ctx, env, p); err != nil {
			return Check{Name: name, Status: CheckFailed, Detail: env.Redactor.Redact(err.Error()), Fix: "check that SQL Server runs on the primary " + p}
		}
	}
	c := fn(self, primary)
	c.Name = name
	return c
}

func checkSameBuild(ctx context.Context, env *Env, t Target) Check {
	return withFacts(ctx, env, t, "SQL Server version and CU", func(self, primary serverFacts) Check {
		if self.Major() != primary.Major() {
			return Check{Status: CheckFailed, Detail: fmt.Sprintf("%s runs %s, the primary %s runs %s", t.Host, self.ProductVersion, primary.Host, primary.ProductVersion),
				Fix: "install the same SQL Server version on every master node"}
		}
		if self.Build() != primary.Build() || self.UpdateLevel != primary.UpdateLevel {
			return Check{Status: CheckFailed, Detail: fmt.Sprintf("%s is at %s %s, the primary %s at %s %s", t.Host, self.ProductVersion, self.UpdateLevel, primary.Host, primary.ProductVersion, primary.UpdateLevel),
				Fix: "apply the same cumulative update on every replica before adding SSISDB to the availability group"}
		}
		return Check{Status: CheckSuccess, Detail: strings.TrimSpace(self.ProductVersion + " " + self.UpdateLevel)}
	})
}

func checkEdition(ctx context.Context, env *Env, t Target) Check {
	return withFacts(ctx, env, t, "Edition for the Scale Out Master", func(self, _ serverFacts) Check {
		// EngineEdition 3 covers Enterprise, Developer and Evaluation, the editions
		// Scale Out Master runs on.
		if self.EngineEdition != 3 {
			return Check{Status: CheckFailed, Detail: self.Edition + " cannot host the Scale Out Master",
				Fix: "use Enterprise (or Developer for non-production) edition on every master node"}
		}
		return Check{Status: CheckSuccess, Detail: self.Edition}
	})
}

func checkMixedMode(ctx context.Context, env *Env, t Target) Check {
	return withFacts(ctx, env, t, "Mixed mode authentication", func(self, _ serverFacts) Check {
		if self.IntegratedOnly {
			return Check{Status: CheckFailed, Detail: "only Windows authentication is allowed on " + t.Host + "; workers log with a SQL login, so packages would run but log nothing",
				Fix: "set Server authentication to \"SQL Server and Windows Authentication mode\" and restart the engine on " + t.Host}
		}
		return Check{Status: CheckSuccess, Detail: "SQL Server and Windows authentication"}
	})
}

func checkHadr(ctx context.Context, env *Env, t Target) Check {
	return withFacts(ctx, env, t, "Always On availability groups", func(self, _ serverFacts) Check {
		if !self.HadrEnabled {
			return Check{Status: CheckWarning, Detail: "not enabled yet on " + t.Host + "; steps 2 and 3 enable it (the engine restarts)",
				Fix: "nothing now; or enable it in SQL Server Configuration Manager and restart the engine"}
		}
		return Check{Status: CheckSuccess, Detail: "enabled"}
	})
}

func checkCLR(ctx context.Context, env *Env, t Target) Check {
	return withFacts(ctx, env, t, "CLR enabled", func(self, _ serverFacts) Check {
		if !self.CLREnabled {
			return Check{Status: CheckWarning, Detail: "clr enabled is 0; step 4 turns it on when it creates the catalog",
				Fix: "nothing now; the catalog needs it"}
		}
		return Check{Status: CheckSuccess, Detail: "clr enabled is 1"}
	})
}

func checkSchema(ctx context.Context, env *Env, t Target) Check {
	const name = "SSISDB schema"
	rs, err := env.SQL(ctx, t.Host, tsqlSchemaCheck())
	if err != nil {
		return Check{Name: name, Status: CheckFailed, Detail: err.Error(), Fix: "check the connection to " + t.Host}
	}
	r := Row(rs)
	switch {
	case Int(r["present"]) == 0:
		return Check{Name: name, Status: CheckSkipped, Detail: "no SSISDB on " + t.Host}
	case Int(r["matches"]) == 0:
		return Check{Name: name, Status: CheckFailed, Detail: "SSISDB's schema does not match the Integration Services binaries on " + t.Host,
			Fix: "upgrade SSISDB with ISDBUpgradeWizard.exe (in DTS\\Binn) before continuing"}
	}
	return Check{Name: name, Status: CheckSuccess, Detail: "matches the binaries"}
}

func checkPaths(ctx context.Context, env *Env, t Target) Check {
	return withFacts(ctx, env, t, "Default data and log paths", func(self, primary serverFacts) Check {
		if !strings.EqualFold(self.DataPath, primary.DataPath) || !strings.EqualFold(self.LogPath, primary.LogPath) {
			return Check{Status: CheckWarning, Detail: fmt.Sprintf("%s uses %s and %s, the primary %s and %s", t.Host, self.DataPath, self.LogPath, primary.DataPath, primary.LogPath),
				Fix: "automatic seeding creates SSISDB at the primary's paths; create those folders on " + t.Host + " or align the defaults"}
		}
		return Check{Status: CheckSuccess, Detail: self.DataPath}
	})
}

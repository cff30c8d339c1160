package steps

import (
	"cmp"
	"context"
	"fmt"
	"strings"
)

// Step 5 points MasterSettings.config's SqlServerName at the listener on every master
// node, so whichever node runs the master reaches the current primary, and restarts
// the master where it runs (the value is read at service start).
type masterSettingsStep struct{}

// NewMasterSettingsStep returns step 5.
func NewMasterSettingsStep() Step { return masterSettingsStep{} }

func (masterSettingsStep) ID() int       { return 5 }
func (masterSettingsStep) Title() string { return "Point every master at the listener" }
func (masterSettingsStep) Scope() Scope  { return EachMaster }

func (masterSettingsStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	want := env.Answers.ListenerAddress()
	// The settings (PowerShell) and the replica (T-SQL) travel on different channels
	// to the node, so they are read at once.
	var (
		ms masterSettings
		f  replicaFacts
	)
	errs := concurrently(
		func() (err error) { ms, err = readMasterSettings(ctx, env, t.Host); return err },
		func() (err error) { f, err = readReplicaFacts(ctx, env, t.Host); return err },
	)
	if errs[0] != nil {
		return Detection{}, errs[0]
	}
	facts := map[string]any{"installed": ms.Installed, "path": ms.Path, "sqlServerName": ms.SQLServerName}
	if !ms.Installed || !ms.Found {
		return Detection{State: StateBlocked, Facts: facts,
			Reason: "the Scale Out Master (" + env.Version.MasterService() + ") or its MasterSettings.config is missing on " + t.Host,
			Fix:    "run step 2 (primary) or 3 (secondary) first"}, nil
	}
	if errs[1] != nil {
		return Detection{}, errs[1]
	}
	if f.ListenerDNS == "" {
		return Detection{State: StateBlocked, Facts: facts,
			Reason: "the listener " + env.Answers.AvailabilityGroup.Listener.DNSName + " does not exist yet (as seen from " + t.Host + "); the master would lose SSISDB after its restart",
			Fix:    "apply step 4 first"}, nil
	}
	if strings.EqualFold(strings.TrimSpace(ms.SQLServerName), want) {
		return Detection{State: StateDone, Facts: facts}, nil
	}
	act := actSetSQLServerName.New(fmt.Sprintf("Set SqlServerName to %s and restart the master where it runs", want),
		[]Command{
			PSCommand(t.Host, psMasterSettingsSet(ms.Path, "SqlServerName", want)),
			PSCommand(t.Host, psMasterRestart(env.Version.MasterService())),
		},
		&settingUndo{Path: ms.Path, Previous: ms.SQLServerName})
	d := Detection{State: StatePending, Facts: facts, Actions: []Action{act}}
	if ms.SQLServerName != "" {
		d.State = StateDrift
		d.Reason = fmt.Sprintf("SqlServerName on %s is %q, which names one instance, not the listener %s: after SSISDB fails over the master cannot reach the catalog", t.Host, ms.SQLServerName, want)
		d.Fix = "apply step 5 to point it at the listener"
	}
	return d, nil
}

// actSetSQLServerName points the master's settings file at the listener.
var actSetSQLServerName = &ActionDef[settingUndo]{ActionInfo: ActionInfo{ID: "set-sqlservername", Kind: KindChange,
	Summary: "Point the master's SqlServerName at the listener"}, Run: applySetSQLServerName, Reverse: undoSetSQLServerName}

// settingUndo is the settings file, the value before, and the backup of the file.
type settingUndo struct {
	Backup   string `json:"backup,omitempty"`
	Path     string `json:"path"`
	Previous string `json:"previous"`
}

// Actions lists step 5's action.
func (masterSettingsStep) Actions() []ActionType { return []ActionType{actSetSQLServerName} }

func applySetSQLServerName(ctx context.Context, env *Env, t Target, a Action, hint settingUndo) (*settingUndo, error) {
	var res struct {
		Previous string `json:"previous"`
		Changed  bool   `json:"changed"`
		Backup   string `json:"backup"`
	}
	if err := env.PS(ctx, t.Host, *a.Commands[0].PS, &res); err != nil {
		return nil, &ActionError{Step: 5, Host: t.Host, Action: a.Summary, Err: err, Fix: "check that MasterSettings.config is writable and holds exactly one SqlServerName element"}
	}
	u := &settingUndo{Path: hint.Path, Previous: res.Previous, Backup: res.Backup}
	if err := env.Run(ctx, a.Commands[1]); err != nil {
		return u, &ActionError{Step: 5, Host: t.Host, Action: a.Summary, Err: err, Fix: "restart " + env.Version.MasterService() + " by hand and read its log under the service account's AppData\\Local\\SSIS\\ScaleOut\\Master"}
	}
	return u, nil
}

func (masterSettingsStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	want := env.Answers.ListenerAddress()
	ms, err := readMasterSettings(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	checks := []Check{{Name: "SqlServerName", Status: CheckSuccess, Detail: ms.SQLServerName}}
	if !strings.EqualFold(ms.SQLServerName, want) {
		checks[0] = Check{Name: "SqlServerName", Status: CheckFailed, Detail: fmt.Sprintf("%q, not %q", ms.SQLServerName, want), Fix: "re-run step 5 on " + t.Host}
	}
	hb := Check{Name: "Master heartbeat in SSISDB", Status: CheckSkipped, Detail: "the master does not run on " + t.Host}
	if ms.ServiceState == "Running" {
		cat, err := readCatalogFacts(ctx, env, ssisdbHost(replicaFacts{ListenerDNS: "listener"}, env))
		switch {
		case err != nil:
			hb = Check{Name: hb.Name, Status: CheckWarning, Detail: err.Error(), Fix: "check the listener"}
		case strings.EqualFold(cat.Machine, hostShortName(t.Host)):
			hb = Check{Name: hb.Name, Status: CheckSuccess, Detail: "MACHINE_NAME is " + cat.Machine}
		default:
			hb = Check{Name: hb.Name, Status: CheckWarning, Detail: "MACHINE_NAME is " + cmp.Or(cat.Machine, "empty") + "; the heartbeat may not have run yet (every 30 seconds)",
				Fix: "wait a minute and verify again; if it stays, read the master log and check that " + env.Answers.MasterService.Account + " has a login and an SSISDB user"}
		}
	}
	return append(checks, hb), nil
}

func undoSetSQLServerName(ctx context.Context, env *Env, t Target, u settingUndo) error {
	for _, c := range []Command{
		PSCommand(t.Host, psMasterSettingsSet(u.Path, "SqlServerName", u.Previous)),
		PSCommand(t.Host, psMasterRestart(env.Version.MasterService())),
	} {
		if err := env.Run(ctx, c); err != nil {
			return &ActionError{Step: 5, Host: t.Host, Err: err, Fix: "restore " + u.Backup + " by hand and restart the master"}
		}
	}
	return nil
}

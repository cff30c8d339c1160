package steps

import (
	"context"
	"maps"

	"github.com/ssisha/ssisha/remote"
)

// Step 9's actions, each with its apply, its undo and the undo data the journal keeps.

// The actions of step 9.
var (
	actTrustMaster = &ActionDef[trustMasterUndo]{ActionInfo: ActionInfo{ID: "trust-master", Kind: KindCreate,
		Summary: "Import the master certificate on the worker"}, Run: applyTrustMaster, Reverse: undoTrustMaster}
	actInstallWorker = &ActionDef[workerInstallUndo]{ActionInfo: ActionInfo{ID: "install", Kind: KindCreate, Installer: true,
		Summary: "Install the Scale Out Worker"}, Run: applyInstallWorker, Reverse: undoInstallWorker, Absorb: absorbInstallWorker}
	actConfigureWorker = &ActionDef[configureUndo]{ActionInfo: ActionInfo{ID: "configure", Kind: KindChange,
		Summary: "Point the worker at the master"}, Run: applyConfigureWorker, Reverse: undoConfigureWorker, Absorb: absorbConfigureWorker}
	actTrustWorker = &ActionDef[trustWorkerUndo]{ActionInfo: ActionInfo{ID: "trust-worker", Kind: KindCreate,
		Summary: "Import the worker certificate on the master nodes"}, Run: applyTrustWorker, Reverse: undoTrustWorker, Absorb: absorbTrustWorker}
	actRestartWorker = &ActionDef[restartUndo]{ActionInfo: ActionInfo{ID: "restart", Kind: KindRestart,
		Summary: "Restart the worker service"}, Run: applyRestartWorker, Reverse: undoRestartWorker}
	actEnableWorker = &ActionDef[enableUndo]{ActionInfo: ActionInfo{ID: "enable", Kind: KindChange,
		Summary: "Enable the worker once it registers"}, Run: applyEnableWorker, Reverse: undoEnableWorker}
)

// Actions lists step 9's actions.
func (workersStep) Actions() []ActionType {
	return []ActionType{actTrustMaster, actInstallWorker, actConfigureWorker, actTrustWorker, actRestartWorker, actEnableWorker}
}

// trustMasterUndo is the master certificate and whether the action added it.
type trustMasterUndo struct {
	Added      bool   `json:"added"`
	Thumbprint string `json:"thumbprint"`
}

// workerInstallUndo says whether the action installed the worker, and its AgentId
// when setup reported one (nil when only the hint was recorded).
type workerInstallUndo struct {
	AgentID   *string `json:"agentId,omitempty"`
	Installed bool    `json:"installed"`
	// RemoveIS: Integration Services came with this install, so undo removes it too;
	// where it was there before (or a journal predates this field) it stays.
	RemoveIS bool `json:"removeIS,omitempty"`
}

// configureUndo is the settings file and its values before the action.
type configureUndo struct {
	Changed  bool           `json:"changed"`
	Path     string         `json:"path,omitempty"`
	Previous map[string]any `json:"previous,omitempty"`
}

// trustWorkerUndo is the worker certificate and the master nodes it was added on.
type trustWorkerUndo struct {
	AddedOn    []string `json:"addedOn"`
	Thumbprint string   `json:"thumbprint"`
}

// restartUndo says a restart changed nothing to undo.
type restartUndo struct {
	Restarted bool `json:"restarted,omitempty"`
}

// enableUndo is the agent the action enabled ("" when setup had not made it yet).
type enableUndo struct {
	AgentID string `json:"agentId"`
}

// absorbInstallWorker: setup killed after installing Integration Services shows the
// re-run IS as there before; the interrupted hint knows it came with this install.
func absorbInstallWorker(interrupted, result workerInstallUndo) workerInstallUndo {
	result.Installed = result.Installed || interrupted.Installed
	result.RemoveIS = result.RemoveIS || interrupted.RemoveIS
	return result
}

// absorbConfigureWorker keeps the settings as they were before the interrupted run,
// which may have written some of them.
func absorbConfigureWorker(interrupted, result configureUndo) configureUndo {
	if !interrupted.Changed {
		return result
	}
	prev := maps.Clone(result.Previous)
	if prev == nil {
		prev = map[string]any{}
	}
	maps.Copy(prev, interrupted.Previous)
	result.Changed, result.Previous = true, prev
	if result.Path == "" {
		result.Path = interrupted.Path
	}
	return result
}

// absorbTrustWorker keeps the master nodes an interrupted import may have reached
// before it died: the re-run's Detect lists only those still missing the
// certificate. Removing a certificate a node does not hold changes nothing.
func absorbTrustWorker(interrupted, result trustWorkerUndo) trustWorkerUndo {
	result.AddedOn = unionNames(result.AddedOn, interrupted.AddedOn)
	if result.Thumbprint == "" {
		result.Thumbprint = interrupted.Thumbprint
	}
	return result
}

func workerActionError(t Target, a Action, err error, fix string) error {
	return &ActionError{Step: 9, Host: t.Host, Action: a.Summary, Err: err, Fix: fix}
}

func applyTrustMaster(ctx context.Context, env *Env, t Target, a Action, _ trustMasterUndo) (*trustMasterUndo, error) {
	var u trustMasterUndo
	if err := env.PS(ctx, t.Host, *a.Commands[0].PS, &u); err != nil {
		return nil, workerActionError(t, a, err, "run it as a local administrator of "+t.Host)
	}
	return &u, nil
}

func applyInstallWorker(ctx context.Context, env *Env, t Target, a Action, hint workerInstallUndo) (*workerInstallUndo, error) {
	var res struct {
		Installed bool   `json:"installed"`
		AgentID   string `json:"agentId"`
	}
	if err := env.PS(ctx, t.Host, *a.Commands[0].PS, &res); err != nil {
		return nil, workerActionError(t, a, err, "read Summary.txt under Setup Bootstrap\\Log on "+t.Host+"; check the account, its password and a pending reboot")
	}
	return &workerInstallUndo{Installed: res.Installed, AgentID: &res.AgentID, RemoveIS: res.Installed && hint.RemoveIS}, nil
}

func applyConfigureWorker(ctx context.Context, env *Env, t Target, a Action, hint configureUndo) (*configureUndo, error) {
	var res struct {
		Previous map[string]any `json:"previous"`
		Changed  bool           `json:"changed"`
	}
	if err := env.PS(ctx, t.Host, *a.Commands[0].PS, &res); err != nil {
		return nil, workerActionError(t, a, err, "check that WorkerSettings.config exists and holds one MasterEndpoint element")
	}
	return &configureUndo{Path: hint.Path, Previous: res.Previous, Changed: res.Changed}, nil
}

func applyRestartWorker(ctx context.Context, env *Env, t Target, a Action, _ restartUndo) (*restartUndo, error) {
	if err := env.Run(ctx, a.Commands[0]); err != nil {
		return nil, workerActionError(t, a, err, "read the worker log under the service account's AppData\\Local\\SSIS\\ScaleOut\\Agent")
	}
	return nil, nil
}

// runWorkerUndo runs the commands of an undo of step 9 in order.
func runWorkerUndo(ctx context.Context, env *Env, cmds ...Command) error {
	for _, c := range cmds {
		if err := env.Run(ctx, c); err != nil {
			return &ActionError{Step: 9, Host: c.Host, Err: err}
		}
	}
	return nil
}

func undoEnableWorker(ctx context.Context, env *Env, t Target, u enableUndo) error {
	id := u.AgentID
	if id == "" {
		// A hint written before setup generated the AgentId.
		wf, err := readWorkerFacts(ctx, env, t.Host, "")
		if err != nil {
			return err
		}
		if id = wf.AgentID; id == "" {
			return nil // no agent, so none was enabled
		}
	}
	return runWorkerUndo(ctx, env, SQLCommand(remote.Listener, tsqlWorkerDisable(id)), SQLCommand(remote.Listener, tsqlWorkerDelete(id)))
}

func undoRestartWorker(context.Context, *Env, Target, restartUndo) error { return nil }

func undoTrustWorker(ctx context.Context, env *Env, t Target, u trustWorkerUndo) error {
	thumb := u.Thumbprint
	if thumb == "" && len(u.AddedOn) > 0 {
		// A hint written before setup made the worker certificate: read it on the
		// worker, which this step's later undo uninstalls.
		wf, err := readWorkerFacts(ctx, env, t.Host, "")
		if err != nil {
			return err
		}
		if thumb = wf.WorkerThumbprint; thumb == "" {
			return nil // no worker certificate, so none was imported
		}
	}
	var cmds []Command
	for _, h := range u.AddedOn {
		cmds = append(cmds, PSCommand(h, psCertRemove("Root", thumb)))
	}
	return runWorkerUndo(ctx, env, cmds...)
}

func undoConfigureWorker(ctx context.Context, env *Env, t Target, u configureUndo) error {
	if !u.Changed || len(u.Previous) == 0 {
		return nil
	}
	return runWorkerUndo(ctx, env, PSCommand(t.Host, psWorkerSettingsSet(env.Version.WorkerService(), u.Path, u.Previous)))
}

func undoInstallWorker(ctx context.Context, env *Env, t Target, u workerInstallUndo) error {
	if !u.Installed {
		return nil
	}
	// The agent row goes after the worker, which would otherwise register again.
	var id string
	if u.AgentID != nil {
		id = *u.AgentID
	} else {
		// From the hint: setup's AgentId is in WorkerSettings.config until the
		// uninstall removes it.
		wf, err := readWorkerFacts(ctx, env, t.Host, "")
		if err != nil {
			return err
		}
		id = wf.AgentID
	}
	cmds := []Command{PSCommand(t.Host, psWorkerUninstall(env.Answers.SetupMedia, env.Version.WorkerService(), env.Version.Folder(), u.RemoveIS))}
	if id != "" {
		cmds = append(cmds, SQLCommand(remote.Listener, tsqlWorkerDelete(id)))
	}
	return runWorkerUndo(ctx, env, cmds...)
}

func undoTrustMaster(ctx context.Context, env *Env, t Target, u trustMasterUndo) error {
	if !u.Added {
		return nil
	}
	return runWorkerUndo(ctx, env, PSCommand(t.Host, psCertRemove("Root", u.Thumbprint)))
}

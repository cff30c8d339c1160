package steps

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote"
)

// Step 9 does for each worker what Scale Out Manager does, for every master node: the
// master certificate into the worker's Root, the worker installed and pointed at the
// master's access point, the worker certificate into the Root of every master node
// (the role can fail over to any of them), a restart, and the worker enabled once it
// has registered.
type workersStep struct{}

// NewWorkersStep returns step 9.
func NewWorkersStep() Step { return workersStep{} }

func (workersStep) ID() int       { return 9 }
func (workersStep) Title() string { return "Add Scale Out Workers" }
func (workersStep) Scope() Scope  { return EachWorker }

// How long the enable action waits for a worker to register; the docs say it
// "takes several minutes". The check is one small query, so it is asked often: the
// worker is enabled within seconds of appearing.
const (
	registrationTimeout  = 10 * time.Minute
	registrationInterval = 2 * time.Second
)

// agentPlaceholder stands in the plan for an agent ID setup has not made yet.
const agentPlaceholder = placeholderPrefix + "AgentId from WorkerSettings.config>"

type workerFacts struct {
	Installed        bool   `json:"installed"`
	SettingsFound    bool   `json:"settingsFound"`
	Path             string `json:"path"`
	ServiceState     string `json:"serviceState"`
	MasterEndpoint   string `json:"MasterEndpoint"`
	MasterThumbprint string `json:"MasterHttpsCertThumbprint"`
	WorkerThumbprint string `json:"WorkerHttpsCertThumbprint"`
	AgentID          string `json:"AgentId"`
	WorkerCertInMy   bool   `json:"workerCertInMy"`
	MasterCertInRoot bool   `json:"masterCertInRoot"`
	// ISInstalled: Integration Services of this version is there (with the worker or
	// before it).
	ISInstalled   bool     `json:"isInstalled"`
	RebootReasons []string `json:"rebootReasons"`
}

func (workersStep) worker(env *Env, host string) (acct string) {
	for _, w := range env.Answers.Workers {
		if strings.EqualFold(w.Host, host) {
			return w.Account
		}
	}
	return ""
}

func readWorkerFacts(ctx context.Context, env *Env, host, masterThumb string) (workerFacts, error) {
	if IsPlaceholder(masterThumb) {
		// A master certificate the plan makes is on no worker yet.
		masterThumb = ""
	}
	var wf workerFacts
	if err := env.PS(ctx, host, psWorkerFacts(env.Version.WorkerService(), masterThumb, env.Version.Folder()), &wf); err != nil {
		return wf, fmt.Errorf("reading the worker on %s: %w", host, err)
	}
	return wf, nil
}

// mastersMissing lists the master nodes whose Root lacks the worker certificate. The
// nodes are asked at once, each on its own shell; the list keeps MasterHosts' order.
func mastersMissing(ctx context.Context, env *Env, thumb string) ([]string, error) {
	hosts := env.Answers.MasterHosts()
	if thumb == "" {
		return append([]string(nil), hosts...), nil
	}
	present := make([]bool, len(hosts))
	var reads []func() error
	for i, h := range hosts {
		reads = append(reads, func() error {
			var res struct {
				Present bool `json:"present"`
			}
			if err := env.PS(ctx, h, psCertCheck("Root", thumb), &res); err != nil {
				return fmt.Errorf("checking the worker certificate on %s: %w", h, err)
			}
			present[i] = res.Present
			return nil
		})
	}
	var out []string
	for i, err := range concurrently(reads...) {
		if err != nil {
			return nil, err
		}
		if !present[i] {
			out = append(out, hosts[i])
		}
	}
	return out, nil
}

func (s workersStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	a := env.Answers
	want := a.MasterAddress()
	primary := a.Primary().Host
	// The certificate (PowerShell) and the replica (T-SQL) travel on different
	// channels to the primary, so they are read at once.
	var (
		mc masterCert
		f  replicaFacts
	)
	errs := concurrently(
		func() (err error) {
			mc, err = sharedRead(env, "master-cert "+primary, func() (masterCert, error) { return readMasterCertForWorkers(ctx, env, primary) })
			return err
		},
		func() (err error) {
			f, err = sharedRead(env, "replica-facts "+primary, func() (replicaFacts, error) { return readReplicaFacts(ctx, env, primary) })
			return err
		},
	)
	if errs[0] != nil {
		return Detection{}, errs[0]
	}
	if !mc.Found {
		return Detection{State: StateBlocked, Reason: "the master certificate is not on " + primary, Fix: "run step 2 first"}, nil
	}
	if p := masterEndpointProblem(want, mc); p != "" {
		return Detection{State: StateBlocked, Reason: "masterService.dnsName/port: " + p, Fix: "use a name the master certificate carries (step 2)"}, nil
	}
	if errs[1] != nil {
		return Detection{}, errs[1]
	}
	wf, err := readWorkerFacts(ctx, env, t.Host, mc.Thumbprint)
	if err != nil {
		return Detection{}, err
	}
	// A worker's own setup needs only the master certificate; what an installed
	// worker's registration is, only SSISDB tells, through the listener.
	if f.ListenerDNS == "" && wf.Installed {
		return Detection{State: StateBlocked, Reason: "the listener does not exist yet", Fix: "apply step 4 first"}, nil
	}
	missing, err := mastersMissing(ctx, env, wf.WorkerThumbprint)
	if err != nil {
		return Detection{}, err
	}
	enabled := false
	if wf.AgentID != "" {
		rs, err := env.SQL(ctx, remote.Listener, tsqlWorkerGet(wf.AgentID))
		if err != nil {
			return Detection{}, err
		}
		enabled = Int(Row(rs)["IsEnabled"]) == 1
	}
	facts := map[string]any{"installed": wf.Installed, "masterEndpoint": wf.MasterEndpoint, "masterCertInRoot": wf.MasterCertInRoot,
		"workerThumbprint": wf.WorkerThumbprint, "agentId": wf.AgentID, "mastersWithoutWorkerCert": missing, "enabled": enabled}
	var acts []Action
	if !wf.MasterCertInRoot {
		acts = append(acts, actTrustMaster.New("Import the master certificate into LocalMachine\\Root",
			[]Command{PSCommand(t.Host, psCertImport("Root", mc.Cer))}, &trustMasterUndo{Thumbprint: mc.Thumbprint, Added: true}))
	}
	if !wf.Installed {
		acct := s.worker(env, t.Host)
		if acct == "" || env.Secrets == nil || env.Secrets.WorkerAccountPassword.IsZero() {
			return Detection{State: StateBlocked, Facts: facts, Reason: "the worker service account or its password is not given for " + t.Host,
				Fix: "set workers[].account in the answer file and " + envvar.WorkerAccountPassword}, nil
		}
		if len(wf.RebootReasons) > 0 {
			return Detection{State: StateBlocked, Facts: facts,
				Reason: fmt.Sprintf("%s has a restart pending (%s), and SQL Server setup refuses to run until it restarts", t.Host, strings.Join(wf.RebootReasons, ", ")),
				Fix:    "restart " + t.Host + " and run this step again"}, nil
		}
		// Setup generates the AgentId; without it in the hint, Undo reads it from
		// WorkerSettings.config before uninstalling.
		acts = append(acts, actInstallWorker.New("Install the Scale Out Worker",
			[]Command{PSCommand(t.Host, psWorkerInstall(a.SetupMedia, acct, env.Secrets.WorkerAccountPassword, want, mc.Thumbprint,
				env.Version.WorkerService(), env.Version.Folder(), env.Version.Number()))},
			&workerInstallUndo{Installed: true, RemoveIS: !wf.ISInstalled}))
	}
	// Where the node says the file is or will be (next to the service, else under the
	// folder its registry names); the configure script looks next to the service again
	// once setup has run.
	settingsPath := cmp.Or(wf.Path, env.Version.WorkerSettingsPath())
	if !wf.Installed || wf.MasterEndpoint != want || !strings.EqualFold(wf.MasterThumbprint, mc.Thumbprint) {
		// On a worker this run installs, the install action's undo removes the
		// settings, so there is nothing of its own for this one to restore.
		hint := &configureUndo{Path: settingsPath}
		if wf.Installed {
			hint.Changed = true
			hint.Previous = map[string]any{"MasterEndpoint": wf.MasterEndpoint, "MasterHttpsCertThumbprint": wf.MasterThumbprint}
		}
		acts = append(acts, actConfigureWorker.New("Point WorkerSettings.config at "+want,
			[]Command{PSCommand(t.Host, psWorkerSettingsSet(env.Version.WorkerService(), settingsPath, map[string]any{"MasterEndpoint": want, "MasterHttpsCertThumbprint": mc.Thumbprint}))},
			hint))
	}
	if len(missing) > 0 {
		cmds := []Command{PSCommand(t.Host, psCertExport(cmp.Or(wf.WorkerThumbprint, Placeholder("WorkerHttpsCertThumbprint of "+t.Host))))}
		for _, h := range missing {
			cmds = append(cmds, PSCommand(h, psCertImport("Root", Placeholder("worker certificate exported from "+t.Host))))
		}
		// The worker certificate of a worker this run installs is made by setup; Undo
		// reads its thumbprint on the worker when the hint has none.
		acts = append(acts, actTrustWorker.New("Import the worker certificate into LocalMachine\\Root on "+strings.Join(missing, ", "), cmds,
			&trustWorkerUndo{Thumbprint: wf.WorkerThumbprint, AddedOn: missing}))
	}
	restart := len(acts) > 0 && !(len(acts) == 1 && acts[0].ID == actTrustWorker.ID && wf.Installed && enabled)
	if restart || (wf.Installed && wf.ServiceState != "Running") {
		// A restart changes nothing to undo; the hint says so (an empty one would read
		// as "not known").
		acts = append(acts, actRestartWorker.New("Restart "+env.Version.WorkerService(),
			[]Command{PSCommand(t.Host, psWorkerRestart(env.Version.WorkerService()))}, &restartUndo{Restarted: true}))
	}
	if !enabled {
		id := cmp.Or(wf.AgentID, agentPlaceholder)
		// The AgentId is empty on a worker this run installs; Undo then reads it.
		acts = append(acts, actEnableWorker.New("Wait for the worker to register, then enable it",
			[]Command{SQLCommand(remote.Listener, tsqlWorkerGet(id)), SQLCommand(remote.Listener, tsqlWorkerEnable(id))},
			&enableUndo{AgentID: wf.AgentID}))
	}
	d := Detection{State: StatePending, Facts: facts, Actions: acts}
	switch {
	case len(acts) == 0:
		d.State = StateDone
	case wf.Installed && enabled && len(missing) > 0:
		d.State = StateDrift
		d.Reason = "the worker certificate of " + t.Host + " is not in LocalMachine\\Root on " + strings.Join(missing, ", ") +
			": when the master role fails over there, the worker gets 403 Forbidden"
		d.Fix = "apply step 9 to import it on every master node"
	}
	return d, nil
}

// applyTrustWorker exports the worker certificate now (setup may have made it during
// this run) and imports it where it is missing.
func applyTrustWorker(ctx context.Context, env *Env, t Target, a Action, _ trustWorkerUndo) (*trustWorkerUndo, error) {
	wf, err := readWorkerFacts(ctx, env, t.Host, "")
	if err != nil {
		return nil, err
	}
	var exp struct {
		Found bool   `json:"found"`
		Cer   string `json:"cer"`
	}
	var missing []string
	// The export reads the worker, the checks read the masters: they run at once.
	errs := concurrently(
		func() error { return env.PS(ctx, t.Host, psCertExport(wf.WorkerThumbprint), &exp) },
		func() (err error) { missing, err = mastersMissing(ctx, env, wf.WorkerThumbprint); return err },
	)
	if err := errs[0]; err != nil || !exp.Found {
		if err == nil {
			err = fmt.Errorf("the worker certificate %s is not in LocalMachine\\My", wf.WorkerThumbprint)
		}
		return nil, &ActionError{Step: 9, Host: t.Host, Action: a.Summary, Err: err, Fix: "reinstall the worker or put its certificate back"}
	}
	if errs[1] != nil {
		return nil, errs[1]
	}
	// Each master imports on its own node, so the imports run at once; the undo
	// names the masters in the answers' order whatever order they end in.
	addedOn := make([]bool, len(missing))
	imports := make([]func() error, len(missing))
	for i, h := range missing {
		imports[i] = func() error {
			var res struct {
				Added bool `json:"added"`
			}
			if err := env.PS(ctx, h, psCertImport("Root", exp.Cer), &res); err != nil {
				return &ActionError{Step: 9, Host: h, Action: a.Summary, Err: err, Fix: "run it as a local administrator of " + h}
			}
			addedOn[i] = res.Added
			return nil
		}
	}
	ierrs := concurrently(imports...)
	var added []string
	for i, h := range missing {
		if addedOn[i] {
			added = append(added, h)
		}
	}
	for _, err := range ierrs {
		if err != nil {
			return &trustWorkerUndo{Thumbprint: wf.WorkerThumbprint, AddedOn: added}, err
		}
	}
	return &trustWorkerUndo{Thumbprint: wf.WorkerThumbprint, AddedOn: added}, nil
}

func applyEnableWorker(ctx context.Context, env *Env, t Target, a Action, _ enableUndo) (*enableUndo, error) {
	wf, err := readWorkerFacts(ctx, env, t.Host, "")
	if err != nil {
		return nil, err
	}
	if wf.AgentID == "" {
		return nil, &ActionError{Step: 9, Host: t.Host, Action: a.Summary, Err: fmt.Errorf("WorkerSettings.config has no AgentId"), Fix: "reinstall the worker"}
	}
	err = pollUntil(ctx, env, registrationTimeout, registrationInterval, "registration of "+t.Host+" in catalog.worker_agents", func() (bool, error) {
		rs, err := env.SQL(ctx, remote.Listener, tsqlWorkerGet(wf.AgentID))
		if err != nil {
			return false, err
		}
		return Row(rs) != nil, nil
	})
	if err != nil {
		return nil, &ActionError{Step: 9, Host: t.Host, Action: a.Summary, Err: err,
			Fix: "read the worker log (AppData\\Local\\SSIS\\ScaleOut\\Agent of its account); check the certificates both ways, MasterEndpoint and port 8391 from the worker"}
	}
	if err := env.Run(ctx, SQLCommand(remote.Listener, tsqlWorkerEnable(wf.AgentID))); err != nil {
		return nil, &ActionError{Step: 9, Host: t.Host, Action: a.Summary, Err: err, Fix: "run it as ssis_admin or sysadmin"}
	}
	return &enableUndo{AgentID: wf.AgentID}, nil
}

func (workersStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	d, err := workersStep{}.Detect(ctx, env, t)
	if err != nil {
		return nil, err
	}
	if d.State == StateDone {
		return []Check{{Name: "Worker registered and enabled", Status: CheckSuccess, Detail: Str(d.Facts["agentId"])}}, nil
	}
	var open []string
	for _, a := range d.Actions {
		open = append(open, a.Summary)
	}
	return []Check{{Name: "Worker registered and enabled", Status: CheckFailed, Detail: cmp.Or(d.Reason, "still to do: "+strings.Join(open, "; ")), Fix: cmp.Or(d.Fix, "re-run step 9 on "+t.Host)}}, nil
}

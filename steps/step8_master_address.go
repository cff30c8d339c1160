package steps

import (
	"context"
	"fmt"

	"github.com/ssisha/ssisha/remote"
)

// Step 8 records https://<master DNS name>:<port> as MASTER_ADDRESS in SSISDB, through
// the listener. Its host must be a name the master certificate carries, the classic
// cause of "Could not establish trust relationship" on workers.
type masterAddressStep struct{}

// NewMasterAddressStep returns step 8.
func NewMasterAddressStep() Step { return masterAddressStep{} }

func (masterAddressStep) ID() int       { return 8 }
func (masterAddressStep) Title() string { return "Record the master address in SSISDB" }
func (masterAddressStep) Scope() Scope  { return ClusterOnce }

func (masterAddressStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	want := env.Answers.MasterAddress()
	// The certificate (PowerShell) and the replica (T-SQL) travel on different
	// channels to the node, so they are read at once. The catalog is read only once
	// the listener is known to exist: before step 4 there is nothing to connect to.
	var (
		mc masterCert
		f  replicaFacts
	)
	errs := concurrently(
		func() (err error) { mc, err = readMasterCert(ctx, env, t.Host); return err },
		func() (err error) { f, err = readReplicaFacts(ctx, env, t.Host); return err },
	)
	if errs[0] != nil {
		return Detection{}, errs[0]
	}
	facts := map[string]any{"want": want, "certThumbprint": mc.Thumbprint, "certNames": mc.DNSNames}
	if !mc.Found {
		return Detection{State: StateBlocked, Facts: facts, Reason: "the master certificate named by MasterSettings.config is not on " + t.Host,
			Fix: "run step 2 (master install and certificate) first"}, nil
	}
	if p := masterEndpointProblem(want, mc); p != "" {
		return Detection{State: StateBlocked, Facts: facts, Reason: "masterService.dnsName/port: " + p,
			Fix: "use a name the certificate carries, or re-create the master certificate with it (step 2, masterService.certificate.extraNames)"}, nil
	}
	if errs[1] != nil {
		return Detection{}, errs[1]
	}
	if f.ListenerDNS == "" {
		return Detection{State: StateBlocked, Facts: facts, Reason: "the listener does not exist yet", Fix: "apply step 4 first"}, nil
	}
	cat, err := readCatalogFacts(ctx, env, remote.Listener)
	if err != nil {
		return Detection{}, err
	}
	facts["masterAddress"] = cat.MasterAddress
	if !cat.Catalog {
		return Detection{State: StateBlocked, Facts: facts, Reason: "SSISDB is not readable through the listener", Fix: "apply step 4 first"}, nil
	}
	if cat.MasterAddress == want {
		return Detection{State: StateDone, Facts: facts}, nil
	}
	d := Detection{State: StatePending, Facts: facts, Actions: []Action{actSetMasterAddress.New("Set MASTER_ADDRESS to "+want,
		[]Command{SQLCommand(remote.Listener, tsqlMasterAddressSet(want))}, &addressUndo{Previous: cat.MasterAddress})}}
	if cat.MasterAddress != "" {
		d.State = StateDrift
		d.Reason = "MASTER_ADDRESS is " + cat.MasterAddress
		if p := masterEndpointProblem(cat.MasterAddress, mc); p != "" {
			d.Reason += ": " + p + "; workers wired from it fail with \"Could not establish trust relationship\""
		}
		d.Fix = "apply step 8 to set it to " + want
	}
	return d, nil
}

// actSetMasterAddress records the master's address (the access point) in SSISDB.
var actSetMasterAddress = &ActionDef[addressUndo]{ActionInfo: ActionInfo{ID: "set-master-address", Kind: KindChange,
	Summary: "Set MASTER_ADDRESS in SSISDB"}, Run: applySetMasterAddress, Reverse: undoSetMasterAddress}

// addressUndo is MASTER_ADDRESS before the action.
type addressUndo struct {
	Previous string `json:"previous"`
}

// Actions lists step 8's action.
func (masterAddressStep) Actions() []ActionType { return []ActionType{actSetMasterAddress} }

func applySetMasterAddress(ctx context.Context, env *Env, t Target, a Action, _ addressUndo) (*addressUndo, error) {
	rs, err := env.SQL(ctx, remote.Listener, *a.Commands[0].SQL)
	if err != nil {
		return nil, &ActionError{Step: 8, Host: remote.Listener, Action: a.Summary, Err: err, Fix: "run it as ssis_admin or sysadmin through the listener"}
	}
	return &addressUndo{Previous: Str(Row(rs)["previous"])}, nil
}

func (masterAddressStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	want := env.Answers.MasterAddress()
	cat, err := readCatalogFacts(ctx, env, remote.Listener)
	if err != nil {
		return nil, err
	}
	if cat.MasterAddress != want {
		return []Check{{Name: "MASTER_ADDRESS", Status: CheckFailed, Detail: fmt.Sprintf("%q, not %q", cat.MasterAddress, want), Fix: "re-run step 8"}}, nil
	}
	return []Check{{Name: "MASTER_ADDRESS", Status: CheckSuccess, Detail: want}}, nil
}

func undoSetMasterAddress(ctx context.Context, env *Env, t Target, u addressUndo) error {
	if err := env.Run(ctx, SQLCommand(remote.Listener, tsqlMasterAddressSet(u.Previous))); err != nil {
		return &ActionError{Step: 8, Host: remote.Listener, Err: err}
	}
	return nil
}

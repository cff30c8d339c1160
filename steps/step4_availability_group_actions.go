package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/ssisha/ssisha/envvar"
)

// Step 4's actions, each with its apply, its undo and the undo data the journal keeps.

// The actions of step 4.
var (
	actEndpoint = agAction(ActionInfo{ID: "endpoint", Kind: KindCreate,
		Summary: "Create the mirroring endpoint"}, applyEndpoint, undoEndpoint)
	actMasterLogin = agAction(ActionInfo{ID: "master-login", Kind: KindCreate,
		Summary: "Create the master account's login"}, applyMasterLogin, undoMasterLogin)
	actCreateCatalog = agAction(ActionInfo{ID: "create-catalog", Kind: KindCreate,
		Summary: "Create the SSISDB catalog and enable Scale Out"}, applyCreateCatalog, undoCreateCatalog, absorbCreateCatalog)
	actEnableScaleout = agAction(ActionInfo{ID: "enable-scaleout", Kind: KindChange,
		Summary:      "Enable Scale Out in SSISDB",
		Irreversible: "disabling Scale Out needs SSISDB in single-user mode, which an availability database refuses; undo leaves it enabled"},
		applyEnableScaleout, undoEnableScaleout)
	actMasterUser = agAction(ActionInfo{ID: "master-user", Kind: KindCreate,
		Summary: "Give the master account an SSISDB user in ssis_admin"}, applyMasterUser, undoMasterUser)
	actCreateAG = agAction(ActionInfo{ID: "create-ag", Kind: KindCreate,
		Summary: "Create the availability group"}, applyCreateAG, undoCreateAG)
	actListener = agAction(ActionInfo{ID: "listener", Kind: KindCreate,
		Summary: "Add the listener"}, applyListener, undoListener)
	actJoin = agAction(ActionInfo{ID: "join", Kind: KindChange,
		Summary: "Join the availability group and seed SSISDB"}, applyJoin, undoJoin)
	actDMKCredential = agAction(ActionInfo{ID: "dmk-credential", Kind: KindCreate,
		Summary: "Add the SSISDB master key credential"}, applyDMKCredential, undoDMKCredential)
	actAlwaysOnSupport = agAction(ActionInfo{ID: "alwayson-support", Kind: KindCreate,
		Summary: "Enable Always On support for SSIS"}, applyAlwaysOnSupport, undoAlwaysOnSupport, absorbAlwaysOnSupport)
)

// Actions lists step 4's actions.
func (availabilityGroupStep) Actions() []ActionType {
	return []ActionType{actEndpoint, actMasterLogin, actCreateCatalog, actEnableScaleout, actMasterUser,
		actCreateAG, actListener, actJoin, actDMKCredential, actAlwaysOnSupport}
}

// absorbCreateCatalog: a catalog creation killed after it turned CLR on shows the
// re-run CLR as enabled before; the interrupted hint holds how it really was.
func absorbCreateCatalog(interrupted, result catalogUndo) catalogUndo {
	result.ClrWasEnabled = interrupted.ClrWasEnabled
	result.Created = result.Created || interrupted.Created
	return result
}

// absorbAlwaysOnSupport keeps what the interrupted run may have created (objects, the
// assembly key and login, the replica's row) and CLR's state before it; each undo
// batch drops only what exists.
func absorbAlwaysOnSupport(interrupted, result supportUndo) supportUndo {
	result.Objects = unionList(result.Objects, interrupted.Objects)
	result.AssemblyLogin = result.AssemblyLogin || interrupted.AssemblyLogin
	result.AssemblyKey = result.AssemblyKey || interrupted.AssemblyKey
	result.ClrWasOff = result.ClrWasOff || interrupted.ClrWasOff
	result.ReplicaAdded = result.ReplicaAdded || interrupted.ReplicaAdded
	if result.Server == "" {
		result.Server = interrupted.Server
	}
	return result
}

// endpointUndo is what the endpoint action created or granted.
type endpointUndo struct {
	Endpoint        string `json:"endpoint"`
	EndpointCreated bool   `json:"endpointCreated"`
	LoginsCreated   string `json:"loginsCreated"`
	// ConnectGranted are the identities given CONNECT on an endpoint that existed.
	ConnectGranted string `json:"connectGranted,omitempty"`
	// SystemGrants are the permissions granted to NT AUTHORITY\SYSTEM, comma-separated.
	SystemGrants string `json:"systemGrants,omitempty"`
	// SystemGranted is what journals written before SystemGrants say: the batch granted
	// the AG permissions to SYSTEM; CONNECT SQL, which setup grants, is never taken back.
	SystemGranted bool `json:"systemGranted"`
}

// systemGrantsToRevoke is what undo takes back from NT AUTHORITY\SYSTEM.
func (u endpointUndo) systemGrantsToRevoke() string {
	if u.SystemGrants == "" && u.SystemGranted {
		return "ALTER ANY AVAILABILITY GROUP,VIEW SERVER STATE"
	}
	return u.SystemGrants
}

// loginUndo is a login and whether the action created it.
type loginUndo struct {
	Created bool   `json:"created"`
	Login   string `json:"login"`
}

// catalogUndo says whether the action created SSISDB and whether CLR was on before.
type catalogUndo struct {
	ClrWasEnabled bool `json:"clrWasEnabled"`
	Created       bool `json:"created"`
}

// userUndo is an SSISDB user and whether the action created it.
type userUndo struct {
	Created bool   `json:"created"`
	User    string `json:"user"`
}

// agUndo is the availability group (and listener) and whether the action created it.
type agUndo struct {
	AG       string `json:"ag"`
	Created  bool   `json:"created"`
	Listener string `json:"listener,omitempty"`
}

// joinUndo is the replica that joined the group.
type joinUndo struct {
	AG     string `json:"ag"`
	Server string `json:"server"`
}

// credentialUndo names the SSISDB copy whose master key credential was added.
type credentialUndo struct {
	FamilyGUID string `json:"familyGuid"`
}

// cleanupJobLogin is the login SSISDB's maintenance job runs as.
const cleanupJobLogin = "##MS_SSISServerCleanupJobLogin##"

// isServerAssembly is the Integration Services server assembly in the version's
// DTS\Binn, from which SSISDB's assembly-loading key is made.
const isServerAssembly = "Microsoft.SqlServer.IntegrationServices.Server.dll"

// supportUndo is what enabling Always On support for SSIS created.
type supportUndo struct {
	Objects string `json:"objects"`
	// What the CLR part created: the assembly login, its key, and whether CLR was off.
	AssemblyLogin bool   `json:"assemblyLogin,omitempty"`
	AssemblyKey   bool   `json:"assemblyKey,omitempty"`
	ClrWasOff     bool   `json:"clrWasOff,omitempty"`
	ReplicaAdded  bool   `json:"replicaAdded,omitempty"`
	Server        string `json:"server,omitempty"`
}

func agActionError(t Target, a Action, err error, fix string) error {
	return &ActionError{Step: 4, Host: t.Host, Action: a.Summary, Err: err, Fix: fix}
}

func applyEndpoint(ctx context.Context, env *Env, t Target, a Action, _ endpointUndo) (*endpointUndo, error) {
	rs, err := env.SQL(ctx, t.Host, *a.Commands[0].SQL)
	if err != nil {
		return nil, agActionError(t, a, err, "check that port "+fmt.Sprint(env.Answers.AvailabilityGroup.EndpointPort)+" is free on "+t.Host)
	}
	r := Row(rs)
	return &endpointUndo{Endpoint: Str(r["endpoint_name"]), EndpointCreated: Int(r["endpoint_created"]) == 1,
		LoginsCreated: Str(r["logins_created"]), ConnectGranted: Str(r["connect_granted"]), SystemGrants: Str(r["system_granted"])}, nil
}

func applyMasterLogin(ctx context.Context, env *Env, t Target, a Action, _ loginUndo) (*loginUndo, error) {
	ans := env.Answers
	rs, err := env.SQL(ctx, t.Host, *a.Commands[0].SQL)
	if err != nil {
		return nil, agActionError(t, a, err, "check that "+ans.MasterService.Account+" exists in the domain")
	}
	return &loginUndo{Login: ans.MasterService.Account, Created: Int(Row(rs)["created"]) == 1}, nil
}

func applyCreateCatalog(ctx context.Context, env *Env, t Target, a Action, _ catalogUndo) (*catalogUndo, error) {
	var u catalogUndo
	if err := env.PS(ctx, t.Host, *a.Commands[0].PS, &u); err != nil {
		return nil, agActionError(t, a, err, "check that Integration Services is installed (step 2) and that the master key password meets the password policy")
	}
	if err := env.Run(ctx, a.Commands[1]); err != nil {
		return &u, agActionError(t, a, err, "run it as sysadmin on a node where the Scale Out Master is installed (step 2)")
	}
	return &u, nil
}

func applyEnableScaleout(ctx context.Context, env *Env, t Target, a Action, _ struct{}) (*struct{}, error) {
	if _, err := env.SQL(ctx, t.Host, *a.Commands[0].SQL); err != nil {
		return nil, agActionError(t, a, err, "run it as sysadmin on a node where the Scale Out Master is installed (step 2)")
	}
	return nil, nil
}

func applyMasterUser(ctx context.Context, env *Env, t Target, a Action, _ userUndo) (*userUndo, error) {
	rs, err := env.SQL(ctx, t.Host, *a.Commands[0].SQL)
	if err != nil {
		return nil, agActionError(t, a, err, "create the login first (this step's master-login action)")
	}
	return &userUndo{User: env.Answers.MasterService.Account, Created: Int(Row(rs)["created"]) == 1}, nil
}

func applyCreateAG(ctx context.Context, env *Env, t Target, a Action, _ agUndo) (*agUndo, error) {
	rs, err := env.SQL(ctx, t.Host, *a.Commands[0].SQL)
	if err != nil {
		return nil, agActionError(t, a, err, "check the cluster (step 1), Always On (steps 2 and 3) and the backup directory on "+t.Host)
	}
	return &agUndo{AG: env.Answers.AvailabilityGroup.Name, Created: Int(Row(rs)["created"]) == 1}, nil
}

func applyListener(ctx context.Context, env *Env, t Target, a Action, _ agUndo) (*agUndo, error) {
	ans := env.Answers
	rs, err := env.SQL(ctx, t.Host, *a.Commands[0].SQL)
	if err != nil {
		return nil, agActionError(t, a, err, "check that the listener name is free in DNS and AD, that its address is unused, and that the cluster name object may create computer objects")
	}
	return &agUndo{AG: ans.AvailabilityGroup.Name, Listener: listenerLabel(ans.AvailabilityGroup.Listener.DNSName), Created: Int(Row(rs)["created"]) == 1}, nil
}

func applyJoin(ctx context.Context, env *Env, t Target, a Action, _ joinUndo) (*joinUndo, error) {
	ans := env.Answers
	primary := ans.Primary().Host
	err := pollUntil(ctx, env, agWaitTimeout, agWaitInterval, "the availability group "+ans.AvailabilityGroup.Name+" on "+primary, func() (bool, error) {
		f, err := readReplicaFacts(ctx, env, primary)
		if err != nil {
			return false, waitGivesUp(err)
		}
		return f.AGExists, nil
	})
	if err != nil {
		fix := "apply step 4 on the primary " + primary + " first"
		if !errors.Is(err, ErrTimedOut) {
			fix = "fix what stops reading " + primary + " (above), then apply step 4 again"
		}
		return nil, agActionError(t, a, err, fix)
	}
	self, err := readReplicaFacts(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	if err := env.Run(ctx, a.Commands[0]); err != nil {
		fix := "check that the mirroring endpoints on both replicas are started and reachable on port " + fmt.Sprint(ans.AvailabilityGroup.EndpointPort)
		if waitGivesUp(err) != nil {
			fix = "fix the cause above on " + t.Host + ", then apply step 4 again"
		}
		return nil, agActionError(t, a, err, fix)
	}
	u := &joinUndo{AG: ans.AvailabilityGroup.Name, Server: self.ServerName}
	if _, err := waitSeeded(ctx, env, t.Host); err != nil {
		return u, agActionError(t, a, err, "check sys.dm_hadr_automatic_seeding on the primary")
	}
	return u, nil
}

func applyDMKCredential(ctx context.Context, env *Env, t Target, a Action, _ credentialUndo) (*credentialUndo, error) {
	f, err := waitSeeded(ctx, env, t.Host)
	if err != nil {
		return nil, agActionError(t, a, err, "check that "+t.Host+" joined "+env.Answers.AvailabilityGroup.Name+" and that automatic seeding runs (sys.dm_hadr_automatic_seeding)")
	}
	if err := env.Run(ctx, a.Commands[0]); err != nil {
		return nil, agActionError(t, a, err, "check that "+envvar.MasterKeyPassword+" is the password SSISDB's master key was created with")
	}
	return &credentialUndo{FamilyGUID: f.FamilyGUID}, nil
}

func applyAlwaysOnSupport(ctx context.Context, env *Env, t Target, a Action, hint supportUndo) (*supportUndo, error) {
	if _, err := waitSeeded(ctx, env, t.Host); err != nil {
		return nil, agActionError(t, a, err, "")
	}
	rs, err := env.SQL(ctx, t.Host, *a.Commands[0].SQL)
	if err != nil {
		return nil, agActionError(t, a, err, "check that Integration Services of this version is installed on "+t.Host+" (its server assembly is where the key comes from)")
	}
	r := Row(rs)
	u := &supportUndo{ClrWasOff: Int(r["clr_was_enabled"]) == 0, AssemblyKey: Int(r["key_created"]) == 1, AssemblyLogin: Int(r["login_created"]) == 1}
	// The cleanup-job login takes the SID of the primary's, so that SSISDB's user for it
	// maps after a failover.
	primary := env.Answers.Primary().Host
	rs, err = env.SQL(ctx, primary, tsqlLoginSID(cleanupJobLogin))
	if err != nil {
		return u, agActionError(t, a, err, "check that the catalog exists on "+primary)
	}
	sid, _ := Row(rs)["sid"].([]byte)
	if len(sid) == 0 {
		return u, agActionError(t, a, fmt.Errorf("%s has no login %s, so its SID cannot be copied", primary, cleanupJobLogin), "create the catalog on "+primary+" first")
	}
	// The replica is registered before its failover monitor job exists: the job's
	// first run (internal.refresh_replica_status) fails with 27228 on a replica that
	// internal.alwayson_support_state does not hold.
	rs, err = env.SQL(ctx, a.Commands[1].Host, *a.Commands[1].SQL)
	if err != nil {
		return u, agActionError(t, a, err, "check that SSISDB is online on the primary")
	}
	u.Server, u.ReplicaAdded = hint.Server, Int(Row(rs)["added"]) == 1
	rs, err = env.SQL(ctx, t.Host, tsqlAlwaysOnSupport(sid))
	if err != nil {
		return u, agActionError(t, a, err, "run it as sysadmin on "+t.Host)
	}
	u.Objects = Str(Row(rs)["created"])
	return u, nil
}

// agAction declares an action of step 4 whose undo runs once the group is back on the
// replica that created it: every undo of this step assumes so (the listener and the
// replicas are removed there, the catalog dropped there). After a failover the undo
// fails the group back first; a planned failover needs the replica synchronized, and
// MoveAvailabilityGroup says so when it is not. absorb, at most one, is the action's
// Absorb hook.
func agAction[U any](info ActionInfo, run func(ctx context.Context, env *Env, t Target, a Action, hint U) (*U, error),
	undo func(ctx context.Context, env *Env, t Target, u U) error, absorb ...func(interrupted, result U) U) *ActionDef[U] {
	d := &ActionDef[U]{ActionInfo: info, Run: run, Reverse: func(ctx context.Context, env *Env, t Target, u U) error {
		primary := env.Answers.Primary().Host
		if err := failBackBeforeUndo(ctx, env, primary); err != nil {
			return &ActionError{Step: 4, Host: t.Host, Action: "undo " + info.ID, Err: err,
				Fix: "bring the availability group back to " + primary + " (ALTER AVAILABILITY GROUP … FAILOVER on it), then run rollback --steps 4 again"}
		}
		return undo(ctx, env, t, u)
	}}
	if len(absorb) > 0 {
		d.Absorb = absorb[0]
	}
	return d
}

// runUndo runs the commands of an undo of step 4 in order.
func runUndo(ctx context.Context, env *Env, t Target, cmds ...Command) error {
	for _, c := range cmds {
		if err := env.Run(ctx, c); err != nil {
			return &ActionError{Step: 4, Host: t.Host, Err: err}
		}
	}
	return nil
}

func undoEndpoint(ctx context.Context, env *Env, t Target, u endpointUndo) error {
	return runUndo(ctx, env, t, SQLCommand(t.Host, tsqlEndpointDrop(u.Endpoint, u.EndpointCreated, u.LoginsCreated, u.ConnectGranted, u.systemGrantsToRevoke())))
}

func undoMasterLogin(ctx context.Context, env *Env, t Target, u loginUndo) error {
	if !u.Created {
		return nil
	}
	return runUndo(ctx, env, t, SQLCommand(t.Host, tsqlLoginDrop(u.Login)))
}

func undoCreateCatalog(ctx context.Context, env *Env, t Target, u catalogUndo) error {
	if !u.Created {
		return nil
	}
	return runUndo(ctx, env, t, SQLCommand(t.Host, tsqlCatalogDrop(!u.ClrWasEnabled)))
}

func undoEnableScaleout(context.Context, *Env, Target, struct{}) error {
	return irreversible("disabling Scale Out needs SSISDB in single-user mode, which an availability database refuses")
}

func undoMasterUser(ctx context.Context, env *Env, t Target, u userUndo) error {
	if !u.Created {
		return nil
	}
	return runUndo(ctx, env, t, SQLCommand(t.Host, tsqlUserDrop(u.User)))
}

func undoCreateAG(ctx context.Context, env *Env, t Target, u agUndo) error {
	if !u.Created {
		return nil
	}
	return runUndo(ctx, env, t, SQLCommand(t.Host, tsqlAGDrop(u.AG)))
}

func undoListener(ctx context.Context, env *Env, t Target, u agUndo) error {
	if !u.Created {
		return nil
	}
	return runUndo(ctx, env, t, SQLCommand(t.Host, tsqlListenerRemove(u.AG, u.Listener)))
}

func undoJoin(ctx context.Context, env *Env, t Target, u joinUndo) error {
	primary := env.Answers.Primary().Host
	return runUndo(ctx, env, t, SQLCommand(primary, tsqlAGReplicaRemove(u.AG, u.Server)), SQLCommand(t.Host, tsqlAGSecondaryCleanup(u.AG)))
}

func undoDMKCredential(ctx context.Context, env *Env, t Target, u credentialUndo) error {
	guid := u.FamilyGUID
	if guid == "" {
		// A hint written before SSISDB was seeded here: the credential names the
		// family GUID of the copy this replica holds now.
		f, err := readReplicaFacts(ctx, env, t.Host)
		if err != nil {
			return &ActionError{Step: 4, Host: t.Host, Err: err}
		}
		if guid = f.FamilyGUID; guid == "" {
			return nil // no SSISDB here, so no credential was added for it
		}
	}
	return runUndo(ctx, env, t, SQLCommand(t.Host, tsqlDMKCredentialDrop(guid)))
}

func undoAlwaysOnSupport(ctx context.Context, env *Env, t Target, u supportUndo) error {
	var cmds []Command
	if u.ReplicaAdded {
		cmds = append(cmds, SQLCommand(env.Answers.Primary().Host, tsqlAlwaysOnReplicaRemove(u.Server)))
	}
	cmds = append(cmds, SQLCommand(t.Host, tsqlAlwaysOnSupportRemove(u.Objects)),
		SQLCommand(t.Host, tsqlCLRAssemblyDrop(u.AssemblyLogin, u.AssemblyKey, u.ClrWasOff)))
	return runUndo(ctx, env, t, cmds...)
}

package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/steps/answers"
)

// Step 4 runs on each master node. On the primary it creates the catalog with Scale
// Out enabled, gives the master service account an SSISDB user in ssis_admin, creates
// the availability group and its listener. On each secondary it joins the group,
// adds the credential that opens SSISDB's master key there, and creates the SSIS
// server objects of "Enable Always On support". Both roles get the mirroring endpoint
// and the master account's login. Targets run in parallel, so a secondary's join
// waits (bounded) until the primary has created the group.
type availabilityGroupStep struct{}

// NewAvailabilityGroupStep returns step 4.
func NewAvailabilityGroupStep() Step { return availabilityGroupStep{} }

func (availabilityGroupStep) ID() int       { return 4 }
func (availabilityGroupStep) Title() string { return "SSISDB in an availability group with a listener" }
func (availabilityGroupStep) Scope() Scope  { return EachMaster }

// How long a secondary waits for the primary's group and for seeding. Each check is
// one small query, so it is asked often: the secondary joins within moments of the
// group appearing.
const (
	agWaitTimeout  = 10 * time.Minute
	agWaitInterval = 2 * time.Second
)

// hasReplica reports whether a comma list of server names holds name.
func hasReplica(list, name string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return true
		}
	}
	return false
}

// listenerIPMask splits "10.0.0.50/24" or "10.0.0.50/255.255.255.0" into address and mask.
func listenerIPMask(s string) (string, string, error) {
	ip, mask, ok := strings.Cut(s, "/")
	if !ok || net.ParseIP(ip) == nil {
		return "", "", fmt.Errorf("%q is not an IPv4 address with a prefix (10.0.0.50/24)", s)
	}
	if net.ParseIP(mask) != nil {
		return ip, mask, nil
	}
	var bits int
	if _, err := fmt.Sscanf(mask, "%d", &bits); err != nil || bits < 1 || bits > 32 {
		return "", "", fmt.Errorf("%q has no valid prefix length", s)
	}
	m := net.CIDRMask(bits, 32)
	return ip, net.IP(m).String(), nil
}

func (s availabilityGroupStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	a := env.Answers
	f, err := readReplicaFacts(ctx, env, t.Host)
	if err != nil {
		return Detection{}, err
	}
	role := agRole(t, f)
	facts := map[string]any{"role": role, "hadrEnabled": f.Hadr, "endpoint": f.EndpointName, "masterLogin": f.MasterLogin,
		"ssisdb": f.SSISDBState, "agJoined": f.Joined, "listener": f.ListenerDNS}
	if !f.Hadr {
		return Detection{State: StateBlocked, Facts: facts,
			Reason: "Always On availability groups are not enabled on " + t.Host,
			Fix:    "run step 2 (primary) or 3 (secondary), which enables Always On and restarts the engine, or enable it in SQL Server Configuration Manager"}, nil
	}
	var acts []Action
	partners, err := engineAccounts(ctx, env, t.Host)
	if err != nil {
		return Detection{}, err
	}
	endpointReason := ""
	if f.EndpointName == "" {
		acts = append(acts, actEndpoint.New(fmt.Sprintf("Create the mirroring endpoint %s on port %d", HadrEndpointName, a.AvailabilityGroup.EndpointPort),
			[]Command{SQLCommand(t.Host, tsqlEndpointEnsure(HadrEndpointName, a.AvailabilityGroup.EndpointPort, partners))}, nil))
	} else {
		// An endpoint made before (by hand, or by an older run) may not admit the
		// partners: the replicas then never connect.
		rd, err := readReplicaReadiness(ctx, env, t.Host, partners)
		if err != nil {
			return Detection{}, err
		}
		if rd.ConnectMissing != "" {
			missing := strings.ReplaceAll(rd.ConnectMissing, "\n", ", ")
			acts = append(acts, actEndpoint.New(fmt.Sprintf("Grant CONNECT on the mirroring endpoint %s to %s", f.EndpointName, missing),
				[]Command{SQLCommand(t.Host, tsqlEndpointEnsure(f.EndpointName, a.AvailabilityGroup.EndpointPort, partners))}, nil))
			endpointReason = "the mirroring endpoint on " + t.Host + " does not admit " + missing + "; the replicas cannot connect (error 28034) and SSISDB does not synchronize"
		}
	}
	if !f.MasterLogin {
		acts = append(acts, actMasterLogin.New("Create the login "+a.MasterService.Account,
			[]Command{SQLCommand(t.Host, tsqlWindowsLoginEnsure(a.MasterService.Account))},
			&loginUndo{Login: a.MasterService.Account, Created: true}))
	}
	var d Detection
	if role == "primary" {
		d, err = s.detectPrimary(ctx, env, t, f, facts, acts)
	} else {
		d, err = s.detectSecondary(ctx, env, t, f, facts, acts)
	}
	if err != nil || d.State != "" {
		return d, err
	}
	d.Facts = facts
	if endpointReason != "" && d.Reason == "" && f.Joined {
		d.Reason, d.Fix = endpointReason, "apply step 4 to grant it"
	}
	switch {
	case len(d.Actions) == 0:
		d.State = StateDone
	case d.Reason != "":
		d.State = StateDrift
	default:
		d.State = StatePending
	}
	return d, nil
}

// engineAccounts lists the engine identities of the replicas other than host: each
// needs CONNECT on host's endpoint.
func engineAccounts(ctx context.Context, env *Env, host string) (string, error) {
	all, err := readAllServerFacts(ctx, env)
	if err != nil {
		return "", err
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range all {
		if SameHost(f.Host, host) {
			continue
		}
		id := engineIdentity(env.Answers.Domain, f)
		if id == "" || seen[strings.ToLower(id)] {
			continue
		}
		seen[strings.ToLower(id)] = true
		out = append(out, id)
	}
	return strings.Join(out, "\n"), nil
}

// engineIdentity is who a replica's engine is at its partners' endpoints: its domain
// service account, or, under a virtual or built-in account (NT Service\…,
// NT AUTHORITY\…, LocalSystem), its computer account DOMAIN\HOST$.
func engineIdentity(domain string, f serverFacts) string {
	k := strings.ToLower(strings.TrimSpace(f.ServiceAccount))
	if k != "" && !strings.HasPrefix(k, `nt service\`) && !strings.HasPrefix(k, `nt authority\`) && k != "localsystem" {
		return f.ServiceAccount
	}
	host, _, _ := strings.Cut(f.ServerName, `\`)
	if host == "" || domain == "" {
		return ""
	}
	return strings.ToUpper(domain) + `\` + strings.ToUpper(host) + "$"
}

func (availabilityGroupStep) detectPrimary(ctx context.Context, env *Env, t Target, f replicaFacts, facts map[string]any, acts []Action) (Detection, error) {
	a := env.Answers
	ms, err := readMasterSettings(ctx, env, t.Host)
	if err != nil {
		return Detection{}, err
	}
	if !ms.Installed {
		return Detection{State: StateBlocked, Facts: facts, Reason: "the Scale Out Master is not installed on " + t.Host + " (catalog.enable_scaleout would fail with error 27261)",
			Fix: "run step 2 first"}, nil
	}
	cat := catalogFacts{}
	if f.SSISDBState != "" {
		// Through the listener once it exists: after a failover this replica's copy is
		// not readable.
		if cat, err = readCatalogFacts(ctx, env, ssisdbHost(f, env)); err != nil {
			return Detection{}, err
		}
	}
	facts["scaleOut"] = cat.ScaleOut
	facts["masterUser"] = cat.MasterUserAdmin
	if f.SSISDBState == "" {
		if env.Secrets == nil || env.Secrets.MasterKeyPassword.IsZero() {
			return Detection{State: StateBlocked, Facts: facts, Reason: "the SSISDB master key password is not given; creating the catalog needs it",
				Fix: "set " + envvar.MasterKeyPassword + " (or the secrets file) and keep the password: adding replicas and restoring need it"}, nil
		}
		// The hint goes into the journal with the intent: a run killed while the
		// catalog is created still lets rollback drop it and put CLR back.
		sf, err := readServerFacts(ctx, env, t.Host)
		if err != nil {
			return Detection{}, err
		}
		acts = append(acts, actCreateCatalog.New("Create the SSISDB catalog and enable Scale Out",
			[]Command{PSCommand(t.Host, psCatalogCreate(env.Secrets.MasterKeyPassword, env.Version.AssemblyVersion(), localDataSource(sqlInstanceOf(a, t.Host)))), SQLCommand(t.Host, tsqlScaleoutEnable())},
			&catalogUndo{Created: true, ClrWasEnabled: sf.CLREnabled}))
	} else if cat.ScaleOut != "TRUE" {
		acts = append(acts, actEnableScaleout.New("Enable Scale Out in SSISDB (catalog.enable_scaleout)",
			[]Command{SQLCommand(t.Host, tsqlScaleoutEnable())}, nil))
	}
	if !cat.MasterUserAdmin {
		var hint *userUndo
		if f.SSISDBState == "" {
			// Only in a catalog this run creates is the user known to be new; an
			// existing catalog may have it outside ssis_admin.
			hint = &userUndo{User: a.MasterService.Account, Created: true}
		}
		acts = append(acts, actMasterUser.New("Give "+a.MasterService.Account+" an SSISDB user in ssis_admin",
			[]Command{SQLCommand(t.Host, tsqlMasterUserEnsure(a.MasterService.Account))}, hint))
	}
	if !f.AGExists {
		replicas, err := replicaSpecs(ctx, env)
		if err != nil {
			return Detection{}, err
		}
		acts = append(acts, actCreateAG.New("Back up SSISDB and create the availability group "+a.AvailabilityGroup.Name,
			[]Command{SQLCommand(t.Host, tsqlAGCreate(a.AvailabilityGroup.Name, replicas))},
			&agUndo{AG: a.AvailabilityGroup.Name, Created: true}))
	}
	if f.ListenerDNS == "" {
		l := a.AvailabilityGroup.Listener
		ip, mask, err := listenerIPMask(l.StaticAddress)
		if err != nil {
			return Detection{State: StateBlocked, Facts: facts, Reason: "availabilityGroup.listener.staticAddress: " + err.Error(), Fix: "correct it in the answer file"}, nil
		}
		acts = append(acts, actListener.New("Add the listener "+a.ListenerAddress(),
			[]Command{SQLCommand(t.Host, tsqlListenerAdd(a.AvailabilityGroup.Name, listenerLabel(l.DNSName), ip, mask, l.Port))},
			&agUndo{AG: a.AvailabilityGroup.Name, Listener: listenerLabel(l.DNSName), Created: true}))
	}
	// The primary gets the failover monitor job too (catalog creation made the rest),
	// and is registered as the replica that is primary: once it is a secondary after a
	// failover, its job must act when the group comes back.
	if !f.Support || !hasReplica(cat.Replicas, f.ServerName) {
		act, err := alwaysOnSupportAction(ctx, env, t, f, hasReplica(cat.Replicas, f.ServerName), replicaStatePrimary)
		if err != nil {
			return blockedWithoutIS(err, facts)
		}
		acts = append(acts, act)
	}
	return Detection{Actions: acts}, nil
}

// alwaysOnSupportAction enables Always On support for SSIS on t: what SSISDB's CLR
// code needs, the cleanup login with the primary's SID, the startup procedure, the
// two SSIS jobs, and the replica's row in internal.alwayson_support_state.
func alwaysOnSupportAction(ctx context.Context, env *Env, t Target, f replicaFacts, registered bool, state int) (Action, error) {
	server := f.ServerName
	// The engine opens the assembly on its own node, where Integration Services may be
	// on another drive than C:.
	assembly, err := readServerAssembly(ctx, env, t.Host)
	if err != nil {
		return Action{}, err
	}
	// The objects missing now are the ones the action creates; those present stay, as
	// its own undo data would say.
	return actAlwaysOnSupport.New("Enable Always On support for SSIS on "+server,
		[]Command{SQLCommand(t.Host, tsqlCLRAssemblyEnsure(assembly)),
			SQLCommand(ssisdbHost(f, env), tsqlAlwaysOnReplicaAdd(server, state)), SQLCommand(t.Host, tsqlAlwaysOnSupport(nil))},
		supportHint(ctx, env, t.Host, f.SupportMissing, server, !registered)), nil
}

// blockedWithoutIS is the detection of a replica without Integration Services, where
// the key for SSISDB's CLR code cannot be made; any other error stays one.
func blockedWithoutIS(err error, facts map[string]any) (Detection, error) {
	var missing *missingISError
	if errors.As(err, &missing) {
		return Detection{State: StateBlocked, Facts: facts, Reason: missing.Reason, Fix: missing.Fix}, nil
	}
	return Detection{}, err
}

// replicaSpecs is the replica list of CREATE AVAILABILITY GROUP as JSON: each master's
// own server name and its endpoint URL.
func replicaSpecs(ctx context.Context, env *Env) (string, error) {
	all, err := readAllServerFacts(ctx, env)
	if err != nil {
		return "", err
	}
	type spec struct {
		Server      string `json:"server"`
		EndpointURL string `json:"endpointUrl"`
	}
	var specs []spec
	for _, f := range all {
		specs = append(specs, spec{Server: f.ServerName, EndpointURL: fmt.Sprintf("TCP://%s:%d", f.Host, env.Answers.AvailabilityGroup.EndpointPort)})
	}
	b, err := json.Marshal(specs)
	return string(b), err
}

func (availabilityGroupStep) detectSecondary(ctx context.Context, env *Env, t Target, f replicaFacts, facts map[string]any, acts []Action) (Detection, error) {
	a := env.Answers
	ag := a.AvailabilityGroup.Name
	facts["dmkCredential"] = f.DMKCredential
	facts["ssisSupport"] = f.Support
	if !f.Joined {
		acts = append(acts, actJoin.New("Join "+ag+" and seed SSISDB",
			[]Command{SQLCommand(t.Host, tsqlAGJoin(ag))}, &joinUndo{AG: ag, Server: f.ServerName}))
	}
	reason, fix := "", ""
	if !f.DMKCredential {
		if env.Secrets == nil || env.Secrets.MasterKeyPassword.IsZero() {
			return Detection{State: StateBlocked, Facts: facts, Reason: "the SSISDB master key password is not given; " + t.Host + " needs it to open SSISDB after a failover",
				Fix: "set " + envvar.MasterKeyPassword + " (or the secrets file)"}, nil
		}
		// SSISDB's family GUID is only known here once it is seeded; Undo reads it when
		// the hint has none.
		acts = append(acts, actDMKCredential.New("Add the SSISDB master key credential (sp_control_dbmasterkey_password)",
			[]Command{SQLCommand(t.Host, tsqlDMKCredentialAdd(env.Secrets.MasterKeyPassword))},
			&credentialUndo{FamilyGUID: f.FamilyGUID}))
		if f.Joined {
			reason = "SSISDB is joined on " + t.Host + " but no credential opens its master key there; after a failover SSIS fails with error 15581 (Please create a master key in the database or open the master key in the session)"
			fix = "apply step 4 to add the credential"
		}
	}
	registered := false
	if f.Joined {
		if cat, err := readCatalogFacts(ctx, env, ssisdbHost(f, env)); err == nil {
			registered = hasReplica(cat.Replicas, f.ServerName)
		}
	}
	facts["alwaysOnReplica"] = registered
	if !f.Support || !registered {
		act, err := alwaysOnSupportAction(ctx, env, t, f, registered, replicaStateSecondary)
		if err != nil {
			return blockedWithoutIS(err, facts)
		}
		acts = append(acts, act)
		if f.Joined && reason == "" {
			reason = "SSISDB is joined on " + t.Host + " but Always On support for SSIS is not enabled there; automatic failover of SSISDB is not supported until it is"
			fix = "apply step 4 to enable it"
		}
	}
	return Detection{Actions: acts, Reason: reason, Fix: fix}, nil
}

// waitSeeded waits until automatic seeding has created SSISDB on host and returns
// the replica's facts as the last read found them.
func waitSeeded(ctx context.Context, env *Env, host string) (replicaFacts, error) {
	var last replicaFacts
	err := pollUntil(ctx, env, agWaitTimeout, agWaitInterval, "seeding of SSISDB on "+host, func() (bool, error) {
		f, err := readReplicaFacts(ctx, env, host)
		if err != nil {
			return false, waitGivesUp(err)
		}
		last = f
		if f.SSISDBState == "" && f.ConnectError != "" {
			// Seeding needs the replicas connected; a refused handshake does not pass
			// by waiting.
			return false, fmt.Errorf("%s joined the group but is not connected to the primary (%s); seeding cannot start: "+
				"on each replica, create a login for the partner's engine account and GRANT CONNECT ON ENDPOINT to it", host, f.ConnectError)
		}
		return f.SSISDBState != "", nil
	})
	return last, err
}

// transientSQL are the SQL Server errors a wait reads through: the estate is moving
// (a failover, a restart, a database coming online) and the next read may pass.
var transientSQL = map[int32]bool{
	921: true, 922: true, 952: true, 976: true, 978: true, 983: true, 1205: true,
	35250: true, 35281: true, 41104: true, 40613: true,
}

// waitGivesUp says whether an error of a read made while waiting ends the wait: nil
// for a transient one (retried, within the wait's bounded attempts), else err. A
// login failure, a permission denied and any other SQL Server error do not pass by
// waiting, and every retry of a failed login counts toward a domain lockout.
func waitGivesUp(err error) error {
	if n := remote.SQLNumber(err); n != 0 && !transientSQL[n] {
		return err
	}
	return nil
}

// UndoOneAtATime: the secondaries are undone before the primary, each to its end. A
// secondary that finds the group failed over to it fails it back to the primary and
// waits for the listener to follow; the primary's undo removes the listener and the
// group, so it must not start before.
func (availabilityGroupStep) UndoOneAtATime() bool { return true }

func (availabilityGroupStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	f, err := readReplicaFacts(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	ag := env.Answers.AvailabilityGroup.Name
	check := func(name string, ok bool, detail, fix string) Check {
		if ok {
			return Check{Name: name, Status: CheckSuccess, Detail: detail}
		}
		return Check{Name: name, Status: CheckFailed, Detail: "not " + detail, Fix: fix}
	}
	checks := []Check{
		check("Always On enabled", f.Hadr, "enabled", "enable Always On (steps 2 and 3)"),
		check("Mirroring endpoint", f.EndpointName != "", "present", "re-run step 4"),
		check("Master account login", f.MasterLogin, "present", "re-run step 4"),
		check("SSISDB in "+ag, f.Joined && f.DBInAG, "joined", "re-run step 4 on "+t.Host),
	}
	partners, err := engineAccounts(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	rd, err := readReplicaReadiness(ctx, env, t.Host, partners)
	if err != nil {
		return nil, err
	}
	checks = append(checks,
		check("Endpoint admits the other replicas", rd.ConnectMissing == "", "admitting them", "re-run step 4 on "+t.Host+" (it grants CONNECT to "+strings.ReplaceAll(rd.ConnectMissing, "\n", ", ")+")"),
		check("SQL Server Agent running", rd.AgentRunning, "running", "start SQL Server Agent on "+t.Host+" (it runs the SSIS jobs) and leave it automatic"),
		check("SSISDB's CLR code can run", rd.CLROK, "ready (clr enabled, assembly key and login)", "re-run step 4 on "+t.Host+" (Always On support)"))
	cat, err := readCatalogFacts(ctx, env, ssisdbHost(f, env))
	if err != nil {
		return nil, err
	}
	if agRole(t, f) == "primary" {
		checks = append(checks,
			check("Scale Out enabled", cat.ScaleOut == "TRUE", "enabled", "re-run step 4"),
			check("Master account in ssis_admin", cat.MasterUserAdmin, "a member", "re-run step 4"),
			check("Listener", f.ListenerDNS != "", "present", "re-run step 4"))
	} else {
		checks = append(checks,
			check("Master key credential", f.DMKCredential, "present", "re-run step 4 on "+t.Host),
			check("Always On support for SSIS", f.Support && hasReplica(cat.Replicas, f.ServerName), "enabled", "re-run step 4 on "+t.Host))
	}
	return checks, nil
}

// failBackBeforeUndo moves the availability group holding SSISDB back to primary when a
// failover left it elsewhere. Without a group there is nothing to move.
func failBackBeforeUndo(ctx context.Context, env *Env, primary string) error {
	place, err := readAGPlacement(ctx, env, primary)
	if err != nil || place.AGName == "" || place.Primary == "" {
		return nil // no group (any more), or nothing readable: the undo itself will say
	}
	if SameHost(placementHost(env, place.Primary), primary) {
		return nil
	}
	env.Say(primary, "the availability group's primary is "+place.Primary+"; failing it back to "+primary+" before undoing step 4")
	return MoveAvailabilityGroup(ctx, env, primary)
}

// supportHint is the undo data of enabling Always On support as detection sees it:
// the support objects missing now, and, where CLR is off, the assembly key and login
// too (nothing made them without CLR).
func supportHint(ctx context.Context, env *Env, host, missing, server string, replicaAdded bool) *supportUndo {
	u := &supportUndo{Objects: missing, Server: server, ReplicaAdded: replicaAdded}
	if sf, err := readServerFacts(ctx, env, host); err == nil && !sf.CLREnabled {
		u.ClrWasOff, u.AssemblyKey, u.AssemblyLogin = true, true, true
	}
	return u
}

// listenerLabel is the host label ADD LISTENER takes (SQL Server refuses a dotted
// name): the listener's name up to its first dot. Connection strings and
// SqlServerName keep the name as the answers give it, FQDN or not.
func listenerLabel(dnsName string) string {
	label, _, _ := strings.Cut(strings.TrimSpace(dnsName), ".")
	return label
}

// localDataSource is how a script on a node reaches that node's own instance: . for the
// default instance, .\NAME for a named one.
func localDataSource(instance string) string {
	if instance == "" || strings.EqualFold(instance, answers.DefaultSQLInstance) {
		return "."
	}
	return `.\` + instance
}

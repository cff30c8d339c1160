package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"
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
	if f.EndpointName == "" {
		accounts, err := engineAccounts(ctx, env)
		if err != nil {
			return Detection{}, err
		}
		acts = append(acts, actEndpoint.New(fmt.Sprintf("Create the mirroring endpoint %s on port %d", HadrEndpointName, a.AvailabilityGroup.EndpointPort),
			[]Command{SQLCommand(t.Host, tsqlEndpointEnsure(HadrEndpointName, a.AvailabilityGroup.EndpointPort, accounts))}, nil))
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

// engineAccounts lists the engine service accounts of every replica: each needs
// CONNECT on the others' endpoints.
func engineAccounts(ctx context.Context, env *Env) (string, error) {
	all, err := readAllServerFacts(ctx, env)
	if err != nil {
		return "", err
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range all {
		k := strings.ToLower(f.ServiceAccount)
		if f.ServiceAccount == "" || seen[k] || strings.HasPrefix(k, "nt service\\") || strings.HasPrefix(k, "nt authority\\") {
			continue
		}
		seen[k] = true
		out = append(out, f.ServiceAccount)
	}
	return strings.Join(out, "\n"), nil
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
				Fix: "set SSISHA_MASTER_KEY_PASSWORD (or the secrets file) and keep the password: adding replicas and restoring need it"}, nil
		}
		// The hint goes into the journal with the intent: a run killed while the
		// catalog is created still lets rollback drop it and put CLR back.
		sf, err := readServerFacts(ctx, env, t.Host)
		if err != nil {
			return Detection{}, err
		}
		acts = append(acts, actCreateCatalog.New("Create the SSISDB catalog and enable Scale Out",
			[]Command{PSCommand(t.Host, psCatalogCreate(env.Secrets.MasterKeyPassword, env.Version.Folder())), SQLCommand(t.Host, tsqlScaleoutEnable())},
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
			[]Command{SQLCommand(t.Host, tsqlListenerAdd(a.AvailabilityGroup.Name, l.DNSName, ip, mask, l.Port))},
			&agUndo{AG: a.AvailabilityGroup.Name, Listener: l.DNSName, Created: true}))
	}
	return Detection{Actions: acts}, nil
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
				Fix: "set SSISHA_MASTER_KEY_PASSWORD (or the secrets file)"}, nil
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
		server := f.ServerName
		// The objects missing now are the ones the action creates; those present stay,
		// as its own undo data would say.
		acts = append(acts, actAlwaysOnSupport.New("Enable Always On support for SSIS on "+server,
			[]Command{SQLCommand(t.Host, tsqlAlwaysOnSupport()), SQLCommand(ssisdbHost(f, env), tsqlAlwaysOnReplicaAdd(server))},
			&supportUndo{Objects: f.SupportMissing, Server: server, ReplicaAdded: !registered}))
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
			return false, nil
		}
		last = f
		return f.SSISDBState != "", nil
	})
	return last, err
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

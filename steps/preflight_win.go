package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ssisha/ssisha/steps/answers"
)

// The Windows side of preflight: every node in the domain and without a pending
// restart, setup media on a local disk, clocks close enough for Kerberos, the service
// accounts present and enabled, and the cluster's, listener's and master's names and
// addresses free (or already ours). Each check only reads.

// maxClockSkew is Kerberos' default tolerance.
const maxClockSkew = 5 * time.Minute

func windowsPreflightChecks() []PreflightCheck {
	return []PreflightCheck{
		{Name: "Joined to the domain", Scope: EachMaster, Run: checkDomainJoined},
		{Name: "Joined to the domain", Scope: EachWorker, Run: checkDomainJoined},
		{Name: "No restart pending", Scope: EachMaster, Run: checkNoPendingReboot},
		{Name: "No restart pending", Scope: EachWorker, Run: checkNoPendingReboot},
		{Name: checkNamePasswordStorage, Scope: EachMaster, Run: checkPasswordStorage},
		{Name: "Setup media on a local disk", Scope: EachMaster, Run: checkSetupMedia},
		{Name: "Clock in step with this machine", Scope: EachMaster, Run: checkClock},
		{Name: "Service accounts in Active Directory", Scope: ClusterOnce, Run: checkServiceAccounts},
		{Name: "Network names free", Scope: ClusterOnce, Run: checkNetworkNames},
		{Name: "Static addresses unused", Scope: ClusterOnce, Run: checkStaticAddresses},
		{Name: "Witness server answers", Scope: ClusterOnce, Run: checkWitness},
		{Name: "Endpoint port reachable between replicas", Scope: EachMaster, Run: checkEndpointReach},
	}
}

// checkEndpointReach probes, from the node, the mirroring endpoint port of every other
// replica: seeding and synchronisation need it open both ways. Before step 4 nothing
// listens there yet, so a port that does not answer is a warning, not a failure.
func checkEndpointReach(ctx context.Context, env *Env, t Target) Check {
	const name = "Endpoint port reachable between replicas"
	port := env.Answers.AvailabilityGroup.EndpointPort
	if port == 0 {
		port = answers.DefaultEndpointPort
	}
	var open, closed []string
	for _, m := range env.Answers.Masters {
		if strings.EqualFold(m.Host, t.Host) {
			continue
		}
		res, err := probeHost(ctx, env, t.Host, m.Host, port)
		if err != nil {
			return Check{Name: name, Status: CheckFailed, Detail: fmt.Sprintf("%s did not answer: %v", t.Host, err), Fix: "check that WinRM is enabled there and the connection settings are right"}
		}
		if res.TCP {
			open = append(open, fmt.Sprintf("%s:%d", m.Host, port))
		} else {
			closed = append(closed, fmt.Sprintf("%s:%d", m.Host, port))
		}
	}
	if len(closed) == 0 {
		return Check{Name: name, Status: CheckSuccess, Detail: "from " + t.Host + ": " + noneIfEmpty(strings.Join(open, ", ")) + " answer"}
	}
	return Check{Name: name, Status: CheckWarning,
		Detail: fmt.Sprintf("from %s: %s do not answer: nothing listens there before step 4 creates the endpoint, or Windows Firewall blocks the port", t.Host, strings.Join(closed, ", ")),
		Fix:    fmt.Sprintf("steps 2 and 3 open inbound TCP %d on every replica; once the endpoints exist, run preflight again: a port that still does not answer is blocked on the way", port)}
}

// checkWitness checks that the file share witness's server answers SMB, when the
// answers give a witness.
func checkWitness(ctx context.Context, env *Env, t Target) Check {
	w := env.Answers.Cluster.Witness
	if w == "" {
		st := CheckSkipped
		detail := "no cluster.witness given; the quorum stays as it is"
		if len(env.Answers.Masters)%2 == 0 {
			// An even number of votes and no witness: one failure can stop the cluster.
			st = CheckWarning
			detail = fmt.Sprintf("no cluster.witness given; %d master nodes without a witness lose quorum when the node holding the vote fails", len(env.Answers.Masters))
		}
		return Check{Name: "Witness server answers", Status: st, Detail: detail, Fix: "set cluster.witness to a file share on a server outside the cluster"}
	}
	return combineFieldChecks(ctx, env, "Witness server answers", []struct{ field, value string }{{"cluster.witness", w}})
}

// nodeFacts is what win.node.facts reports.
type nodeFacts struct {
	ComputerName     string   `json:"computerName"`
	PartOfDomain     bool     `json:"partOfDomain"`
	Domain           string   `json:"domain"`
	DNSDomain        string   `json:"dnsDomain"`
	TimeUTC          string   `json:"timeUtc"`
	PendingReboot    bool     `json:"pendingReboot"`
	RebootReasons    []string `json:"rebootReasons"`
	SetupMediaExists bool     `json:"setupMediaExists"`
}

// preflightFacts reads a node's facts, or returns the Failed check that says why not.
func preflightFacts(ctx context.Context, env *Env, name string, t Target) (nodeFacts, *Check) {
	var f nodeFacts
	if err := env.PS(ctx, t.Host, psNodeFacts(env.Answers.SetupMedia), &f); err != nil {
		return f, &Check{Name: name, Status: CheckFailed, Detail: fmt.Sprintf("%s did not answer: %v", t.Host, err), Fix: "check that WinRM is enabled there and the connection settings are right"}
	}
	return f, nil
}

func checkDomainJoined(ctx context.Context, env *Env, t Target) Check {
	const name = "Joined to the domain"
	f, fail := preflightFacts(ctx, env, name, t)
	if fail != nil {
		return *fail
	}
	// A failover cluster and its service accounts need every node in one domain.
	if !f.PartOfDomain {
		return Check{Name: name, Status: CheckFailed, Detail: t.Host + " is in a workgroup", Fix: "join it to " + env.Answers.Domain}
	}
	if env.Answers.Domain != "" && !strings.EqualFold(f.Domain, env.Answers.Domain) {
		return Check{Name: name, Status: CheckFailed, Detail: fmt.Sprintf("%s is in domain %s, not %s", t.Host, f.Domain, env.Answers.Domain), Fix: "set domain to " + f.Domain + ", or join the node to " + env.Answers.Domain}
	}
	return Check{Name: name, Status: CheckSuccess, Detail: f.Domain + " (" + f.DNSDomain + ")"}
}

func checkNoPendingReboot(ctx context.Context, env *Env, t Target) Check {
	const name = "No restart pending"
	f, fail := preflightFacts(ctx, env, name, t)
	if fail != nil {
		return *fail
	}
	if f.PendingReboot {
		return Check{Name: name, Status: CheckFailed, Detail: "restart pending: " + strings.Join(f.RebootReasons, ", "), Fix: "restart " + t.Host + "; SQL Server setup refuses to run until then"}
	}
	return Check{Name: name, Status: CheckSuccess, Detail: "none"}
}

func checkSetupMedia(ctx context.Context, env *Env, t Target) Check {
	const name = "Setup media on a local disk"
	if env.Answers.SetupMedia == "" {
		return Check{Name: name, Status: CheckWarning, Detail: "setupMedia is not set", Fix: "set setupMedia to setup.exe on a local disk of every master node; steps 2 and 3 need it unless the master is already installed"}
	}
	if strings.HasPrefix(env.Answers.SetupMedia, `\\`) {
		return Check{Name: name, Status: CheckFailed, Detail: env.Answers.SetupMedia + " is a network share, which setup over WinRM cannot read (second hop)", Fix: "copy the media to a local disk on every master node"}
	}
	f, fail := preflightFacts(ctx, env, name, t)
	if fail != nil {
		return *fail
	}
	if !f.SetupMediaExists {
		return Check{Name: name, Status: CheckFailed, Detail: env.Answers.SetupMedia + " is not on " + t.Host, Fix: "copy the installation media there"}
	}
	return Check{Name: name, Status: CheckSuccess, Detail: env.Answers.SetupMedia}
}

func checkClock(ctx context.Context, env *Env, t Target) Check {
	const name = "Clock in step with this machine"
	f, fail := preflightFacts(ctx, env, name, t)
	if fail != nil {
		return *fail
	}
	at, err := time.Parse(time.RFC3339Nano, f.TimeUTC)
	if err != nil {
		return Check{Name: name, Status: CheckSkipped, Detail: "the node reported no readable time"}
	}
	skew := at.Sub(env.Clock())
	if skew < 0 {
		skew = -skew
	}
	// Kerberos refuses tickets beyond five minutes of skew.
	if skew > maxClockSkew {
		return Check{Name: name, Status: CheckFailed, Detail: fmt.Sprintf("%s is %s off", t.Host, skew.Round(time.Second)), Fix: "sync the clocks with the domain (w32tm /resync)"}
	}
	return Check{Name: name, Status: CheckSuccess, Detail: fmt.Sprintf("within %s", skew.Round(time.Second))}
}

func checkServiceAccounts(ctx context.Context, env *Env, t Target) Check {
	const name = "Service accounts in Active Directory"
	a := env.Answers
	if err := answers.ValidateDomainAccount(a.MasterService.Account, true); err != nil {
		// Pitfall: a virtual account cannot log in to a remote replica.
		return Check{Name: name, Status: CheckFailed, Detail: "masterService.account: " + err.Error(), Fix: `set a domain account such as CONTOSO\svc_ssismaster`}
	}
	accounts := []string{a.MasterService.Account}
	seen := map[string]bool{strings.ToLower(a.MasterService.Account): true}
	for _, w := range a.Workers {
		if w.Account != "" && !seen[strings.ToLower(w.Account)] {
			seen[strings.ToLower(w.Account)] = true
			accounts = append(accounts, w.Account)
		}
	}
	var res accountProbe
	if err := env.PS(ctx, t.Host, psAccountCheck(accounts), &res); err != nil {
		return Check{Name: name, Status: CheckFailed, Detail: fmt.Sprintf("could not check from %s: %v", t.Host, err), Fix: "check that WinRM answers there"}
	}
	var bad, unknown []string
	for _, r := range res.Accounts {
		switch {
		case r.notChecked() != "":
			unknown = append(unknown, r.Account+": "+r.notChecked())
		case !r.Exists:
			bad = append(bad, r.Account+" does not exist")
		case !r.Enabled:
			bad = append(bad, r.Account+" is disabled")
		}
	}
	if len(bad) > 0 {
		return Check{Name: name, Status: CheckFailed, Detail: strings.Join(bad, "; "), Fix: "create or enable the accounts in Active Directory, or correct their names"}
	}
	if len(unknown) > 0 {
		// A lookup that could not run is no answer: never a pass.
		return Check{Name: name, Status: CheckWarning,
			Detail: fmt.Sprintf("not checked, because %s could not query Active Directory (a WinRM session without delegation cannot reach a domain controller): %s", t.Host, strings.Join(unknown, "; ")),
			Fix:    "check in Active Directory that the accounts exist and are enabled (Get-ADUser NAME | Select-Object Enabled)"}
	}
	return Check{Name: name, Status: CheckSuccess, Detail: strings.Join(accounts, ", ")}
}

func checkNetworkNames(ctx context.Context, env *Env, t Target) Check {
	const name = "Network names free"
	a := env.Answers
	fields := []struct{ field, value string }{
		{"cluster.name", a.Cluster.Name},
		{"availabilityGroup.listener.dnsName", a.AvailabilityGroup.Listener.DNSName},
		{"masterService.dnsName", a.MasterService.DNSName},
	}
	// Pitfall: one name for two of them (the listener reused as the master's access
	// point, say) only works while both sit on the same node.
	seen := map[string]string{}
	for _, f := range fields {
		k := strings.ToLower(hostShortName(f.value))
		if k == "" {
			continue
		}
		if prev, dup := seen[k]; dup {
			return Check{Name: name, Status: CheckFailed, Detail: fmt.Sprintf("%s and %s are both %s", prev, f.field, k), Fix: "give the cluster, the listener and the master access point distinct names"}
		}
		seen[k] = f.field
	}
	return combineFieldChecks(ctx, env, name, fields)
}

func checkStaticAddresses(ctx context.Context, env *Env, t Target) Check {
	a := env.Answers
	return combineFieldChecks(ctx, env, "Static addresses unused", []struct{ field, value string }{
		{"cluster.staticAddress", a.Cluster.StaticAddress},
		{"availabilityGroup.listener.staticAddress", a.AvailabilityGroup.Listener.StaticAddress},
		{"masterService.staticAddress", a.MasterService.StaticAddress},
	})
}

// combineFieldChecks runs the live field checks and folds them into one grid cell.
func combineFieldChecks(ctx context.Context, env *Env, name string, fields []struct{ field, value string }) Check {
	st := CheckSuccess
	var details, fixes []string
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		ok, warn, msg := CheckField(ctx, env, f.field, f.value)
		details = append(details, f.field+": "+msg)
		switch {
		case !ok:
			st = CheckFailed
			fixes = append(fixes, "change "+f.field)
		case warn && st == CheckSuccess:
			st = CheckWarning
		}
	}
	if len(details) == 0 {
		return Check{Name: name, Status: CheckSkipped, Detail: "nothing given"}
	}
	return Check{Name: name, Status: st, Detail: strings.Join(details, "; "), Fix: strings.Join(fixes, "; ")}
}

package steps

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ssisha/ssisha/steps/answers"
)

// NoNetworkCheck is CheckField's message for a field without a network side.
const NoNetworkCheck = "no network check"

// CheckField is the wizard's live check of one network fact behind a field: names
// free in DNS (or already ours), addresses unused, accounts present and enabled, the
// certificate on the primary with its key and the access point's name, hosts that
// resolve and answer WinRM. It runs the probe on the primary node, because the jump
// box may not resolve the domain's names. Array fields may carry their index
// (masters[1].host). A field without a network side answers NoNetworkCheck.
func CheckField(ctx context.Context, env *Env, field, value string) (ok bool, warning bool, message string) {
	f, known := answers.FieldByPath(field)
	if !known || f.List || !liveCheck[f.Check] {
		return true, false, NoNetworkCheck
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return true, false, "nothing to check yet"
	}
	if env == nil || env.Answers == nil || env.Remote == nil || len(env.Answers.Masters) == 0 || env.Answers.Masters[0].Host == "" {
		return true, true, "cannot check yet: no master node to check from"
	}
	via := env.Answers.Masters[0].Host
	if f.Path == "masters[].host" && strings.EqualFold(value, via) {
		return checkOwnHost(ctx, env, via)
	}
	switch f.Check {
	case answers.CheckNameFree:
		return checkNameFree(ctx, env, via, f.Path, value)
	case answers.CheckAddressFree:
		return checkAddressFree(ctx, env, via, value)
	case answers.CheckAccount:
		return checkAccountLive(ctx, env, via, value, f.Path == "masterService.account")
	case answers.CheckThumbprint:
		return checkThumbprintLive(ctx, env, via, value)
	case answers.CheckWitness:
		return checkWitnessServer(ctx, env, via, value)
	default:
		return checkHostLive(ctx, env, via, value)
	}
}

// liveCheck are the network checks CheckField runs; a list's hosts are checked one
// by one, by the path of one element (masters[1].host).
var liveCheck = map[answers.NetworkCheck]bool{
	answers.CheckHost: true, answers.CheckNameFree: true, answers.CheckAddressFree: true,
	answers.CheckAccount: true, answers.CheckThumbprint: true, answers.CheckWitness: true,
}

// couldNotCheck turns a probe failure into a warning: the field may be fine, the check
// could not run.
func couldNotCheck(via string, err error) (bool, bool, string) {
	return true, true, fmt.Sprintf("could not check from %s: %v", via, err)
}

type nameProbe struct {
	Cluster string `json:"cluster"`
	Names   []struct {
		Name       string   `json:"name"`
		InDNS      bool     `json:"inDns"`
		Addresses  []string `json:"addresses"`
		ADComputer *bool    `json:"adComputer"`
		// ADChecked is false when the directory could not be searched (NotChecked
		// says why); nil from an older script means it was.
		ADChecked  *bool  `json:"adChecked"`
		NotChecked string `json:"notChecked"`
		Owner      string `json:"owner"`
	} `json:"names"`
}

func checkNameFree(ctx context.Context, env *Env, via, field, value string) (bool, bool, string) {
	// The field's own rule, so the example a problem gives is a name of its kind.
	if f, ok := answers.FieldByPath(field); ok && f.Validate != nil {
		if err := f.Validate(value); err != nil {
			return false, false, err.Error()
		}
	}
	var res nameProbe
	if err := env.PS(ctx, via, psNameCheck([]string{value}), &res); err != nil {
		return couldNotCheck(via, err)
	}
	if len(res.Names) != 1 {
		return couldNotCheck(via, fmt.Errorf("the probe returned %d answers", len(res.Names)))
	}
	n := res.Names[0]
	if n.Owner != "" {
		if ours(field, n.Owner, env) {
			return true, false, fmt.Sprintf("%s is already this cluster's (%s)", value, n.Owner)
		}
		return false, false, fmt.Sprintf("%s is already used by %s of cluster %s; each of the cluster, the listener and the master needs its own name", value, n.Owner, res.Cluster)
	}
	if n.InDNS {
		return false, false, fmt.Sprintf("%s is already in DNS%s; choose another name or remove the stale record", value, addressesShown(" at ", n.Addresses, ""))
	}
	if n.ADChecked != nil && !*n.ADChecked {
		return true, true, fmt.Sprintf("%s is free in DNS; not checked in Active Directory, because %s could not search it (%s)", value, via, n.NotChecked)
	}
	if n.ADComputer != nil && *n.ADComputer {
		// A pre-staged computer object is how locked-down domains hand out names.
		return true, true, fmt.Sprintf("%s is free in DNS but a computer object of that name exists in AD; fine if it was pre-staged for this cluster", value)
	}
	return true, false, fmt.Sprintf("%s is free", value)
}

// ours says whether the cluster part owning a name is the one the field describes.
func ours(field, owner string, env *Env) bool {
	switch field {
	case "cluster.name", "cluster.staticAddress":
		return owner == "cluster"
	case "availabilityGroup.listener.dnsName", "availabilityGroup.listener.staticAddress":
		return strings.EqualFold(owner, "role:"+env.Answers.AvailabilityGroup.Name)
	case "masterService.dnsName", "masterService.staticAddress":
		_, short := accessPointNames(env.Answers)
		return strings.EqualFold(owner, "role:"+short)
	}
	return false
}

func checkAddressFree(ctx context.Context, env *Env, via, value string) (bool, bool, string) {
	if err := answers.ValidateIPv4Prefix(value); err != nil && strings.Contains(value, "/") {
		return false, false, err.Error()
	}
	addr := addressOnly(value)
	var res addressProbe
	if err := env.PS(ctx, via, psAddressCheck([]string{addr}), &res); err != nil {
		return couldNotCheck(via, err)
	}
	if len(res.Addresses) != 1 {
		return couldNotCheck(via, fmt.Errorf("the probe returned %d answers", len(res.Addresses)))
	}
	r := res.Addresses[0]
	switch {
	case r.Owner != "" && (ours("cluster.staticAddress", r.Owner, env) || ours("availabilityGroup.listener.staticAddress", r.Owner, env) || ours("masterService.staticAddress", r.Owner, env)):
		return true, false, fmt.Sprintf("%s is already this cluster's (%s)", addr, r.Owner)
	case r.Owner != "":
		return false, false, fmt.Sprintf("%s is in use by %s; choose an unused address", addr, r.Owner)
	case r.InUse:
		return false, false, fmt.Sprintf("%s answers on the network; choose an unused address", addr)
	}
	return true, false, fmt.Sprintf("%s is unused", addr)
}

// addressProbe is what win.address.check reports: whether each address answers on
// the network, and which part of the cluster owns it, if any.
type addressProbe struct {
	Addresses []struct {
		Address string `json:"address"`
		InUse   bool   `json:"inUse"`
		Owner   string `json:"owner"`
	} `json:"addresses"`
}

type accountProbe struct {
	Accounts []accountState `json:"accounts"`
}

// accountState is one account as win.account.check found it.
type accountState struct {
	Account string `json:"account"`
	Exists  bool   `json:"exists"`
	Enabled bool   `json:"enabled"`
	// Checked is false when the lookup could not run (NotChecked says why): then
	// Exists and Enabled say nothing. nil from an older script means it ran.
	Checked    *bool  `json:"checked"`
	NotChecked string `json:"notChecked"`
}

// notChecked is why the account's state is unknown, or "" when it was checked.
func (a accountState) notChecked() string {
	if a.Checked == nil || *a.Checked {
		return ""
	}
	if a.NotChecked == "" {
		return "the lookup did not run"
	}
	return a.NotChecked
}

func checkAccountLive(ctx context.Context, env *Env, via, value string, master bool) (bool, bool, string) {
	if err := answers.ValidateDomainAccount(value, master); err != nil {
		return false, false, err.Error()
	}
	var res accountProbe
	if err := env.PS(ctx, via, psAccountCheck([]string{value}), &res); err != nil {
		return couldNotCheck(via, err)
	}
	if len(res.Accounts) != 1 {
		return couldNotCheck(via, fmt.Errorf("the probe returned %d answers", len(res.Accounts)))
	}
	switch r := res.Accounts[0]; {
	case r.notChecked() != "":
		return true, true, fmt.Sprintf("%s not checked, because %s could not look it up in Active Directory (%s); check it there by hand", value, via, r.notChecked())
	case !r.Exists:
		return false, false, fmt.Sprintf("%s does not exist in the domain; create it or correct the name", value)
	case !r.Enabled:
		return false, false, fmt.Sprintf("%s is disabled in Active Directory; enable it", value)
	}
	return true, false, fmt.Sprintf("%s exists and is enabled", value)
}

func checkThumbprintLive(ctx context.Context, env *Env, via, value string) (bool, bool, string) {
	if err := answers.ValidateThumbprint(value); err != nil {
		return false, false, err.Error()
	}
	thumb := answers.NormalizeThumbprint(value)
	certs, err := readMasterCerts(ctx, env, via, thumb, "")
	if err != nil {
		return couldNotCheck(via, err)
	}
	c, ok := masterCertOnNode(certs)
	fqdn, short := accessPointNames(env.Answers)
	switch {
	case !ok:
		return false, false, fmt.Sprintf("no certificate %s on %s; import it there with its private key", thumb, via)
	case !c.HasPrivateKey:
		return false, false, fmt.Sprintf("certificate %s on %s has no private key", thumb, via)
	case c.expired(env.Clock()):
		return false, false, fmt.Sprintf("certificate %s expired on %s", thumb, c.NotAfter)
	case env.Answers.MasterService.DNSName != "" && !c.names(fqdn, short):
		return false, false, fmt.Sprintf("certificate %s names %s but not %s; workers would not trust the master after a failover", thumb, strings.Join(c.DNSNames, ", "), fqdn)
	case !c.Exportable:
		return true, true, fmt.Sprintf("certificate %s is fine on %s, but its key is not exportable, so step 3 cannot copy it to the other nodes", thumb, via)
	}
	return true, false, fmt.Sprintf("certificate %s is on %s with its key and names %s", thumb, via, fqdn)
}

func winrmPort(a *answers.Answers) int {
	if a.Connection.WinRM.HTTPS {
		return answers.DefaultWinRMHTTPSPort
	}
	return answers.DefaultWinRMHTTPPort
}

func checkHostLive(ctx context.Context, env *Env, via, value string) (bool, bool, string) {
	if err := answers.ValidateHostName(value); err != nil {
		return false, false, err.Error()
	}
	port := winrmPort(env.Answers)
	res, err := probeHost(ctx, env, via, value, port)
	if err != nil {
		return couldNotCheck(via, err)
	}
	switch {
	case !res.Resolved:
		return false, false, fmt.Sprintf("%s does not resolve from %s; check the name for a typo, or its DNS record", value, via)
	case !res.TCP:
		return false, false, fmt.Sprintf("%s resolves%s but WinRM does not answer on port %d; run Enable-PSRemoting there and open the port", value, addressesShown(" to ", res.Addresses, ""), port)
	}
	return true, false, fmt.Sprintf("%s%s answers WinRM on port %d", value, addressesShown(" (", res.Addresses, ")"), port)
}

// checkWitnessServer checks that the witness share's server resolves and answers SMB
// from the primary. The share itself cannot be read from a WinRM session (it has no
// credentials to pass on); Set-ClusterQuorum checks it as the cluster in step 1.
func checkWitnessServer(ctx context.Context, env *Env, via, value string) (bool, bool, string) {
	if err := answers.ValidateFileShareWitness(value); err != nil {
		return false, false, err.Error()
	}
	server, _, _ := strings.Cut(strings.TrimPrefix(value, `\\`), `\`)
	res, err := probeHost(ctx, env, via, server, smbPort)
	if err != nil {
		return couldNotCheck(via, err)
	}
	switch {
	case !res.Resolved:
		return false, false, fmt.Sprintf("the witness server %s does not resolve from %s; check the name for a typo, or its DNS record", server, via)
	case !res.TCP:
		return false, false, fmt.Sprintf("the witness server %s%s does not answer SMB on port %d from %s; check the server and its firewall", server, addressesShown(" (", res.Addresses, ")"), smbPort, via)
	}
	return true, false, fmt.Sprintf("%s%s answers SMB; step 1 checks the share as the cluster", server, addressesShown(" (", res.Addresses, ")"))
}

// hostProbe is what win.host.check reports: whether a name resolves, to what, and
// whether a TCP port answers there.
type hostProbe struct {
	Resolved  bool     `json:"resolved"`
	Addresses []string `json:"addresses"`
	TCP       bool     `json:"tcp"`
}

// probeHost asks via whether host resolves and answers on port.
func probeHost(ctx context.Context, env *Env, via, host string, port int) (hostProbe, error) {
	var res hostProbe
	err := env.PS(ctx, via, psHostCheck(host, port), &res)
	return res, err
}

// smbPort is where a file share witness's server answers.
const smbPort = 445

// checkOwnHost checks the node the probes run on: that it answers at all is the check.
func checkOwnHost(ctx context.Context, env *Env, host string) (bool, bool, string) {
	var f struct {
		ComputerName string `json:"computerName"`
	}
	if err := env.PS(ctx, host, psNodeFacts(env.Answers.SetupMedia), &f); err != nil {
		return false, false, fmt.Sprintf("%s does not answer WinRM: %v", host, err)
	}
	return true, false, fmt.Sprintf("%s answers WinRM (%s)", host, f.ComputerName)
}

// addressesShown is the addresses a name resolves to, between before and after, for a
// message; loopback addresses are left out (a name that resolves to this very machine
// says nothing a DBA can use, and the lab's names all do), and with none left it is
// empty.
func addressesShown(before string, addrs []string, after string) string {
	var shown []string
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.IsLoopback() {
			continue
		}
		shown = append(shown, a)
	}
	if len(shown) == 0 {
		return ""
	}
	return before + strings.Join(shown, ", ") + after
}

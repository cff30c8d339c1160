package steps

// The master on one node, as steps 2, 3 and 7 handle it: what a node needs for its
// master (install, certificate, binding, firewall, Always On), the actions that get it
// there, their undo, and the checks that read it back.

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/steps/answers"
)

// masterCertFriendlyName marks the certificate ssisha makes, so later runs find it.
const masterCertFriendlyName = "SSISScaleOutMaster"

// masterPlan is what Detect of step 2 or 3 found on one node, with what it will do.
type masterPlan struct {
	det Detection
	// drift is set when something exists but differs (a binding, a thumbprint).
	drift []string
}

func (p *masterPlan) block(reason, fix string) Detection {
	p.det.State, p.det.Reason, p.det.Fix, p.det.Actions = StateBlocked, reason, fix, nil
	return p.det
}

func (p *masterPlan) add(a Action) { p.det.Actions = append(p.det.Actions, a) }

func (p *masterPlan) finish() Detection {
	switch {
	case len(p.det.Actions) == 0:
		p.det.State = StateDone
	case len(p.drift) > 0:
		p.det.State = StateDrift
		p.det.Reason = strings.Join(p.drift, "; ")
		p.det.Fix = "apply this step to correct it"
	default:
		p.det.State = StatePending
	}
	return p.det
}

// masterTarget says how one node's master should look.
type masterTarget struct {
	host              string
	thumbprint        string // the certificate to use; "" when ssisha makes it in this run
	certDNSName       string // finds the certificate ssisha made when thumbprint is ""
	setServiceStartup string // Automatic on the primary, Manual on secondaries
}

// checkSetupCanRun blocks when setup cannot run on the node: the pitfalls SQL Server
// setup would otherwise report half-way.
func checkSetupCanRun(env *Env, host string, m masterNodeState) (reason, fix string) {
	a := env.Answers
	switch {
	case !m.EngineInstalled:
		return fmt.Sprintf("SQL Server instance %s is not installed on %s; this design puts a replica on every master node", sqlInstanceOf(a, host), host),
			"install the database engine there first (setup /FEATURES=SQLEngine), then run this step again"
	case m.PendingReboot:
		return fmt.Sprintf("%s has a restart pending (%s), and SQL Server setup refuses to run until it restarts", host, strings.Join(m.RebootReasons, ", ")),
			"restart " + host + " and run this step again"
	case a.SetupMedia == "":
		return "no setup media is given", "set setupMedia to the local path of setup.exe on the nodes, for example C:\\SQLMedia\\setup.exe"
	case !m.SetupMediaExists:
		return fmt.Sprintf("SQL Server setup is not at %s on %s (setup from a network share fails over WinRM: second hop)", a.SetupMedia, host),
			"copy the installation media to a local disk on " + host + " and set answersSetupMedia to it"
	case env.Secrets == nil || env.Secrets.MasterAccountPassword.IsZero():
		return "the master service account's password is not given", "set " + envvar.MasterAccountPassword + " (or enter it when asked)"
	case strings.Contains(env.Secrets.MasterAccountPassword.Reveal(), `"`):
		return "the master service account's password contains a double quote, which setup's command line cannot carry", "give the account a password without double quotes"
	}
	return "", ""
}

// checkMasterAccount blocks on the master account pitfalls: a virtual account cannot log in
// to a remote replica, and accounts that differ per node break failover.
func checkMasterAccount(a *answers.Answers, host string, m masterNodeState) (reason, fix string) {
	if err := answers.ValidateDomainAccount(a.MasterService.Account, true); err != nil {
		return "masterService.account: " + err.Error(), `set masterService.account to a domain account such as CONTOSO\svc_ssismaster`
	}
	if m.Service == nil {
		return "", ""
	}
	if answers.ValidateDomainAccount(m.Service.StartName, true) != nil {
		return fmt.Sprintf("the master service on %s runs as %s, a virtual or built-in account that cannot log in to SSISDB on another replica after a failover", host, m.Service.StartName),
			"change the account with SQL Server Configuration Manager (it grants the logon right) or uninstall the master (setup /ACTION=Uninstall /FEATURES=IS_Master) and run this step again"
	}
	if !SameAccount(m.Service.StartName, a.MasterService.Account) {
		return fmt.Sprintf("the master service on %s runs as %s, not %s", host, m.Service.StartName, a.MasterService.Account),
			"use the same domain account on every master node: change it with SQL Server Configuration Manager, or set masterService.account to " + m.Service.StartName
	}
	return "", ""
}

// planMaster adds the install, binding, firewall and Always On actions for one node.
func planMaster(env *Env, p *masterPlan, tg masterTarget, m masterNodeState) (blockedDetection bool) {
	a := env.Answers
	port := answersMasterPort(a)
	host := tg.host
	if reason, fix := checkMasterAccount(a, host, m); reason != "" {
		p.block(reason, fix)
		return true
	}
	switch {
	case m.installed():
		if m.Settings == nil {
			p.block(fmt.Sprintf("the master is installed on %s but MasterSettings.config is missing", host), "repair it: setup /ACTION=Repair, then run this step again")
			return true
		}
		if m.Settings.Error != "" {
			p.block(fmt.Sprintf("MasterSettings.config on %s cannot be read: %s", host, m.Settings.Error), "restore it from its latest backup (MasterSettings.config.bak-*) or repair the master (setup /ACTION=Repair), then run this step again")
			return true
		}
		if m.Settings.PortNumber != strconv.Itoa(port) {
			p.block(fmt.Sprintf("the master on %s listens on port %s, not %d; a different port per node breaks failover", host, m.Settings.PortNumber, port),
				fmt.Sprintf("set masterService.port to %s, or reinstall the master on %s with port %d", m.Settings.PortNumber, host, port))
			return true
		}
		want := tg.thumbprint
		bound := ""
		if m.Binding != nil {
			bound = m.Binding.CertificateHash
		}
		cur := strings.ToUpper(m.Settings.SSLCertThumbprint)
		// Pitfall: a binding whose hash differs from the thumbprint gives workers "server
		// certificate is not configured properly with HTTP.SYS".
		// An unknown thumbprint means ssisha makes the certificate in this run, so the
		// installed master uses some other one.
		if want == "" || cur != want || bound != want {
			p.drift = append(p.drift, fmt.Sprintf("the master on %s uses certificate %s (http.sys: %s) instead of %s", host, cur, noneIfEmpty(bound), newIfEmpty(want)))
			p.add(actRebindCert.New("Point the master at certificate "+newIfEmpty(want)+" (settings file, http.sys binding, restart)",
				[]Command{PSCommand(host, psMasterCertBind(m.Settings.Path, env.Version.MasterService(), want, tg.certDNSName, port))},
				&rebindUndo{PreviousThumbprint: m.Settings.SSLCertThumbprint}))
		}
	case m.MasterMarker != "" || m.Service != nil:
		p.block(fmt.Sprintf("the Scale Out Master on %s is half installed (registry marker %q, service present: %t)", host, m.MasterMarker, m.Service != nil),
			"repair it with setup /ACTION=Repair or uninstall IS_Master, then run this step again")
		return true
	default:
		if reason, fix := checkSetupCanRun(env, host, m); reason != "" {
			p.block(reason, fix)
			return true
		}
		features := "IS,IS_Master"
		removes := "IS_Master"
		if !m.ISInstalled {
			removes = features
		}
		// The hint is what Apply returns but the thumbprint setup reports, which Undo
		// does not use.
		p.add(actInstallMaster.New(
			fmt.Sprintf("Install Integration Services and Scale Out Master (service %s as %s, port %d, %s start)", env.Version.MasterService(), a.MasterService.Account, port, strings.ToLower(tg.setServiceStartup)),
			[]Command{PSCommand(host, psMasterInstall(masterSetup{
				SetupPath: a.SetupMedia, Folder: env.Version.Folder(), Account: a.MasterService.Account,
				Password: masterAccountSecret(env), Port: port, Thumbprint: tg.thumbprint, CertDNSName: tg.certDNSName,
				StartupType: tg.setServiceStartup, Features: features,
			}))},
			&installUndo{Features: removes}))
	}
	// Workers reach the master on every node the role can move to.
	if m.Firewall == nil || !m.Firewall.Enabled {
		// A disabled rule that exists is only enabled, and undo leaves it.
		p.add(actOpenFirewall.New(fmt.Sprintf("Open inbound TCP %d for the Scale Out Master", port),
			[]Command{PSCommand(host, psFirewallAdd(masterFirewallRule(port), fmt.Sprintf("SSIS Scale Out Master %d", port), port))},
			&firewallUndo{Created: m.Firewall == nil}))
	}
	// Seeding, synchronisation, the masters' catalog connection and the workers' logging
	// cross between machines on these ports; the Windows default blocks them all.
	var open []Command
	var ports []string
	// The hint names the rules that do not exist yet: an existing one is only enabled,
	// and undo leaves it.
	hint := &replicaFirewallUndo{}
	for _, rp := range replicaPorts(a, m) {
		name := replicaFirewallRule(rp.Port)
		enabled, exists := m.ReplicaFirewall[name]
		if enabled {
			continue
		}
		if !exists {
			hint.Created = append(hint.Created, name)
		}
		open = append(open, PSCommand(host, psFirewallAdd(name, fmt.Sprintf("ssisha: %s (TCP %d)", rp.What, rp.Port), rp.Port)))
		ports = append(ports, strconv.Itoa(rp.Port))
	}
	if len(open) > 0 {
		p.add(actOpenReplicaPorts.New("Open inbound TCP "+strings.Join(ports, ", ")+" for the replica (endpoint, instance, listener)", open, hint))
	}
	if !m.HadrEnabled {
		p.add(actEnableHadr.New("Enable Always On availability groups on "+sqlServerInstanceOf(a, host)+" (restarts the database engine)",
			[]Command{PSCommand(host, psAlwaysOn(true, sqlServerInstanceOf(a, host)))},
			&hadrUndo{Enabled: true}))
	}
	return false
}

// setServiceStartup maps Win32_Service.StartMode (Auto) to Set-Service's word (Automatic).
func setServiceStartup(mode string) string {
	if strings.EqualFold(mode, "Auto") {
		return "Automatic"
	}
	return mode
}

// verifyMasterNode reads back what steps 2 and 3 promise on one node.
func verifyMasterNode(ctx context.Context, env *Env, host string, m masterNodeState, thumb string) ([]Check, error) {
	a := env.Answers
	port := answersMasterPort(a)
	fqdn, short := accessPointNames(a)
	var checks []Check
	add := func(name string, ok bool, detail, fix string) {
		st := CheckSuccess
		if !ok {
			st = CheckFailed
		}
		checks = append(checks, Check{Name: name, Status: st, Detail: detail, Fix: fix})
	}
	add("Scale Out Master installed", m.installed(), "registry marker SQL_IS_Master "+noneIfEmpty(m.MasterMarker), "run step "+masterStepNumber(env, host)+" again")
	if m.Service != nil {
		add("Master service account", SameAccount(m.Service.StartName, a.MasterService.Account) && answers.ValidateDomainAccount(m.Service.StartName, true) == nil,
			m.Service.Name+" runs as "+m.Service.StartName, "use the domain account "+a.MasterService.Account+" (SQL Server Configuration Manager)")
	}
	if m.Settings != nil {
		add("Master port", m.Settings.PortNumber == strconv.Itoa(port), "PortNumber "+m.Settings.PortNumber, fmt.Sprintf("use port %d on every master node", port))
	}
	certs, err := readMasterCerts(ctx, env, host, thumb, "")
	if err != nil {
		return nil, err
	}
	c, ok := certInStore(certs, `LocalMachine\Root`)
	add("Master certificate in LocalMachine\\Root with its private key", ok && c.HasPrivateKey && thumb != "", "thumbprint "+noneIfEmpty(thumb), "run step "+masterStepNumber(env, host)+" again")
	if ok {
		add("Master certificate names the access point", c.names(fqdn, short), "names: "+strings.Join(c.DNSNames, ", "), "use a certificate that names "+fqdn)
		add("Master certificate valid", !c.expired(env.Clock()), "expires "+c.NotAfter, "renew the certificate (see \"Change the Scale Out Master certificate\")")
	}
	bound := ""
	if m.Binding != nil {
		bound = m.Binding.CertificateHash
	}
	add("http.sys binding", bound != "" && bound == thumb, fmt.Sprintf("0.0.0.0:%d -> %s", port, noneIfEmpty(bound)), "run step "+masterStepNumber(env, host)+" again to rebind the certificate")
	add("Firewall open for the master port", m.Firewall != nil && m.Firewall.Enabled, "rule "+masterFirewallRule(port), "run step "+masterStepNumber(env, host)+" again")
	var closed []string
	for _, rp := range replicaPorts(a, m) {
		if !m.ReplicaFirewall[replicaFirewallRule(rp.Port)] {
			closed = append(closed, strconv.Itoa(rp.Port))
		}
	}
	add("Firewall open for the replica's ports", len(closed) == 0, "closed: "+noneIfEmpty(strings.Join(closed, ", ")), "run step "+masterStepNumber(env, host)+" again")
	add("Always On enabled", m.HadrEnabled, "HADR_Enabled", "run step "+masterStepNumber(env, host)+" again")
	if m.SChannel.rejectsWorkers() {
		checks = append(checks, Check{Name: "SChannel accepts the workers' certificates", Status: CheckWarning,
			Detail: fmt.Sprintf("LocalMachine\\Root holds %d certificates a CA issued, and ClientAuthTrustMode is %s, SendTrustedIssuerList %s: the master will answer workers with 403",
				m.SChannel.CAIssuedInRoot, noneIfEmpty(m.SChannel.ClientAuthTrustMode), noneIfEmpty(m.SChannel.SendTrustedIssuerList)),
			Fix: "set SendTrustedIssuerList = 0 (or ClientAuthTrustMode = 2), a DWORD under HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL on every master node, or take the CA-issued certificates out of Root"})
	}
	return checks, nil
}

func masterStepNumber(env *Env, host string) string {
	if len(env.Answers.Masters) > 0 && strings.EqualFold(env.Answers.Masters[0].Host, host) {
		return "2"
	}
	return "3"
}

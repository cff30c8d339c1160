package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// Step 2 installs Integration Services and the Scale Out Master on the primary node,
// under the domain account, with a certificate whose names include the master's client
// access point. Step 3 reuses this file's reading of a node's master and its actions.

// The action IDs of steps 2 and 3.
const (
	actCreateCert    = "create-certificate"
	actCopyCertRoot  = "copy-certificate-to-root"
	actImportCert    = "import-certificate"
	actInstallMaster = "install-master"
	actRebindCert    = "rebind-certificate"
	actOpenFirewall  = "open-firewall"
	actEnableHadr    = "enable-alwayson"
	actStopUntilRole = "stop-master-until-clustered"
)

// masterCertFriendlyName marks the certificate ssisha makes, so later runs find it.
const masterCertFriendlyName = "SSISScaleOutMaster"

// NewPrimaryMasterStep returns step 2.
func NewPrimaryMasterStep() Step { return primaryMasterStep{} }

type primaryMasterStep struct{}

func (primaryMasterStep) ID() int       { return 2 }
func (primaryMasterStep) Title() string { return "Install Scale Out Master on the primary node" }
func (primaryMasterStep) Scope() Scope  { return Primary }

// masterNodeState is what master.get reports about a node.
type masterNodeState struct {
	EngineInstalled  bool                `json:"engineInstalled"`
	ISInstalled      bool                `json:"isInstalled"`
	MasterMarker     string              `json:"masterMarker"`
	Service          *masterServiceState `json:"service"`
	Settings         *masterSettingsFile `json:"settings"`
	Binding          *httpBinding        `json:"binding"`
	Firewall         *firewallRuleState  `json:"firewall"`
	HadrEnabled      bool                `json:"hadrEnabled"`
	PendingReboot    bool                `json:"pendingReboot"`
	RebootReasons    []string            `json:"rebootReasons"`
	SetupMediaExists bool                `json:"setupMediaExists"`
}

type masterServiceState struct {
	Name      string `json:"name"`
	StartName string `json:"startName"`
	StartMode string `json:"startMode"`
	State     string `json:"state"`
	PathName  string `json:"pathName"`
}

type masterSettingsFile struct {
	Path              string `json:"path"`
	PortNumber        string `json:"portNumber"`
	SSLCertThumbprint string `json:"sslCertThumbprint"`
	SQLServerName     string `json:"sqlServerName"`
}

type httpBinding struct {
	CertificateHash string `json:"certificateHash"`
	StoreName       string `json:"storeName"`
}

type firewallRuleState struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// masterCertState is one certificate as cert.get reports it.
type masterCertState struct {
	Thumbprint    string   `json:"thumbprint"`
	Store         string   `json:"store"`
	Subject       string   `json:"subject"`
	DNSNames      []string `json:"dnsNames"`
	FriendlyName  string   `json:"friendlyName"`
	HasPrivateKey bool     `json:"hasPrivateKey"`
	Exportable    bool     `json:"exportable"`
	NotAfter      string   `json:"notAfter"`
}

func (c masterCertState) expired(now time.Time) bool {
	t, err := time.Parse(time.RFC3339Nano, c.NotAfter)
	return err == nil && t.Before(now)
}

// names reports whether the certificate names the access point (short or FQDN).
func (c masterCertState) names(fqdn, short string) bool {
	for _, n := range c.DNSNames {
		if strings.EqualFold(n, fqdn) || strings.EqualFold(n, short) {
			return true
		}
	}
	return false
}

// installed reports whether setup installed the master here.
func (m masterNodeState) installed() bool { return m.MasterMarker != "" && m.Service != nil }

func (m masterNodeState) facts() map[string]any {
	f := map[string]any{
		"engineInstalled": m.EngineInstalled,
		"isInstalled":     m.ISInstalled,
		"masterMarker":    m.MasterMarker,
		"hadrEnabled":     m.HadrEnabled,
		"pendingReboot":   m.PendingReboot,
	}
	if m.Service != nil {
		f["serviceAccount"] = m.Service.StartName
		f["serviceStartMode"] = m.Service.StartMode
	}
	if m.Settings != nil {
		f["settingsPort"] = m.Settings.PortNumber
		f["settingsThumbprint"] = strings.ToUpper(m.Settings.SSLCertThumbprint)
	}
	if m.Binding != nil {
		f["bindingThumbprint"] = m.Binding.CertificateHash
	}
	if m.Firewall != nil {
		f["firewallEnabled"] = m.Firewall.Enabled
	}
	return f
}

// masterFirewallRule names the inbound rule for the master port on every master node.
func masterFirewallRule(port int) string { return "SSISScaleOutMaster-" + strconv.Itoa(port) }

func answersMasterPort(a *answers.Answers) int {
	if a.MasterService.Port != 0 {
		return a.MasterService.Port
	}
	return answers.DefaultMasterPort
}

func answersSetupMedia(a *answers.Answers) string { return a.SetupMedia }

func sqlInstanceOf(a *answers.Answers, host string) string {
	for _, m := range a.Masters {
		if strings.EqualFold(m.Host, host) && m.SQLInstance != "" {
			return m.SQLInstance
		}
	}
	return answers.DefaultSQLInstance
}

func sqlServerInstanceOf(a *answers.Answers, host string) string {
	inst := sqlInstanceOf(a, host)
	if strings.EqualFold(inst, answers.DefaultSQLInstance) {
		return host
	}
	return host + `\` + inst
}

func readMasterNode(ctx context.Context, env *Env, host string) (masterNodeState, error) {
	a := env.Answers
	port := answersMasterPort(a)
	var m masterNodeState
	err := env.PS(ctx, host, psMasterGet(masterProbe{
		ServiceName: env.Version.MasterService(), Folder: env.Version.Folder(),
		SettingsPath: env.Version.MasterSettingsPath(), Port: port, FirewallRule: masterFirewallRule(port),
		SetupMedia: answersSetupMedia(a), Instance: sqlInstanceOf(a, host),
	}), &m)
	if err != nil {
		return m, fmt.Errorf("reading the Scale Out Master on %s failed: %w", host, err)
	}
	return m, nil
}

func readMasterCerts(ctx context.Context, env *Env, host, thumbprint, dnsName string) ([]masterCertState, error) {
	var res struct {
		Certs []masterCertState `json:"certs"`
	}
	if err := env.PS(ctx, host, psMasterCertGet(thumbprint, dnsName), &res); err != nil {
		return nil, fmt.Errorf("reading certificates on %s failed: %w", host, err)
	}
	return res.Certs, nil
}

// certInStore returns the certificate in the given store, preferring one with a key.
func certInStore(certs []masterCertState, store string) (masterCertState, bool) {
	var found masterCertState
	ok := false
	for _, c := range certs {
		if !strings.EqualFold(c.Store, store) {
			continue
		}
		if !ok || (c.HasPrivateKey && !found.HasPrivateKey) {
			found, ok = c, true
		}
	}
	return found, ok
}

// masterCertOnNode returns the master certificate in LocalMachine\Root, else the one
// in LocalMachine\My: Root is where setup and http.sys look, My where it is often
// imported first.
func masterCertOnNode(certs []masterCertState) (masterCertState, bool) {
	if c, ok := certInStore(certs, `LocalMachine\Root`); ok {
		return c, true
	}
	return certInStore(certs, `LocalMachine\My`)
}

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
		return "the master service account's password is not given", "set SSISHA_MASTER_ACCOUNT_PASSWORD (or enter it when asked)"
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
			p.add(Action{
				ID: actRebindCert, Kind: KindChange,
				Summary:  "Point the master at certificate " + newIfEmpty(want) + " (settings file, http.sys binding, restart)",
				Commands: []Command{PSCommand(host, psMasterCertBind(m.Settings.Path, env.Version.MasterService(), want, tg.certDNSName, port))},
				UndoHint: Undo{"previousThumbprint": m.Settings.SSLCertThumbprint},
			})
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
		p.add(Action{
			ID: actInstallMaster, Kind: KindCreate,
			Summary: fmt.Sprintf("Install Integration Services and Scale Out Master (service %s as %s, port %d, %s start)", env.Version.MasterService(), a.MasterService.Account, port, strings.ToLower(tg.setServiceStartup)),
			Commands: []Command{PSCommand(host, psMasterInstall(masterSetup{
				SetupPath: a.SetupMedia, Folder: env.Version.Folder(), Account: a.MasterService.Account,
				Password: masterAccountSecret(env), Port: port, Thumbprint: tg.thumbprint, CertDNSName: tg.certDNSName,
				StartupType: tg.setServiceStartup, Features: features,
			}))},
			// What Apply returns but the thumbprint setup reports, which Undo does not use.
			UndoHint: Undo{"features": removes},
		})
	}
	// Workers reach the master on every node the role can move to.
	if m.Firewall == nil || !m.Firewall.Enabled {
		p.add(Action{
			ID: actOpenFirewall, Kind: KindCreate,
			Summary:  fmt.Sprintf("Open inbound TCP %d for the Scale Out Master", port),
			Commands: []Command{PSCommand(host, psFirewallAdd(masterFirewallRule(port), fmt.Sprintf("SSIS Scale Out Master %d", port), port))},
			// A disabled rule that exists is only enabled, and undo leaves it.
			UndoHint: Undo{"created": m.Firewall == nil},
		})
	}
	if !m.HadrEnabled {
		p.add(Action{
			ID: actEnableHadr, Kind: KindRestart,
			Summary:  "Enable Always On availability groups on " + sqlServerInstanceOf(a, host) + " (restarts the database engine)",
			Commands: []Command{PSCommand(host, psAlwaysOn(true, sqlServerInstanceOf(a, host)))},
			UndoHint: Undo{"enabled": true},
		})
	}
	return false
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func newIfEmpty(s string) string {
	if s == "" {
		return "the new master certificate"
	}
	return s
}

// masterAccountSecret is the master account's password under a fixed placeholder name.
func masterAccountSecret(env *Env) script.Secret {
	v := ""
	if env.Secrets != nil {
		v = env.Secrets.MasterAccountPassword.Reveal()
	}
	return script.NewSecret("master-account-password", v)
}

// masterCertNames are the names the master certificate carries: the access point (FQDN and
// short), the extra names, and every master node, so that workers trust it whichever
// name they use and wherever the role runs.
func masterCertNames(a *answers.Answers) []string {
	fqdn, short := accessPointNames(a)
	names := []string{fqdn}
	seen := map[string]bool{strings.ToLower(fqdn): true}
	add := func(n string) {
		if n != "" && !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			names = append(names, n)
		}
	}
	add(short)
	for _, n := range a.MasterService.Certificate.ExtraNames {
		add(n)
	}
	for _, m := range a.Masters {
		add(m.Host)
		add(hostShortName(m.Host))
	}
	return names
}

func (s primaryMasterStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	a := env.Answers
	p := &masterPlan{det: Detection{Facts: map[string]any{}}}
	m, err := readMasterNode(ctx, env, t.Host)
	if err != nil {
		return Detection{}, err
	}
	p.det.Facts = m.facts()
	fqdn, short := accessPointNames(a)
	tg := masterTarget{host: t.Host, setServiceStartup: "Automatic", certDNSName: fqdn}

	if want := a.MasterService.Certificate.Thumbprint; want != "" && !a.MasterService.Certificate.Generate {
		want = answers.NormalizeThumbprint(want)
		certs, err := readMasterCerts(ctx, env, t.Host, want, "")
		if err != nil {
			return Detection{}, err
		}
		root, inRoot := certInStore(certs, `LocalMachine\Root`)
		mine, inMy := certInStore(certs, `LocalMachine\My`)
		c := root
		if !inRoot {
			c = mine
		}
		switch {
		case !inRoot && !inMy:
			return p.block(fmt.Sprintf("certificate %s is not on %s", want, t.Host), "import it into LocalMachine\\My or LocalMachine\\Root on "+t.Host+" with its private key, or set masterService.certificate.generate: true"), nil
		case !c.HasPrivateKey && !(inMy && mine.HasPrivateKey):
			return p.block(fmt.Sprintf("certificate %s on %s has no private key, so the master cannot serve HTTPS with it", want, t.Host), "import the PFX with its private key, or let ssisha generate the certificate"), nil
		case !c.names(fqdn, short):
			// Pitfall: a node name instead of the access point in the certificate breaks
			// worker trust as soon as the role moves.
			return p.block(fmt.Sprintf("certificate %s names %s but not the master's access point %s; workers will not trust it after a failover", want, strings.Join(c.DNSNames, ", "), fqdn), "use a certificate whose names include "+fqdn+", or set masterService.certificate.generate: true"), nil
		case c.expired(env.Clock()):
			return p.block(fmt.Sprintf("certificate %s expired on %s", want, c.NotAfter), "renew it, or set masterService.certificate.generate: true"), nil
		}
		p.det.Facts["certificate"] = want
		if !inRoot || !root.HasPrivateKey {
			if !mine.Exportable {
				return p.block(fmt.Sprintf("certificate %s is only in LocalMachine\\My on %s and its private key is not exportable, so it cannot be placed in LocalMachine\\Root where setup and http.sys look", want, t.Host), "create a new certificate with an exportable key (or set masterService.certificate.generate: true); see \"Change the Scale Out Master certificate\""), nil
			}
			p.add(Action{ID: actCopyCertRoot, Kind: KindCreate, Summary: "Copy certificate " + want + " with its key into LocalMachine\\Root",
				Commands: []Command{PSCommand(t.Host, psMasterCertCopyToRoot(want))},
				UndoHint: Undo{"thumbprint": want, "created": true}})
		}
		tg.thumbprint = want
	} else {
		certs, err := readMasterCerts(ctx, env, t.Host, "", fqdn)
		if err != nil {
			return Detection{}, err
		}
		var best masterCertState
		for _, c := range certs {
			if strings.EqualFold(c.Store, `LocalMachine\Root`) && c.HasPrivateKey && !c.expired(env.Clock()) && c.names(fqdn, short) && c.NotAfter > best.NotAfter {
				best = c
			}
		}
		if best.Thumbprint != "" {
			tg.thumbprint = strings.ToUpper(best.Thumbprint)
			p.det.Facts["certificate"] = tg.thumbprint
		} else {
			p.det.Facts["certificate"] = "to be generated"
			// The thumbprint is only known once the certificate exists, so the hint
			// names how Undo finds it instead: ssisha's friendly name and the access
			// point, less the certificates that were there before.
			var before []any
			for _, c := range certs {
				before = append(before, strings.ToUpper(c.Thumbprint))
			}
			p.add(Action{ID: actCreateCert, Kind: KindCreate,
				Summary:  "Create the master certificate for " + strings.Join(masterCertNames(a), ", ") + " (exportable, LocalMachine\\My and Root)",
				Commands: []Command{PSCommand(t.Host, psMasterCertCreate("CN="+fqdn, masterCertNames(a), masterCertFriendlyName, 5))},
				UndoHint: Undo{"created": true, "dnsName": fqdn, "friendlyName": masterCertFriendlyName, "existedBefore": before}})
		}
	}
	if planMaster(env, p, tg, m) {
		return p.det, nil
	}
	return p.finish(), nil
}

func (s primaryMasterStep) Apply(ctx context.Context, env *Env, t Target, a Action) (Undo, error) {
	return applyMasterAction(ctx, env, t, a)
}

// applyMasterAction runs one action of step 2 or 3 and records its undo.
func applyMasterAction(ctx context.Context, env *Env, t Target, a Action) (Undo, error) {
	switch a.ID {
	case actInstallMaster:
		// What setup adds is what Detect found missing, carried in the hint: reading
		// the node again here would cost a round trip and tell nothing new, since the
		// step re-detects just before it runs.
		features := undoText(a.UndoHint, "features")
		if features == "" {
			before, err := readMasterNode(ctx, env, t.Host)
			if err != nil {
				return nil, err
			}
			features = "IS_Master"
			if !before.ISInstalled {
				features = "IS,IS_Master"
			}
		}
		res, err := runCollect(ctx, env, a.Summary, a.Commands)
		if err != nil {
			return nil, fmt.Errorf("installing the Scale Out Master on %s failed: %w; fix the cause setup names and run this step again", t.Host, err)
		}
		var out struct {
			ExitCode       int    `json:"exitCode"`
			RebootRequired bool   `json:"rebootRequired"`
			Thumbprint     string `json:"thumbprint"`
		}
		_ = json.Unmarshal(res[len(res)-1], &out)
		if out.RebootRequired {
			env.Say(t.Host, "setup finished and asks for a restart (exit code 3010); restart "+t.Host+" before the next step")
		}
		return Undo{"features": features, "thumbprint": out.Thumbprint}, nil
	case actCreateCert:
		res, err := runCollect(ctx, env, a.Summary, a.Commands)
		if err != nil {
			return nil, fmt.Errorf("creating the master certificate on %s failed: %w", t.Host, err)
		}
		var out struct {
			Thumbprint string `json:"thumbprint"`
			Created    bool   `json:"created"`
		}
		_ = json.Unmarshal(res[0], &out)
		return Undo{"thumbprint": out.Thumbprint, "created": out.Created}, nil
	case actCopyCertRoot:
		if _, err := runCollect(ctx, env, a.Summary, a.Commands); err != nil {
			return nil, fmt.Errorf("copying the master certificate into LocalMachine\\Root on %s failed: %w", t.Host, err)
		}
		return Undo{"thumbprint": a.Commands[0].PS.Params["thumbprint"], "created": true}, nil
	case actRebindCert:
		res, err := runCollect(ctx, env, a.Summary, a.Commands)
		if err != nil {
			return nil, fmt.Errorf("binding the master certificate on %s failed: %w", t.Host, err)
		}
		var out struct {
			Previous string `json:"previousThumbprint"`
		}
		_ = json.Unmarshal(res[0], &out)
		return Undo{"previousThumbprint": out.Previous}, nil
	case actOpenFirewall:
		res, err := runCollect(ctx, env, a.Summary, a.Commands)
		if err != nil {
			return nil, fmt.Errorf("opening the firewall on %s failed: %w", t.Host, err)
		}
		var out struct {
			Created bool `json:"created"`
		}
		_ = json.Unmarshal(res[0], &out)
		return Undo{"created": out.Created}, nil
	case actEnableHadr:
		if _, err := runCollect(ctx, env, a.Summary, a.Commands); err != nil {
			return nil, fmt.Errorf("enabling Always On on %s failed: %w", t.Host, err)
		}
		return Undo{"enabled": true}, nil
	case actStopUntilRole:
		before, err := readMasterNode(ctx, env, t.Host)
		if err != nil {
			return nil, err
		}
		if _, err := runCollect(ctx, env, a.Summary, a.Commands); err != nil {
			return nil, fmt.Errorf("stopping the master service on %s failed: %w", t.Host, err)
		}
		u := Undo{}
		if before.Service != nil {
			u["startMode"], u["state"] = before.Service.StartMode, before.Service.State
		}
		return u, nil
	case actImportCert:
		return applyImportCert(ctx, env, t, a)
	}
	return nil, fmt.Errorf("step 2/3 has no action %q on %s; run detect again", a.ID, t.Host)
}

// undoMasterAction reverses one action of step 2 or 3.
func undoMasterAction(ctx context.Context, env *Env, t Target, actionID string, data Undo) error {
	port := answersMasterPort(env.Answers)
	run := func(s script.PowerShell) error { return env.PS(ctx, t.Host, s, nil) }
	switch actionID {
	case actInstallMaster:
		features := undoText(data, "features")
		if features == "" {
			features = "IS_Master"
		}
		if err := run(psMasterUninstall(env.Answers.SetupMedia, env.Version.Folder(), features, port)); err != nil {
			return fmt.Errorf("uninstalling the Scale Out Master on %s failed: %w", t.Host, err)
		}
		return nil
	case actCreateCert, actCopyCertRoot, actImportCert:
		if actionID == actCreateCert && undoText(data, "thumbprint") == "" && undoText(data, "dnsName") != "" {
			return undoCreatedCertFromHint(ctx, env, t, data)
		}
		thumb := undoText(data, "thumbprint")
		if thumb == "" || (actionID == actCreateCert && !undoFlag(data, "created")) {
			return nil
		}
		stores := []string{"Root"}
		if actionID == actCreateCert {
			stores = []string{"My", "Root"}
		}
		if err := run(psMasterCertRemove(thumb, stores)); err != nil {
			return fmt.Errorf("removing certificate %s on %s failed: %w", thumb, t.Host, err)
		}
		return nil
	case actRebindCert:
		prev := undoText(data, "previousThumbprint")
		if prev == "" {
			return fmt.Errorf("%w: the master on %s had no certificate before", ErrIrreversible, t.Host)
		}
		m, err := readMasterNode(ctx, env, t.Host)
		if err != nil {
			return err
		}
		if m.Settings == nil {
			return nil
		}
		if err := run(psMasterCertBind(m.Settings.Path, env.Version.MasterService(), prev, "", port)); err != nil {
			return fmt.Errorf("binding the previous certificate %s on %s failed: %w; it may have been removed", prev, t.Host, err)
		}
		return nil
	case actOpenFirewall:
		if !undoFlag(data, "created") {
			return nil
		}
		return run(psFirewallRemove(masterFirewallRule(port)))
	case actEnableHadr:
		if !undoFlag(data, "enabled") {
			return nil
		}
		if err := run(psAlwaysOn(false, sqlServerInstanceOf(env.Answers, t.Host))); err != nil {
			return fmt.Errorf("disabling Always On on %s failed: %w", t.Host, err)
		}
		return nil
	case actStopUntilRole:
		mode := undoText(data, "startMode")
		if mode == "" {
			return nil
		}
		if err := run(psServiceSet(env.Version.MasterService(), setServiceStartup(mode), undoText(data, "state"))); err != nil {
			return fmt.Errorf("restoring the master service on %s failed: %w", t.Host, err)
		}
		return nil
	}
	return fmt.Errorf("step 2/3 has no action %q to undo on %s", actionID, t.Host)
}

// undoCreatedCertFromHint removes the master certificate a create-certificate action
// made when only its hint was recorded: the certificates carrying ssisha's friendly
// name and the access point that were not there when Detect looked.
func undoCreatedCertFromHint(ctx context.Context, env *Env, t Target, data Undo) error {
	if !undoFlag(data, "created") {
		return nil
	}
	before := map[string]bool{}
	if list, ok := data["existedBefore"].([]any); ok {
		for _, v := range list {
			before[strings.ToUpper(Str(v))] = true
		}
	}
	certs, err := readMasterCerts(ctx, env, t.Host, "", undoText(data, "dnsName"))
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, c := range certs {
		thumb := strings.ToUpper(c.Thumbprint)
		if thumb == "" || before[thumb] || done[thumb] || c.FriendlyName != undoText(data, "friendlyName") {
			continue
		}
		done[thumb] = true
		if err := env.PS(ctx, t.Host, psMasterCertRemove(c.Thumbprint, []string{"My", "Root"}), nil); err != nil {
			return fmt.Errorf("removing certificate %s on %s failed: %w", c.Thumbprint, t.Host, err)
		}
	}
	return nil
}

// setServiceStartup maps Win32_Service.StartMode (Auto) to Set-Service's word (Automatic).
func setServiceStartup(mode string) string {
	if strings.EqualFold(mode, "Auto") {
		return "Automatic"
	}
	return mode
}

func (s primaryMasterStep) Undo(ctx context.Context, env *Env, t Target, actionID string, data Undo) error {
	return undoMasterAction(ctx, env, t, actionID, data)
}

func (s primaryMasterStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	m, err := readMasterNode(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	thumb := ""
	if m.Settings != nil {
		thumb = strings.ToUpper(m.Settings.SSLCertThumbprint)
	}
	return verifyMasterNode(ctx, env, t.Host, m, thumb)
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
	add("Always On enabled", m.HadrEnabled, "HADR_Enabled", "run step "+masterStepNumber(env, host)+" again")
	return checks, nil
}

func masterStepNumber(env *Env, host string) string {
	if len(env.Answers.Masters) > 0 && strings.EqualFold(env.Answers.Masters[0].Host, host) {
		return "2"
	}
	return "3"
}

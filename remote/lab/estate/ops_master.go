package estate

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ssisha/ssisha/sqlversion"
)

// Scale Out Master operations on a node: what SQL Server setup installs and removes,
// the service's start mode and state, the certificate binding, and Always On.

// masterOps adds the operations of this file to t.
func masterOps(t *Operations) {
	t.AddPS("master.get", masterGet)
	t.AddPS("master.install", masterInstall)
	t.AddPS("master.uninstall", masterUninstall)
	t.AddPS("master.service.set", masterServiceSet)
	t.AddPS("master.cert.bind", masterCertBind)
	t.AddPS("master.alwayson.enable", masterAlwaysOn(true))
	t.AddPS("master.alwayson.disable", masterAlwaysOn(false))
	t.AddPS("is.binn.get", isBinnGet)
	t.AddPS("settings.head", settingsHead)
}

// settingsHead reads the first lines of a settings file where a script that asks the
// service and the registry finds it.
func settingsHead(c *OpContext, p Params) (any, error) {
	n := c.Node
	file := p.String("file")
	path, _, _ := settingsFile(n, p.String("service"), file, settingsDefault(n, p, p.String("folder"), file))
	res, err := winFileHead(c, Params{"paths": []any{path}, "lines": p.Int("lines")})
	if err != nil {
		return nil, err
	}
	return res.(map[string]any)["files"].([]map[string]any)[0], nil
}

// isBinnGet finds a version's DTS\Binn folder through the registry, and whether a
// file is in it.
func isBinnGet(c *OpContext, p Params) (any, error) {
	n := c.Node
	binn, source := registryBinn(n, p.String("folder"))
	file := binn + `\` + p.String("file")
	_, exists := n.File(file)
	return map[string]any{"path": binn, "source": source, "file": file, "exists": exists || strings.EqualFold(file, assemblyPath(n))}, nil
}

// masterFolder is the version folder (150) of the node's SQL Server.
func masterFolder(n *Node) string {
	v := ""
	if n.SQL != nil {
		v = n.SQL.Version
	} else if x := n.Installed["SQLEngine"]; x != "" {
		v = x
	}
	return versionFolder(majorOf(v))
}

// versionFolder is the folder of a major version under Microsoft SQL Server: the
// release table's, or, for a version outside it, the major version followed by a
// zero, as setup names it.
func versionFolder(major int) string {
	if r, ok := sqlversion.ByMajor(major); ok {
		return r.Folder
	}
	return strconv.Itoa(major) + "0"
}

// MasterMarkerKey is the registry value setup writes when the master is installed;
// internal.enable_scaleout reads it.
func MasterMarkerKey(folder string) string {
	return `HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\` + folder + `\DTS\Setup\SQL_IS_Master!Version`
}

// dtsPathKey is the registry value that says where Integration Services is installed.
func dtsPathKey(folder string) string {
	return `HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\` + folder + `\SSIS\Setup\DTSPath!`
}

// binnDir is the DTS\Binn folder of a version folder on a node with the default
// shared-features folder.
func binnDir(folder string) string {
	return `C:\Program Files\Microsoft SQL Server\` + folder + `\DTS\Binn`
}

// setupSummaryPath is where SQL Server setup writes its summary on n: under the
// version's folder in the shared-features folder, which setup records in the
// registry as VerSpecificRootDir.
func setupSummaryPath(n *Node, folder string) string {
	return sharedDir(n) + `\` + folder + `\Setup Bootstrap\Log\Summary.txt`
}

// setupSummaryLookedAt is the summary the running script reads after setup: the one
// under VerSpecificRootDir when the script asks the registry, else the one under
// %ProgramFiles%, which is another file when the shared features are elsewhere.
func (c *OpContext) setupSummaryLookedAt(folder string) string {
	if c.Script == "" || strings.Contains(c.Script, "VerSpecificRootDir") {
		return setupSummaryPath(c.Node, folder)
	}
	return `C:\Program Files\Microsoft SQL Server\` + folder + `\Setup Bootstrap\Log\Summary.txt`
}

func masterGet(c *OpContext, p Params) (any, error) {
	n := c.Node
	var service map[string]any
	settingsPath := p.String("settingsPath")
	if svc := n.Services[strings.ToLower(p.String("serviceName"))]; svc != nil {
		service = map[string]any{"name": svc.Name, "startName": svc.Account, "startMode": svc.StartMode, "state": svc.State, "pathName": svc.PathName}
		exe := strings.Trim(svc.PathName, `"`)
		if i := strings.LastIndex(exe, `\`); i > 0 {
			if cand := exe[:i] + `\MasterSettings.config`; cand != "" {
				if _, ok := n.File(cand); ok {
					settingsPath = cand
				}
			}
		}
	}
	var settings map[string]any
	if content, ok := n.File(settingsPath); ok {
		if err := c.convertSettings(settingsPath, content); err != nil {
			// The script reports a file it cannot make out.
			settings = map[string]any{"path": settingsPath, "error": err.Error()}
			content = ""
		}
		get := func(k string) any {
			v, err := SettingGet(content, k)
			if err != nil {
				return nil
			}
			return v
		}
		if settings == nil {
			settings = map[string]any{"path": settingsPath, "portNumber": get("PortNumber"), "sslCertThumbprint": get("SSLCertThumbprint"), "sqlServerName": get("SqlServerName")}
		}
	}
	var binding map[string]any
	if h := n.SSLBindings[fmt.Sprintf("0.0.0.0:%d", p.Int("port"))]; h != "" && !c.readsEnglishNetsh() {
		binding = map[string]any{"certificateHash": strings.ToUpper(h), "storeName": "Root"}
	}
	var firewall map[string]any
	if fw := n.Firewall[p.String("firewallRule")]; fw != nil {
		firewall = map[string]any{"name": fw.Name, "enabled": fw.Enabled}
	}
	replicaFirewall := map[string]bool{}
	if prefix := strings.ToLower(p.String("replicaRulePrefix")); prefix != "" {
		for name, fw := range n.Firewall {
			if strings.HasPrefix(strings.ToLower(name), prefix) {
				replicaFirewall[fw.Name] = fw.Enabled
			}
		}
	}
	sqlTCPPort := 0
	if n.SQL != nil {
		sqlTCPPort = instancePort(n)
	}
	_, media := n.File(p.String("setupMedia"))
	return map[string]any{
		"engineInstalled": n.SQL != nil && n.Installed["SQLEngine"] != "",
		"isInstalled":     n.Installed["IS"] != "",
		"masterMarker":    n.Registry[MasterMarkerKey(p.String("folder"))],
		"service":         service,
		"settings":        settings,
		"binding":         binding,
		"firewall":        firewall,
		"replicaFirewall": replicaFirewall,
		"schannel": map[string]any{"caIssuedInRoot": caIssuedInRoot(n),
			"clientAuthTrustMode": n.Registry[ClientAuthTrustModeKey], "sendTrustedIssuerList": n.Registry[SendTrustedIssuerListKey]},
		"sqlTcpPort":       sqlTCPPort,
		"hadrEnabled":      n.SQL != nil && n.SQL.HadrEnabled,
		"pendingReboot":    n.PendingReboot,
		"rebootReasons":    winRebootReasons(n),
		"setupMediaExists": p.String("setupMedia") != "" && media,
	}, nil
}

// readsEnglishNetsh reports a script that finds the binding by matching netsh's English
// labels ("Certificate Hash") on a node whose netsh prints them in another language
// ("Zertifikathash" on de-DE): it finds none.
func (c *OpContext) readsEnglishNetsh() bool {
	english := c.Node.Locale == "" || strings.HasPrefix(strings.ToLower(c.Node.Locale), "en")
	return !english && strings.Contains(c.Script, "Certificate Hash")
}

// setupFailure is how SQL Server setup fails: an exit code and Summary.txt.
func setupFailure(c *OpContext, folder string, code int, message string) error {
	c.Node.SetFile(setupSummaryPath(c.Node, folder), fmt.Sprintf("Overall summary:\r\n  Final result:                  Failed: see details below\r\n  Exit code (Decimal):           %d\r\n  Exit message:                  %s\r\n", code, message))
	summary := c.setupSummaryLookedAt(folder)
	if _, ok := c.Node.File(summary); !ok {
		// The script finds no summary there and says only the exit code.
		return errorf("SQL Server setup failed on %s with exit code %d.  See %s", sqlServerNameOf(c.Node), code, summary)
	}
	return errorf("SQL Server setup failed on %s with exit code %d. Final result: Failed: see details below Exit message: %s See %s", sqlServerNameOf(c.Node), code, message, summary)
}

func setupPassed(c *OpContext, folder string) {
	c.Node.SetFile(setupSummaryPath(c.Node, folder), "Overall summary:\r\n  Final result:                  Passed\r\n  Exit code (Decimal):           0\r\n  Exit message:                  Passed\r\n")
}

func masterInstall(c *OpContext, p Params) (any, error) {
	n := c.Node
	folder := masterFolder(n)
	setupPath := p.String("setupPath")
	if _, ok := n.File(setupPath); !ok {
		return nil, errorf("SQL Server setup is not at %s on %s; copy the installation media to a local disk", setupPath, sqlServerNameOf(n))
	}
	if n.PendingReboot {
		if c.Script == "" || strings.Contains(c.Script, "Get-SsishaRebootReasons") {
			// The script looks first and says why.
			return nil, errorf("%s must restart before SQL Server setup can run (Component Based Servicing)", sqlServerNameOf(n))
		}
		// Setup's own RebootRequiredCheck rule fails the run, in its own words.
		return nil, setupFailure(c, folder, -2067919934, "A computer restart is required. You must restart this computer before installing SQL Server.")
	}
	features := strings.Split(strings.ToUpper(p.String("features")), ",")
	version := n.Installed["SQLEngine"]
	if version == "" && n.SQL != nil {
		version = n.SQL.Version
	}
	c.noteSetupCommandLine("master.install", p.String("account"))
	c.Sleep(240 * time.Second)
	if n.Installed["IS_Master"] != "" {
		return nil, setupFailure(c, folder, -2068643838, "The following features are already installed: IS_Master. Select features that are not installed.")
	}
	account := p.String("account")
	if strings.HasPrefix(strings.ToUpper(account), `NT SERVICE\`) || strings.HasPrefix(strings.ToUpper(account), `NT AUTHORITY\`) {
		return nil, setupFailure(c, folder, -2068578302, "The Scale Out Master service account '"+account+"' is a local virtual or built-in account; in a highly available Scale Out it must be a domain account that can log in to every replica.")
	}
	acct := winAccount(c.Estate, account)
	if acct == nil || !acct.Enabled || acct.Password != c.setupReceives(p.String("password")) {
		return nil, setupFailure(c, folder, -2068578302, "The credentials you provided for the SQL Server Integration Services Scale Out Master service are invalid. To continue, provide a valid account and password for the service.")
	}
	thumb := strings.ToUpper(p.String("thumbprint"))
	root := certStore(n, StoreRoot)
	if thumb == "" {
		if thumb = masterCertFor(n, p.String("certDnsName")); thumb == "" {
			return nil, errorf("no Scale Out Master certificate for %s with a private key is in LocalMachine\\Root on %s", p.String("certDnsName"), sqlServerNameOf(n))
		}
	}
	if ct := root[thumb]; ct == nil || !ct.HasPrivateKey {
		return nil, setupFailure(c, folder, -2061893606, "The certificate with thumbprint "+thumb+" was not found in the LocalMachine\\Root store, or it has no private key.")
	}
	major := majorOf(version)
	// Setup puts the master where the node's shared features go.
	if winHasHost(features, "IS") && n.Installed["IS"] == "" {
		n.Installed["IS"] = version
		n.Registry[dtsPathKey(folder)] = sharedDir(n) + `\` + folder + `\DTS\`
		name := "MsDtsServer" + folder
		n.Services[strings.ToLower(name)] = &Service{Name: name, DisplayName: fmt.Sprintf("SQL Server Integration Services %d.0", major), Account: `NT Service\` + name, StartMode: "Auto", State: "Running", PathName: `"` + dtsBinn(n, folder) + `\MsDtsSrvr.exe"`}
	}
	n.Installed["IS_Master"] = version
	n.Registry[MasterMarkerKey(folder)] = version
	svcName := "SSISScaleOutMaster" + folder
	mode, state := "Manual", "Stopped"
	if strings.EqualFold(p.String("startupType"), "Automatic") {
		mode, state = "Auto", "Running"
	}
	n.Services[strings.ToLower(svcName)] = &Service{
		Name: svcName, DisplayName: fmt.Sprintf("SQL Server Integration Services Scale Out Master %d.0", major),
		Account: account, Password: p.String("password"), StartMode: mode, State: state,
		PathName: `"` + dtsBinn(n, folder) + `\MasterService.exe"`,
	}
	port := p.Int("port")
	n.SetFile(dtsBinn(n, folder)+`\MasterSettings.config`, MasterSettingsFile(c.Estate.settingsFormat(), port, thumb, masterLocalServerName(n)))
	n.SSLBindings[fmt.Sprintf("0.0.0.0:%d", port)] = thumb
	setupPassed(c, folder)
	return map[string]any{"exitCode": 0, "rebootRequired": false, "thumbprint": thumb, "summary": "Final result: Passed Exit message: Passed"}, nil
}

// masterLocalServerName is what setup writes as SqlServerName: the local instance.
func masterLocalServerName(n *Node) string { return serverNameOf(n) }

func masterUninstall(c *OpContext, p Params) (any, error) {
	n := c.Node
	folder := masterFolder(n)
	if _, ok := n.File(p.String("setupPath")); !ok {
		return nil, errorf("SQL Server setup is not at %s on %s; copy the installation media to a local disk", p.String("setupPath"), sqlServerNameOf(n))
	}
	c.Sleep(120 * time.Second)
	features := strings.Split(strings.ToUpper(p.String("features")), ",")
	if winHasHost(features, "IS_Master") && n.Installed["IS_Master"] != "" {
		delete(n.Installed, "IS_Master")
		delete(n.Registry, MasterMarkerKey(folder))
		delete(n.Services, strings.ToLower("SSISScaleOutMaster"+folder))
		n.removeFile(dtsBinn(n, folder) + `\MasterSettings.config`)
	}
	if winHasHost(features, "IS") && n.Installed["IS"] != "" {
		delete(n.Installed, "IS")
		delete(n.Registry, dtsPathKey(folder))
		delete(n.Services, strings.ToLower("MsDtsServer"+folder))
	}
	delete(n.SSLBindings, fmt.Sprintf("0.0.0.0:%d", p.Int("port")))
	setupPassed(c, folder)
	return map[string]any{"exitCode": 0, "rebootRequired": false}, nil
}

func masterServiceSet(c *OpContext, p Params) (any, error) {
	name := p.String("serviceName")
	svc := c.Node.Services[strings.ToLower(name)]
	if svc == nil {
		return nil, errorf("Get-Service : Cannot find any service with service name '%s'.", name)
	}
	switch strings.ToLower(p.String("startMode")) {
	case "automatic", "auto":
		svc.StartMode = "Auto"
	case "manual":
		svc.StartMode = "Manual"
	case "disabled":
		svc.StartMode = "Disabled"
	default:
		return nil, errorf("Set-Service : Cannot bind parameter 'StartupType' to the value '%s'.", p.String("startMode"))
	}
	switch p.String("state") {
	case "Stopped":
		if svc.State != "Stopped" {
			c.Sleep(5 * time.Second)
			svc.State = "Stopped"
		}
	case "Running":
		if svc.State != "Running" {
			if msg := serviceLogonProblem(c.Estate, svc); msg != "" {
				return nil, errorf("Start-Service : Service '%s (%s)' cannot be started due to the following error: %s", svc.DisplayName, svc.Name, msg)
			}
			c.Sleep(5 * time.Second)
			svc.State = "Running"
		}
	}
	return map[string]any{"name": svc.Name, "startMode": svc.StartMode, "state": svc.State}, nil
}

func masterCertBind(c *OpContext, p Params) (any, error) {
	n := c.Node
	thumb := strings.ToUpper(p.String("thumbprint"))
	if thumb == "" {
		thumb = masterCertFor(n, p.String("certDnsName"))
	}
	if ct := certStore(n, StoreRoot)[thumb]; thumb == "" || ct == nil || !ct.HasPrivateKey {
		return nil, errorf("the master certificate (%s%s) with its private key is not in LocalMachine\\Root on %s", thumb, p.String("certDnsName"), sqlServerNameOf(n))
	}
	path := p.String("settingsPath")
	content, ok := n.File(path)
	if !ok {
		return nil, errorf("Get-Content : Cannot find path '%s' because it does not exist.", path)
	}
	old, err := c.readSettings(path, content, "SSLCertThumbprint")
	if err != nil {
		return nil, err
	}
	prev := old["SSLCertThumbprint"]
	if !strings.EqualFold(prev, thumb) {
		_, next, err := c.writeSettings(path, content, map[string]string{"SSLCertThumbprint": thumb})
		if err != nil {
			return nil, err
		}
		n.SetFile(path, next)
	}
	n.SSLBindings[fmt.Sprintf("0.0.0.0:%d", p.Int("port"))] = thumb
	if svc := n.Services[strings.ToLower(p.String("serviceName"))]; svc != nil && svc.State == "Running" {
		c.Sleep(5 * time.Second)
	}
	return map[string]any{"previousThumbprint": prev, "thumbprint": thumb}, nil
}

func masterAlwaysOn(enable bool) PSOp {
	return func(c *OpContext, p Params) (any, error) {
		in := c.Node.SQL
		if in == nil {
			return nil, errorf("Enable-SqlAlwaysOn : Failed to connect to server %s.", p.String("serverInstance"))
		}
		agentWasRunning := agentRunning(c.Node)
		if in.HadrEnabled != enable {
			// The cmdlet restarts the database engine, which stops the Agent with it;
			// only a script that starts it again (it names the service) gets it back.
			c.Sleep(20 * time.Second)
			in.HadrEnabled = enable
			stopAgentWithEngine(c.Node)
			if agent := c.Node.Services[strings.ToLower(p.String("agentService"))]; agent != nil && agentWasRunning {
				agent.State = "Running"
			}
		}
		return map[string]any{"serverInstance": p.String("serverInstance"), "hadrEnabled": enable, "agentWasRunning": agentWasRunning}, nil
	}
}

// masterCertFor finds the certificate ssisha made for a DNS name in LocalMachine\Root,
// newest first, as the scripts do; "" when there is none.
func masterCertFor(n *Node, dnsName string) string {
	var best *Cert
	root := certStore(n, StoreRoot)
	for _, k := range sortedKeys(root) {
		ct := root[k]
		if ct.HasPrivateKey && ct.FriendlyName == masterCertFriendlyName && certHasName(ct, dnsName) && (best == nil || ct.NotAfter.After(best.NotAfter)) {
			best = ct
		}
	}
	if best == nil {
		return ""
	}
	return best.Thumbprint
}

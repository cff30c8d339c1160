package estate

import (
	"strings"
	"time"
)

// Scale Out Worker machines: setup, certificates in both directions, the settings
// file and the service.

// workerOps adds the operations of this file to t.
func workerOps(t *Operations) {
	t.AddPS("worker.facts", workerFacts)
	t.AddPS("worker.install", workerInstall)
	t.AddPS("worker.uninstall", workerUninstall)
	t.AddPS("worker.cert.import", workerCertImport)
	t.AddPS("worker.cert.remove", workerCertRemove)
	t.AddPS("worker.cert.export", workerCertExport)
	t.AddPS("worker.cert.check", workerCertCheck)
	t.AddPS("worker.settings.set", workerSettingsSet)
	t.AddPS("worker.service.restart", workerServiceRestart)
}

func storeName(s string) string {
	if strings.Contains(s, `\`) {
		return s
	}
	return `LocalMachine\` + s
}

func workerFacts(c *OpContext, p Params) (any, error) {
	n := c.Node
	out := map[string]any{"installed": n.Installed["IS_Worker"] != "", "settingsFound": false,
		"isInstalled": n.Installed["IS"] != "", "rebootReasons": winRebootReasons(n)}
	if svc := n.Services[strings.ToLower(p.String("service"))]; svc != nil {
		out["serviceState"] = svc.State
		out["serviceAccount"] = svc.Account
		out["serviceStartMode"] = svc.StartMode
	}
	file, content, ok := settingsFile(n, p.String("service"), "WorkerSettings.config", settingsDefault(n, p, p.String("folder"), "WorkerSettings.config"))
	out["path"] = file
	if ok {
		out["settingsFound"] = true
		out["format"], _ = settingsFormatOf(content)
		values, err := c.readSettings(file, content, "MasterEndpoint", "MasterHttpsCertThumbprint", "WorkerHttpsCertThumbprint", "AgentId", "DisplayName")
		if err != nil {
			return nil, err
		}
		for k, v := range values {
			out[k] = v
		}
		if wc := n.Certs[`LocalMachine\My`][strings.ToUpper(out["WorkerHttpsCertThumbprint"].(string))]; wc != nil {
			out["workerCertInMy"] = true
			out["workerCertHasKey"] = wc.HasPrivateKey
		}
	}
	if t := strings.ToUpper(p.String("masterThumbprint")); t != "" {
		out["masterCertInRoot"] = n.Certs[`LocalMachine\Root`][t] != nil
	}
	return out, nil
}

func workerInstall(c *OpContext, p Params) (any, error) {
	n := c.Node
	if n.Installed["IS_Worker"] != "" {
		return map[string]any{"installed": false, "exitCode": 0}, nil
	}
	if n.PendingReboot {
		return nil, errorf("SQL Server setup failed (exit code -2067919934): a computer restart is required before setup can continue. Restart %s and try again.", n.Host)
	}
	if _, ok := n.File(p.String("setupPath")); !ok {
		return nil, errorf("The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program.", p.String("setupPath"))
	}
	c.noteSetupCommandLine("worker.install", p.String("account"))
	acct := c.Estate.Accounts[strings.ToLower(p.String("account"))]
	if acct == nil || !acct.Enabled || acct.Password != c.setupReceives(p.String("password")) {
		return nil, errorf("SQL Server setup failed (exit code -2068578302): the credentials provided for the SSIS Scale Out Worker service are invalid. To continue, provide a valid account and password.")
	}
	c.Sleep(180 * time.Second)
	n = c.Node
	version := p.String("version")
	// Setup puts the worker where the node's shared features go, whatever the
	// script expects, and records where Integration Services went when it installs it.
	binn := dtsBinn(n, p.String("folder"))
	if n.Installed["IS"] == "" {
		n.Installed["IS"] = version
		n.Registry[dtsPathKey(p.String("folder"))] = strings.TrimSuffix(binn, `Binn`)
	}
	n.Installed["IS_Worker"] = version
	thumb := labThumbprint(c, "worker")
	short := ShortName(strings.ToLower(n.Host))
	cert := &Cert{Thumbprint: thumb, Subject: "CN=" + short, DNSNames: []string{short, strings.ToLower(n.Host)}, HasPrivateKey: true, NotAfter: c.Now.AddDate(10, 0, 0)}
	n.Certs[`LocalMachine\My`][thumb] = cert
	n.SetFile(binn+`\SSISScaleOutWorker.cer`, encodeCer(cert))
	agent := labGUID(c)
	settings := WorkerSettingsFile(c.Estate.settingsFormat(), strings.ToUpper(short), p.String("masterEndpoint"), strings.ToUpper(p.String("masterThumbprint")), thumb, agent)
	n.SetFile(binn+`\WorkerSettings.config`, settings)
	name := p.String("service")
	n.Services[strings.ToLower(name)] = &Service{Name: name, DisplayName: "SQL Server Integration Services Scale Out Worker " + version,
		Account: acct.Name, Password: p.String("password"), StartMode: "Auto", State: "Running", PathName: `"` + binn + `\ScaleOutWorkerService.exe"`, StartedAt: c.Now.Add(180 * time.Second)}
	n.Registry[`HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\`+p.String("folder")+`\DTS\Setup\SQL_IS_Worker!Version`] = version
	// Setup succeeded; the script then reads the new settings file where it looks:
	// next to the service, else where it was told (an older script) or the registry
	// says.
	fallback := settingsDefault(n, p, p.String("folder"), "WorkerSettings.config")
	if b := p.String("binn"); b != "" {
		fallback = b + `\WorkerSettings.config`
	}
	if _, _, found := settingsFile(n, name, "WorkerSettings.config", fallback); !found {
		return nil, errorf("Cannot find path '%s' because it does not exist.", fallback)
	}
	if err := c.convertSettings(binn+`\WorkerSettings.config`, settings); err != nil {
		return nil, err
	}
	return map[string]any{"installed": true, "exitCode": 0, "thumbprint": thumb, "agentId": agent}, nil
}

func workerUninstall(c *OpContext, p Params) (any, error) {
	n := c.Node
	if n.Installed["IS_Worker"] == "" {
		return map[string]any{"removed": false}, nil
	}
	binn := dtsBinn(n, p.String("folder"))
	if content, ok := n.File(binn + `\WorkerSettings.config`); ok {
		if t, err := SettingGet(content, "WorkerHttpsCertThumbprint"); err == nil {
			delete(n.Certs[`LocalMachine\My`], strings.ToUpper(t))
		}
	}
	c.Sleep(60 * time.Second)
	n = c.Node
	delete(n.Installed, "IS_Worker")
	if p.Bool("removeIS") {
		delete(n.Installed, "IS")
		delete(n.Registry, dtsPathKey(p.String("folder")))
	}
	delete(n.Services, strings.ToLower(p.String("service")))
	for k := range n.Files {
		if strings.HasPrefix(strings.ToLower(k), strings.ToLower(binn+`\WorkerSettings.config`)) || strings.EqualFold(k, binn+`\SSISScaleOutWorker.cer`) {
			delete(n.Files, k)
		}
	}
	delete(n.Registry, `HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\`+p.String("folder")+`\DTS\Setup\SQL_IS_Worker!Version`)
	return map[string]any{"removed": true}, nil
}

func workerCertImport(c *OpContext, p Params) (any, error) {
	cert, err := decodeCer(p.String("cer"))
	if err != nil {
		return nil, err
	}
	store := storeName(p.String("store"))
	if c.Node.Certs[store] == nil {
		c.Node.Certs[store] = map[string]*Cert{}
	}
	if c.Node.Certs[store][cert.Thumbprint] != nil {
		return map[string]any{"thumbprint": cert.Thumbprint, "added": false}, nil
	}
	c.Node.Certs[store][cert.Thumbprint] = cert
	return map[string]any{"thumbprint": cert.Thumbprint, "added": true}, nil
}

func workerCertRemove(c *OpContext, p Params) (any, error) {
	store := storeName(p.String("store"))
	t := strings.ToUpper(p.String("thumbprint"))
	_, had := c.Node.Certs[store][t]
	delete(c.Node.Certs[store], t)
	return map[string]any{"removed": had}, nil
}

func workerCertExport(c *OpContext, p Params) (any, error) {
	cert := c.Node.Certs[`LocalMachine\My`][strings.ToUpper(p.String("thumbprint"))]
	if cert == nil {
		return map[string]any{"found": false}, nil
	}
	return map[string]any{"found": true, "cer": encodeCer(cert), "hasPrivateKey": cert.HasPrivateKey}, nil
}

func workerCertCheck(c *OpContext, p Params) (any, error) {
	present := c.Node.Certs[storeName(p.String("store"))][strings.ToUpper(p.String("thumbprint"))] != nil
	return map[string]any{"present": present}, nil
}

func workerSettingsSet(c *OpContext, p Params) (any, error) {
	n := c.Node
	file, content, ok := settingsFile(n, p.String("service"), "WorkerSettings.config", p.String("path"))
	if !ok {
		return nil, errorf("Cannot find path '%s' because it does not exist.", file)
	}
	values, _ := p["values"].(map[string]any)
	want := map[string]string{}
	for k := range values {
		want[k] = Params(values).String(k)
	}
	prev, next, err := c.writeSettings(file, content, want)
	if err != nil {
		return nil, err
	}
	if next == content {
		return map[string]any{"previous": prev, "changed": false, "backup": ""}, nil
	}
	return map[string]any{"previous": prev, "changed": true, "backup": replaceSettings(c, file, content, next)}, nil
}

func workerServiceRestart(c *OpContext, p Params) (any, error) {
	name := p.String("service")
	svc := c.Node.Services[strings.ToLower(name)]
	if svc == nil {
		return nil, errorf("Cannot find any service with service name '%s'.", name)
	}
	restartService(c, svc, name)
	return map[string]any{"state": "Running"}, nil
}

// sharedDir is where SQL Server's shared features live on n.
func sharedDir(n *Node) string {
	if n.SharedDir != "" {
		return n.SharedDir
	}
	return `C:\Program Files\Microsoft SQL Server`
}

// dtsBinn is the DTS\Binn folder setup installs a master or a worker into on n.
func dtsBinn(n *Node, folder string) string {
	return sharedDir(n) + `\` + folder + `\DTS\Binn`
}

// verSpecificRootDir is the registry's VerSpecificRootDir of a version folder on n:
// the folder under the shared-features folder, which setup records once it has
// installed anything of that version, and "" before.
func verSpecificRootDir(n *Node, folder string) string {
	for _, v := range n.Installed {
		if v != "" && versionFolder(majorOf(v)) == folder {
			return sharedDir(n) + `\` + folder + `\`
		}
	}
	return ""
}

// registryBinn is the DTS\Binn folder a script that asks the registry finds on n, as
// steps' Get-SsishaDtsBinn does: DTSPath, else VerSpecificRootDir, else the default
// under C:\Program Files, with where it came from.
func registryBinn(n *Node, folder string) (path, source string) {
	if dts := n.Registry[dtsPathKey(folder)]; dts != "" {
		return strings.TrimSuffix(dts, `\`) + `\Binn`, "DTSPath"
	}
	if root := verSpecificRootDir(n, folder); root != "" {
		return strings.TrimSuffix(root, `\`) + `\DTS\Binn`, "VerSpecificRootDir"
	}
	return binnDir(folder), "default"
}

// settingsDefault is the settings file a script falls back to when the service does
// not lead to one: the path it was given (a guess made off the node), else the one
// under the folder the registry names.
func settingsDefault(n *Node, p Params, folder, file string) string {
	if d := p.String("defaultPath"); d != "" {
		return d
	}
	binn, _ := registryBinn(n, folder)
	return binn + `\` + file
}

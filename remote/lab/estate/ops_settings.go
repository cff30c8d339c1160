package estate

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// MasterSettings.config on a master node: read it, change one element, restart the
// service where it is meant to run, and read the certificate it names.

// settingsOps adds the operations of this file to t.
func settingsOps(t *Operations) {
	t.AddPS("settings.master.read", settingsMasterRead)
	t.AddPS("settings.master.set", settingsMasterSet)
	t.AddPS("settings.master.restart", settingsMasterRestart)
	t.AddPS("settings.master.cert.read", settingsMasterCertRead)
}

// serviceFolder returns the folder of a service executable, from its PathName.
func serviceFolder(pathName string) string {
	p := strings.TrimSpace(pathName)
	if strings.HasPrefix(p, `"`) {
		if i := strings.Index(p[1:], `"`); i >= 0 {
			p = p[1 : i+1]
		}
	} else if i := strings.Index(strings.ToLower(p), ".exe"); i >= 0 {
		p = p[:i+4]
	}
	if i := strings.LastIndex(p, `\`); i >= 0 {
		return p[:i]
	}
	return ""
}

// settingsFile finds a settings file the way the scripts do: next to the service
// executable first, then at the default path.
func settingsFile(n *Node, service, file, defaultPath string) (string, string, bool) {
	if svc := n.Services[strings.ToLower(service)]; svc != nil {
		if dir := serviceFolder(svc.PathName); dir != "" {
			if c, ok := n.File(dir + `\` + file); ok {
				return dir + `\` + file, c, true
			}
		}
	}
	if defaultPath != "" {
		if c, ok := n.File(defaultPath); ok {
			return defaultPath, c, true
		}
	}
	return defaultPath, "", false
}

func settingsMasterRead(c *OpContext, p Params) (any, error) {
	n := c.Node
	out := map[string]any{"installed": false, "found": false}
	svc := n.Services[strings.ToLower(p.String("service"))]
	if svc != nil {
		out["installed"] = true
		out["serviceState"] = svc.State
		out["serviceStartMode"] = svc.StartMode
		out["serviceAccount"] = svc.Account
	}
	file, content, ok := settingsFile(n, p.String("service"), "MasterSettings.config", p.String("defaultPath"))
	out["path"] = file
	if !ok {
		return out, nil
	}
	out["found"] = true
	out["format"], _ = settingsFormatOf(content)
	values, err := c.readSettings(file, content, "SqlServerName", "SSLCertThumbprint", "PortNumber")
	if err != nil {
		return nil, err
	}
	for k, v := range values {
		out[k] = v
	}
	return out, nil
}

func settingsMasterSet(c *OpContext, p Params) (any, error) {
	n := c.Node
	file := p.String("path")
	content, ok := n.File(file)
	if !ok {
		return nil, errorf("Cannot find path '%s' because it does not exist.", file)
	}
	name := p.String("name")
	prev, next, err := c.writeSettings(file, content, map[string]string{name: p.String("value")})
	if err != nil {
		return nil, err
	}
	if next == content {
		return map[string]any{"previous": prev[name], "changed": false, "backup": ""}, nil
	}
	return map[string]any{"previous": prev[name], "changed": true, "backup": replaceSettings(c, file, content, next)}, nil
}

// replaceSettings writes next over a settings file whose content was content,
// keeping that as a backup named after the time, and returns the backup's path.
func replaceSettings(c *OpContext, file, content, next string) string {
	backup := file + ".bak-" + c.Now.UTC().Format("20060102150405")
	c.Node.SetFile(backup, content)
	c.Node.SetFile(file, next)
	return backup
}

// clusteredService returns the Generic Service role that runs a service, if any.
func clusteredService(e *Estate, service string) *ClusterGroup {
	if e.Cluster == nil {
		return nil
	}
	for _, g := range e.Cluster.Groups {
		if g.Type == "GenericService" && strings.EqualFold(g.ServiceName, service) {
			return g
		}
	}
	return nil
}

func settingsMasterRestart(c *OpContext, p Params) (any, error) {
	name := p.String("service")
	svc := c.Node.Services[strings.ToLower(name)]
	if svc == nil {
		return nil, errorf("Cannot find any service with service name '%s'.", name)
	}
	via := "none"
	if g := clusteredService(c.Estate, name); g != nil {
		if !strings.EqualFold(g.Owner, c.Node.Host) {
			return map[string]any{"restarted": false, "via": via}, nil
		}
		via = "cluster"
	} else if svc.State == "Running" {
		via = "service"
	} else {
		return map[string]any{"restarted": false, "via": via}, nil
	}
	restartService(c, svc, name)
	return map[string]any{"restarted": true, "via": via}, nil
}

// restartService stops svc, the node's service called name, waits the five
// seconds a restart takes and starts it again if it is still there.
func restartService(c *OpContext, svc *Service, name string) {
	svc.State = "Stopped"
	c.Sleep(5 * time.Second)
	if svc = c.Node.Services[strings.ToLower(name)]; svc != nil {
		svc.State = "Running"
		svc.StartedAt = c.Now.Add(5 * time.Second)
	}
}

// findCert looks a thumbprint up in LocalMachine\Root, then LocalMachine\My.
func findCert(n *Node, thumb string) *Cert {
	t := strings.ToUpper(thumb)
	for _, store := range []string{`LocalMachine\Root`, `LocalMachine\My`} {
		if c := n.Certs[store][t]; c != nil {
			return c
		}
	}
	return nil
}

// labCer is how the lab spells a certificate's public part (RawData on a real node):
// the scripts only carry it as opaque base64.
type labCer struct {
	Thumbprint string    `json:"thumbprint"`
	Subject    string    `json:"subject"`
	DNSNames   []string  `json:"dnsNames"`
	NotAfter   time.Time `json:"notAfter"`
}

func encodeCer(c *Cert) string {
	b, _ := json.Marshal(labCer{Thumbprint: c.Thumbprint, Subject: c.Subject, DNSNames: c.DNSNames, NotAfter: c.NotAfter})
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCer(s string) (*Cert, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errorf("Cannot find the requested object. (the certificate data is not valid base64)")
	}
	var lc labCer
	if err := json.Unmarshal(b, &lc); err != nil || lc.Thumbprint == "" {
		return nil, errorf("Cannot find the requested object. (the data is not a certificate)")
	}
	return &Cert{Thumbprint: strings.ToUpper(lc.Thumbprint), Subject: lc.Subject, DNSNames: lc.DNSNames, NotAfter: lc.NotAfter}, nil
}

func settingsMasterCertRead(c *OpContext, p Params) (any, error) {
	n := c.Node
	file, content, ok := settingsFile(n, p.String("service"), "MasterSettings.config", p.String("defaultPath"))
	if !ok {
		return map[string]any{"found": false, "settingsFound": false}, nil
	}
	values, err := c.readSettings(file, content, "SSLCertThumbprint", "PortNumber")
	if err != nil {
		return nil, err
	}
	thumb, port := values["SSLCertThumbprint"], values["PortNumber"]
	cert := findCert(n, thumb)
	if cert == nil {
		return map[string]any{"found": false, "settingsFound": true, "thumbprint": strings.ToUpper(thumb), "port": port}, nil
	}
	return map[string]any{"found": true, "settingsFound": true, "thumbprint": cert.Thumbprint, "port": port,
		"subject": cert.Subject, "dnsNames": cert.DNSNames, "cer": encodeCer(cert)}, nil
}

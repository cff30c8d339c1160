package estate

import (
	"strings"
	"time"
)

// Windows operations: node facts, features, firewall rules, and the name, address,
// account and host probes behind preflight and the wizard's live checks.

// failoverClustering is the Windows feature name of the failover cluster.
const failoverClustering = "Failover-Clustering"

// winOps adds the operations of this file to t.
func winOps(t *Operations) {
	t.AddPS("win.node.facts", winNodeFacts)
	t.AddPS("win.policy.storedcreds", winPasswordStoragePolicy)
	t.AddPS("win.feature.get", winFeatureGet)
	t.AddPS("win.feature.install", winFeatureInstall)
	t.AddPS("win.feature.uninstall", winFeatureUninstall)
	t.AddPS("win.firewall.add", winFirewallAdd)
	t.AddPS("win.firewall.remove", winFirewallRemove)
	t.AddPS("win.name.check", winNameCheck)
	t.AddPS("win.address.check", winAddressCheck)
	t.AddPS("win.account.check", winAccountCheck)
	t.AddPS("win.host.check", winHostCheck)
}

// winComputerName is $env:COMPUTERNAME: the short name in upper case.

func winRebootReasons(n *Node) []string {
	if n.PendingReboot {
		return []string{"Component Based Servicing"}
	}
	return []string{}
}

func winNodeFacts(c *OpContext, p Params) (any, error) {
	n := c.Node
	_, media := n.File(p.String("setupMedia"))
	return map[string]any{
		"computerName":     sqlServerNameOf(n),
		"partOfDomain":     true,
		"domain":           c.Estate.Domain,
		"dnsDomain":        c.Estate.DNSSuffix,
		"os":               "Microsoft Windows Server 2022 Datacenter",
		"osBuild":          "20348",
		"timeUtc":          c.nodeTime().UTC().Format(time.RFC3339Nano),
		"pendingReboot":    n.PendingReboot,
		"rebootReasons":    winRebootReasons(n),
		"setupMediaExists": p.String("setupMedia") != "" && media,
	}, nil
}

func winInstallState(n *Node, name string) string {
	if n.Features[name] {
		return "Installed"
	}
	return "Available"
}

func winFeatureGet(c *OpContext, p Params) (any, error) {
	name := p.String("name")
	return map[string]any{"name": name, "installState": winInstallState(c.Node, name), "tools": winInstallState(c.Node, name)}, nil
}

func winFeatureInstall(c *OpContext, p Params) (any, error) {
	name := p.String("name")
	if name == "" {
		return nil, errorf("Install-WindowsFeature : Cannot validate argument on parameter 'Name'. The argument is null or empty.")
	}
	if !c.Node.Features[name] {
		c.Sleep(60 * time.Second)
		c.Node.Features[name] = true
	}
	return map[string]any{"name": name, "installState": "Installed", "restartNeeded": "No"}, nil
}

func winFeatureUninstall(c *OpContext, p Params) (any, error) {
	name := p.String("name")
	n := c.Node
	if !n.Features[name] {
		return map[string]any{"name": name, "installState": "Available", "restartNeeded": "No"}, nil
	}
	if cl := clusterOf(c.Estate, n); name == failoverClustering && cl != nil {
		return nil, errorf("Uninstall-WindowsFeature : %s is still a node of cluster %s. Remove it from the cluster (or destroy the cluster) first.", sqlServerNameOf(n), cl.Name)
	}
	c.Sleep(60 * time.Second)
	delete(n.Features, name)
	// Removing the cluster feature needs a restart to finish.
	n.PendingReboot = true
	return map[string]any{"name": name, "installState": "Available", "restartNeeded": "Yes"}, nil
}

func winFirewallAdd(c *OpContext, p Params) (any, error) {
	name := p.String("name")
	rule := c.Node.Firewall[name]
	created := false
	if rule == nil {
		c.Node.Firewall[name] = &FirewallRule{Name: name, DisplayName: p.String("displayName"), Port: p.Int("port"), Enabled: true}
		created = true
	} else if !rule.Enabled {
		rule.Enabled = true
	}
	return map[string]any{"name": name, "created": created}, nil
}

func winFirewallRemove(c *OpContext, p Params) (any, error) {
	name := p.String("name")
	_, ok := c.Node.Firewall[name]
	delete(c.Node.Firewall, name)
	return map[string]any{"name": name, "removed": ok}, nil
}

// winLookup resolves a name in the estate's DNS, short or fully qualified.
func winLookup(e *Estate, name string) (string, bool) {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if ip, ok := e.DNS[n]; ok {
		return ip, true
	}
	if !strings.Contains(n, ".") {
		ip, ok := e.DNS[n+"."+e.DNSSuffix]
		return ip, ok
	}
	if strings.HasSuffix(n, "."+e.DNSSuffix) {
		ip, ok := e.DNS[ShortName(n)]
		return ip, ok
	}
	return "", false
}

// winAddresses resolves name as winLookup does and returns whether it resolved with
// the addresses it resolves to (none, or its one address).
func winAddresses(e *Estate, name string) (bool, []string) {
	ip, ok := winLookup(e, name)
	if !ok {
		return false, []string{}
	}
	return true, []string{ip}
}

// winOwnerOfName says which part of the cluster this node belongs to uses a network
// name: "cluster", "role:<group>" or "".
func winOwnerOfName(e *Estate, n *Node, name string) string {
	cl := clusterOf(e, n)
	if cl == nil {
		return ""
	}
	short := strings.ToLower(ShortName(name))
	if strings.EqualFold(ShortName(cl.Name), short) {
		return "cluster"
	}
	for _, k := range sortedKeys(cl.Groups) {
		g := cl.Groups[k]
		if g.DNSName != "" && strings.EqualFold(ShortName(g.DNSName), short) {
			return "role:" + g.Name
		}
	}
	if e.AG != nil && e.AG.Listener != nil && strings.EqualFold(ShortName(e.AG.Listener.DNSName), short) {
		return "role:" + e.AG.Name
	}
	return ""
}

// winOwnerOfAddress is winOwnerOfName for an IP address.
func winOwnerOfAddress(e *Estate, n *Node, ip string) string {
	if cl := clusterOf(e, n); cl != nil {
		if cl.IP == ip {
			return "cluster"
		}
		for _, k := range sortedKeys(cl.Groups) {
			if g := cl.Groups[k]; g.IP == ip {
				return "role:" + g.Name
			}
		}
		if e.AG != nil && e.AG.Listener != nil && e.AG.Listener.IP == ip {
			return "role:" + e.AG.Name
		}
	}
	if n.IP == ip {
		return "node:" + sqlServerNameOf(n)
	}
	return ""
}

// winComputerObject reports whether AD holds a computer object of that name: nodes,
// the cluster name object and the network names of its roles.
func winComputerObject(e *Estate, name string) bool {
	short := strings.ToLower(ShortName(name))
	for k := range e.Nodes {
		if ShortName(k) == short {
			return true
		}
	}
	if cl := e.Cluster; cl != nil {
		if strings.EqualFold(ShortName(cl.Name), short) {
			return true
		}
		for _, g := range cl.Groups {
			if g.DNSName != "" && strings.EqualFold(ShortName(g.DNSName), short) {
				return true
			}
		}
	}
	if e.AG != nil && e.AG.Listener != nil && strings.EqualFold(ShortName(e.AG.Listener.DNSName), short) {
		return true
	}
	return e.ComputerObjects[short] != nil
}

func winNameCheck(c *OpContext, p Params) (any, error) {
	e := c.Estate
	out := []map[string]any{}
	for _, name := range p.Strings("names") {
		ok, addrs := winAddresses(e, name)
		row := map[string]any{
			"name":       name,
			"inDns":      ok,
			"addresses":  addrs,
			"adComputer": winComputerObject(e, name),
			"adChecked":  true,
			"notChecked": "",
			"owner":      winOwnerOfName(e, c.Node, name),
		}
		if e.ADFromSessionFails != "" {
			row["adComputer"], row["adChecked"], row["notChecked"] = nil, false, e.ADFromSessionFails
		}
		out = append(out, row)
	}
	cluster := ""
	if cl := clusterOf(e, c.Node); cl != nil {
		cluster = cl.Name
	}
	return map[string]any{"cluster": cluster, "names": out}, nil
}

func winAddressCheck(c *OpContext, p Params) (any, error) {
	e := c.Estate
	out := []map[string]any{}
	for _, a := range p.Strings("addresses") {
		inUse := false
		for _, ip := range e.DNS {
			if ip == a {
				inUse = true
			}
		}
		owner := winOwnerOfAddress(e, c.Node, a)
		out = append(out, map[string]any{"address": a, "inUse": inUse || owner != "", "owner": owner})
	}
	return map[string]any{"addresses": out}, nil
}

// winAccount finds a domain account as Windows resolves DOMAIN\user or a bare name.
func winAccount(e *Estate, name string) *Account {
	n := strings.ToLower(strings.TrimSpace(name))
	if !strings.Contains(n, `\`) {
		if user, _, ok := strings.Cut(n, "@"); ok {
			n = user
		}
		n = strings.ToLower(e.Domain) + `\` + n
	}
	return e.Accounts[n]
}

func winAccountCheck(c *OpContext, p Params) (any, error) {
	out := []map[string]any{}
	for _, a := range p.Strings("accounts") {
		acct := winAccount(c.Estate, a)
		row := map[string]any{"account": a, "exists": acct != nil, "enabled": false, "sid": "", "checked": true, "notChecked": ""}
		if acct != nil {
			row["enabled"] = acct.Enabled
			row["sid"] = acct.SID
			if c.Estate.ADFromSessionFails != "" {
				// The name resolves through the node; whether it is enabled needs AD.
				row["enabled"], row["checked"], row["notChecked"] = false, false, c.Estate.ADFromSessionFails
			}
		}
		out = append(out, row)
	}
	return map[string]any{"accounts": out}, nil
}

func winHostCheck(c *OpContext, p Params) (any, error) {
	host := p.String("host")
	ok, addrs := winAddresses(c.Estate, host)
	// Every node of the lab answers WinRM, and the file server SMB; a node's own
	// services listen on their ports, behind its firewall.
	port := p.Int("port")
	target := c.Estate.Node(host)
	tcp := ok && (port == 445 && isFileServer(c.Estate, host) || target != nil && isWinRMPort(port))
	if ok && target != nil && !tcp {
		tcp = listens(c.Estate, target, port) && reaches(c.Node, target, port)
	}
	return map[string]any{"host": host, "resolved": ok, "addresses": addrs, "port": p.Int("port"), "tcp": tcp}, nil
}

// DisableDomainCredsKey is the registry value of the policy "Network access: Do not
// allow storage of passwords and credentials for network authentication".
const DisableDomainCredsKey = `HKLM\SYSTEM\CurrentControlSet\Control\Lsa!DisableDomainCreds`

// winCheckRunAs is Register-ScheduledTask's logon check: the task runs as the operator
// and needs the right password, which the node must be allowed to store.
func winCheckRunAs(c *OpContext, user, password string) error {
	e := c.Estate
	if c.Node.Registry[DisableDomainCredsKey] == "1" {
		if strings.Contains(c.Script, "DisableDomainCreds") {
			// The script looks first and says why.
			return errorf("%s", storageOfPasswordsRefused(sqlServerNameOf(c.Node)))
		}
		return errorf("Register-ScheduledTask : A specified logon session does not exist. It may already have been terminated. (Exception from HRESULT: 0x80070520)")
	}
	acct := winAccount(e, user)
	if acct == nil || !acct.Enabled || acct.Password != password {
		return errorf("Register-ScheduledTask : The user name or password is incorrect. (Exception from HRESULT: 0x8007052E)")
	}
	return nil
}

// storageOfPasswordsRefused is what the task scripts say when the policy is on.
func storageOfPasswordsRefused(computer string) string {
	return "the policy 'Network access: Do not allow storage of passwords and credentials for network authentication' is enabled on " + computer +
		" (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\DisableDomainCreds = 1): a scheduled task cannot keep the operator's password, which the cluster cmdlets need; turn the policy off on this node for the run (Local Security Policy, or the GPO that sets it)"
}

// winHasHost reports whether hosts holds host, by FQDN or short name, any case.
func winHasHost(hosts []string, host string) bool {
	for _, h := range hosts {
		if strings.EqualFold(h, host) || strings.EqualFold(ShortName(h), ShortName(host)) {
			return true
		}
	}
	return false
}

// isFileServer reports whether host serves one of the estate's shares.
func isFileServer(e *Estate, host string) bool {
	h := strings.ToLower(host)
	if !strings.Contains(h, ".") {
		h += "." + e.DNSSuffix
	}
	for share := range e.FileShares {
		if strings.HasPrefix(share, `\\`+h+`\`) {
			return true
		}
	}
	return false
}

// winPasswordStoragePolicy reads the policy value the one-shot task depends on; -1
// when the value is absent, as on a default installation.
func winPasswordStoragePolicy(c *OpContext, _ Params) (any, error) {
	v := -1
	switch c.Node.Registry[DisableDomainCredsKey] {
	case "1":
		v = 1
	case "0":
		v = 0
	}
	return map[string]any{"disableDomainCreds": v}, nil
}

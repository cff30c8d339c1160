package estate

import (
	"fmt"
	"strconv"
	"strings"
)

// The master checks: one service running where the cluster role says, and on every
// node that can take the role, what the service needs there after a failover.

func (h *healthCheck) master() {
	masters := h.masterNodes()
	var installed, running []*Node
	for _, n := range masters {
		if s := hcMasterService(n); s != nil {
			installed = append(installed, n)
			if s.State == "Running" {
				running = append(running, n)
			}
		}
	}
	if len(installed) == 0 {
		h.add(AreaMaster, "", "install it on the primary (step 2) and on each secondary (step 3)", "the Scale Out Master is not installed on any master node")
		return
	}
	for _, n := range masters {
		if hcMasterService(n) == nil {
			h.add(AreaMaster, n.Host, "install the Scale Out Master there with the same certificate (step 3)", "the Scale Out Master is not installed; the master role cannot fail over to this node")
		}
	}
	role := h.e.MasterRole()
	switch len(running) {
	case 0:
		fix := "start the service, or create the cluster role that runs it (step 7)"
		if role != nil {
			fix = "bring the role online: Start-ClusterGroup -Name '" + role.Name + "'"
		}
		h.add(AreaMaster, "", fix, "no Scale Out Master service is running")
	case 1:
	default:
		names := make([]string, len(running))
		for i, n := range running {
			names[i] = n.Host
		}
		h.add(AreaMaster, "", "stop it everywhere but on the role's owner and set its startup type to Manual (step 7)", "the master service runs on %d nodes (%s); exactly one may", len(running), strings.Join(names, ", "))
	}
	if role != nil {
		if role.State != "Online" {
			h.add(AreaMaster, role.Owner, "find why the service cannot start there, then Start-ClusterGroup -Name '"+role.Name+"' or move it to another node", "cluster role %s is %s", role.Name, role.State)
		}
		owner := h.e.Node(role.Owner)
		for _, n := range running {
			if owner == nil || n != owner {
				h.add(AreaMaster, n.Host, "stop the service on this node and set its startup type to Manual; the cluster starts it on the owner", "the master service runs here although cluster role %s is owned by %s", role.Name, role.Owner)
			}
		}
	}
	active := h.activeMaster()
	for _, n := range installed {
		h.masterNode(n, n == active, role)
	}
	if active != nil {
		h.masterAccount(hcMasterService(active))
	}
}

// masterNode checks what the master service needs on n: now when n is active, after
// a failover of the role when it is not (only when there is a role to fail over).
func (h *healthCheck) masterNode(n *Node, active bool, role *ClusterGroup) {
	if !active && role == nil {
		return
	}
	when := ""
	if !active {
		when = "after a failover of the master role here, "
	}
	content, ok := hcSettingsFile(n, "MasterSettings.config")
	if !ok {
		h.add(AreaMaster, n.Host, "reinstall the Scale Out Master (steps 2-3)", "%sthe master has no MasterSettings.config", when)
		return
	}
	server, err := SettingGet(content, "SqlServerName")
	server = strings.TrimSpace(server)
	switch {
	case err != nil:
		h.add(AreaMaster, n.Host, "restore MasterSettings.config from its backup", "%sMasterSettings.config cannot be read: %v", when, err)
	case h.pointsAtListener(server):
	case active && hcPointsAtNode(server, h.primaryNode()):
		if ag := h.e.AG; ag != nil && ag.Listener != nil {
			h.add(AreaMaster, n.Host, "set SqlServerName to "+h.listenerText()+" in MasterSettings.config on every master node and restart the service (step 5)",
				"the master connects to the primary %s directly (SqlServerName '%s'); after an AG failover it loses SSISDB", h.primaryNode().Host, server)
		}
	default:
		h.add(AreaMaster, n.Host, "set SqlServerName to "+h.listenerText()+" in MasterSettings.config on every master node and restart the service (step 5)",
			"%sthe master connects to SSISDB through SqlServerName '%s', which is not the availability group listener", when, server)
	}
	port := 8391
	if v, err := SettingGet(content, "PortNumber"); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			port = p
		}
	}
	thumb, _ := SettingGet(content, "SSLCertThumbprint")
	thumb = strings.ToUpper(strings.TrimSpace(thumb))
	ipport := fmt.Sprintf("0.0.0.0:%d", port)
	bound := strings.ToUpper(n.SSLBindings[ipport])
	switch {
	case bound == "":
		h.add(AreaMaster, n.Host, fmt.Sprintf("netsh http add sslcert ipport=%s certhash=%s certstorename=Root appid={...} (steps 2-3)", ipport, thumb),
			"%sno http.sys certificate binding on %s; workers cannot connect", when, ipport)
	case bound != thumb:
		h.add(AreaMaster, n.Host, fmt.Sprintf("netsh http delete sslcert ipport=%s, then add it with certhash=%s certstorename=Root", ipport, thumb),
			"%sthe http.sys binding on %s uses certificate %s, not the master's %s", when, ipport, bound, thumb)
	}
	cert := hcFindCert(n, thumb)
	if cert == nil {
		h.add(AreaMaster, n.Host, "import the master certificate (with its private key) into LocalMachine\\Root (step 3)", "%sthe master certificate %s is not on this node", when, thumb)
		return
	}
	if role != nil && role.DNSName != "" {
		fqdn := role.DNSName
		if !strings.Contains(fqdn, ".") && h.e.DNSSuffix != "" {
			fqdn += "." + h.e.DNSSuffix
		}
		if !hcCertHasName(cert, role.DNSName) && !hcCertHasName(cert, fqdn) {
			h.add(AreaMaster, n.Host, "issue the master certificate for "+role.DNSName+" and its FQDN and install it on every master node (steps 2-3)",
				"%sthe master certificate's names (%s) do not include the role's DNS name %s; workers will not trust it", when, strings.Join(hcCertNames(cert), ", "), role.DNSName)
		}
	}
}

// masterAccount checks that the master service account reaches SSISDB on the primary
// and would still after an AG failover.
func (h *healthCheck) masterAccount(svc *Service) {
	if svc == nil {
		return
	}
	acct := svc.Account
	if strings.HasPrefix(strings.ToUpper(acct), `NT SERVICE\`) || acct == "" || strings.EqualFold(acct, "LocalSystem") {
		h.add(AreaMaster, "", "run the service under a domain account (step 2)", "the master service runs as %q, which cannot log in to another replica", acct)
		return
	}
	primary := h.primaryNode()
	if primary == nil || primary.SQL == nil {
		return
	}
	check := func(n *Node, when string) {
		lg := n.SQL.Logins[strings.ToLower(acct)]
		switch {
		case lg == nil:
			h.add(AreaMaster, n.Host, "CREATE LOGIN ["+acct+"] FROM WINDOWS on every replica (step 4)", "%sthe master service account %s has no login", when, acct)
		case lg.Disabled:
			h.add(AreaMaster, n.Host, "ALTER LOGIN ["+acct+"] ENABLE", "%sthe login of the master service account %s is disabled", when, acct)
		}
	}
	check(primary, "")
	for _, r := range h.replicaNodes() {
		check(r, "after an AG failover here, ")
	}
	_, db := h.catalogNode()
	if db == nil {
		return
	}
	var user *DBUser
	sid := WindowsSID(acct)
	if lg := primary.SQL.Logins[strings.ToLower(acct)]; lg != nil {
		sid = lg.SID
	}
	for _, k := range sortedKeys(db.Users) {
		u := db.Users[k]
		if strings.EqualFold(u.Name, acct) || strings.EqualFold(u.SID, sid) {
			user = u
			break
		}
	}
	if user == nil || !user.Roles["ssis_admin"] {
		h.add(AreaMaster, primary.Host, "in SSISDB: CREATE USER ["+acct+"] FOR LOGIN ["+acct+"]; ALTER ROLE ssis_admin ADD MEMBER ["+acct+"] (step 4)",
			"the master service account %s is not a member of ssis_admin in SSISDB", acct)
	}
}

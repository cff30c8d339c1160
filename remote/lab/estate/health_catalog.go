package estate

import (
	"net/url"
	"strings"
)

// The catalog checks: SSISDB in the availability group and openable on every
// replica, the workers' logging login, and each worker's link to the master.

func (h *healthCheck) ssisdb() {
	holder, db := h.catalogNode()
	if db == nil {
		h.add(AreaSSISDB, "", "create the catalog on the primary with Scale Out enabled (step 4)", "the SSISDB catalog does not exist")
		return
	}
	ag := h.e.AG
	inAG := ag != nil && containsFold(ag.Databases, "SSISDB")
	if !inAG {
		h.add(AreaSSISDB, holder.Host, "add SSISDB to an availability group with a listener (step 4)", "SSISDB is not in an availability group; the catalog fails with this instance")
	}
	primary := holder
	if db.State != "ONLINE" {
		h.add(AreaSSISDB, primary.Host, "bring SSISDB online on the primary", "SSISDB is %s on the primary", db.State)
	}
	if !hcDMKOpens(primary.SQL, db, db) {
		h.add(AreaSSISDB, primary.Host, "EXEC sp_control_dbmasterkey_password @db_name = N'SSISDB', @password = <master key password>, @action = N'add' on this instance (step 4)",
			"the SSISDB database master key cannot be opened: it is not encrypted by this instance's service master key and there is no credential for it")
	}
	if !inAG {
		return
	}
	if ag.Listener == nil {
		h.add(AreaSSISDB, "", "ALTER AVAILABILITY GROUP ["+ag.Name+"] ADD LISTENER (step 4)", "availability group %s has no listener; clients cannot follow a failover", ag.Name)
	}
	if len(h.replicaNodes()) == 0 {
		h.add(AreaSSISDB, "", "add a secondary replica (step 4)", "availability group %s has no secondary replica to fail over to", ag.Name)
	}
	for _, r := range h.replicaNodes() {
		key := strings.ToLower(r.Host)
		if !ag.Joined[key] {
			h.add(AreaSSISDB, r.Host, "ALTER AVAILABILITY GROUP ["+ag.Name+"] JOIN on this replica (step 4)", "the replica has not joined %s", ag.Name)
			continue
		}
		copyDB := r.SQL.Databases["ssisdb"]
		if copyDB == nil {
			h.add(AreaSSISDB, r.Host, "join SSISDB on this replica (automatic seeding, step 4)", "this replica has no copy of SSISDB; it is not synchronized")
			continue
		}
		if !hcDMKOpens(r.SQL, copyDB, db) {
			h.add(AreaSSISDB, r.Host, "EXEC sp_control_dbmasterkey_password @db_name = N'SSISDB', @password = <master key password>, @action = N'add' on this replica (step 4)",
				"after an AG failover here, the SSISDB database master key could not be opened")
		}
	}
}

// hcDMKOpens reports whether in can open SSISDB's master key: the local copy is
// encrypted by in's service master key, or in holds the right password credential
// for the database's family.
func hcDMKOpens(in *Instance, local, data *Database) bool {
	if !data.MasterKey {
		return true
	}
	if local.EncryptedByServer {
		return true
	}
	for family, pw := range in.MasterKeyPasswords {
		if strings.EqualFold(family, data.FamilyGUID) && pw != "" && (data.MasterKeyPassword == "" || pw == data.MasterKeyPassword) {
			return true
		}
	}
	return false
}

// hcParseConnString reads a connection string into lower-case keys; values may be
// single- or double-quoted with the quote doubled inside.
func hcParseConnString(s string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ';' || s[i] == ' ') {
			i++
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[i : i+eq]))
		i += eq + 1
		for i < len(s) && s[i] == ' ' {
			i++
		}
		var val strings.Builder
		if i < len(s) && (s[i] == '\'' || s[i] == '"') {
			q := s[i]
			i++
			for i < len(s) {
				if s[i] == q {
					if i+1 < len(s) && s[i+1] == q {
						val.WriteByte(q)
						i += 2
						continue
					}
					i++
					break
				}
				val.WriteByte(s[i])
				i++
			}
			for i < len(s) && s[i] != ';' {
				i++
			}
		} else {
			end := strings.IndexByte(s[i:], ';')
			if end < 0 {
				end = len(s) - i
			}
			val.WriteString(strings.TrimSpace(s[i : i+end]))
			i += end
		}
		if key != "" {
			out[key] = val.String()
		}
	}
	return out
}

func (h *healthCheck) logging() {
	primary, db := h.catalogNode()
	if db == nil {
		return
	}
	cat := db.Catalog
	if !strings.EqualFold(cat.Properties["IS_SCALEOUT_ENABLED"], "TRUE") {
		h.add(AreaLogging, primary.Host, "EXEC SSISDB.catalog.enable_scaleout on the primary (step 4)", "Scale Out is not enabled in the catalog")
		return
	}
	cs := hcParseConnString(cat.LogDBConnectionString)
	if cat.LogDBConnectionString == "" {
		h.add(AreaLogging, "", "EXEC SSISDB.catalog.update_logdb_info with the listener and the logging password (step 6)", "the catalog has no logging connection string")
		return
	}
	login := cs["user id"]
	if login == "" {
		login = cs["uid"]
	}
	if login == "" {
		h.add(AreaLogging, "", "store a SQL-authentication connection string with catalog.update_logdb_info (step 6)", "the logging connection string names no login")
		return
	}
	password := cs["password"]
	if password == "" {
		password = cs["pwd"]
	}
	server := cs["data source"]
	if server == "" {
		server = cs["server"]
	}
	if h.e.AG != nil && h.e.AG.Listener != nil && !h.pointsAtListener(server) {
		h.add(AreaLogging, "", "EXEC SSISDB.catalog.update_logdb_info @server_name = N'"+h.listenerText()+"' with a connection string to the listener (step 6)",
			"workers log to %q, not the availability group listener; logging stops after a failover", server)
	}
	user := db.Users[strings.ToLower(LoggingUser)]
	if user == nil {
		h.add(AreaLogging, primary.Host, "EXEC SSISDB.catalog.enable_scaleout recreates it (step 4)", "SSISDB has no %s user", LoggingUser)
		return
	}
	check := func(n *Node, when string) {
		in := n.SQL
		if !in.MixedMode {
			h.add(AreaLogging, n.Host, "enable SQL Server and Windows authentication mode and restart the instance (step 6)", "%sSQL authentication is off, so workers cannot log", when)
		}
		lg := in.Logins[strings.ToLower(login)]
		switch {
		case lg == nil:
			h.add(AreaLogging, n.Host, "CREATE LOGIN ["+login+"] WITH PASSWORD = <logging password>, SID = "+user.SID+", CHECK_POLICY = OFF (step 6)", "%sthe logging login %s does not exist", when, login)
			return
		case lg.Disabled:
			h.add(AreaLogging, n.Host, "ALTER LOGIN ["+login+"] ENABLE", "%sthe logging login %s is disabled", when, login)
		}
		if !strings.EqualFold(lg.SID, user.SID) {
			h.add(AreaLogging, n.Host, "drop and recreate the login with SID = "+user.SID+" (step 6)", "%sthe logging login's SID %s does not match SSISDB's %s (%s), so the user is orphaned", when, lg.SID, LoggingUser, user.SID)
		}
		if lg.Password != password {
			h.add(AreaLogging, n.Host, "ALTER LOGIN ["+login+"] WITH PASSWORD = <the password in the logging connection string> (step 6)", "%sthe logging login's password differs from the one in the catalog's logging connection string", when)
		}
	}
	check(primary, "")
	for _, r := range h.replicaNodes() {
		check(r, "after an AG failover here, ")
	}
}

func (h *healthCheck) workers() {
	_, db := h.catalogNode()
	var cat *Catalog
	if db != nil {
		cat = db.Catalog
	}
	masterAddr := ""
	if cat != nil {
		masterAddr = strings.TrimSpace(cat.Properties["MASTER_ADDRESS"])
	}
	mc := h.masterCert()
	if cat != nil && masterAddr == "" {
		h.add(AreaWorkers, "", "EXEC SSISDB.catalog.update_master_address @MasterAddress = N'https://<master DNS name>:<port>' (step 8)", "MASTER_ADDRESS is not set in the catalog")
	} else if mc != nil && masterAddr != "" {
		if u, err := url.Parse(masterAddr); err != nil || !hcCertHasName(mc, u.Hostname()) {
			h.add(AreaWorkers, "", "use a host name the master certificate carries in MASTER_ADDRESS and every worker's MasterEndpoint (step 8)",
				"the host of MASTER_ADDRESS %s is not among the master certificate's names (%s); workers will not trust the master", masterAddr, strings.Join(hcCertNames(mc), ", "))
		}
	}
	for _, k := range h.e.SortedHosts() {
		n := h.e.Nodes[k]
		if n.Role != "worker" {
			continue
		}
		h.worker(n, cat, masterAddr, mc)
	}
}

func hcSameEndpoint(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(strings.TrimSpace(a), "/"), strings.TrimRight(strings.TrimSpace(b), "/"))
}

func (h *healthCheck) worker(n *Node, cat *Catalog, masterAddr string, mc *Cert) {
	svc := hcWorkerService(n)
	if svc == nil {
		h.add(AreaWorkers, n.Host, "install the Scale Out Worker and connect it to the master (step 9)", "the Scale Out Worker is not installed")
		return
	}
	content, ok := hcSettingsFile(n, "WorkerSettings.config")
	if !ok {
		h.add(AreaWorkers, n.Host, "reinstall the Scale Out Worker (step 9)", "the worker has no WorkerSettings.config")
		return
	}
	get := func(name string) string {
		v, _ := SettingGet(content, name)
		return strings.TrimSpace(v)
	}
	if svc.State != "Running" {
		h.add(AreaWorkers, n.Host, "Start-Service "+svc.Name, "the worker service %s is %s", svc.Name, svc.State)
	}
	endpoint := get("MasterEndpoint")
	if masterAddr != "" && !hcSameEndpoint(endpoint, masterAddr) {
		h.add(AreaWorkers, n.Host, "set MasterEndpoint to "+masterAddr+" in WorkerSettings.config and restart the worker (step 9)", "the worker's MasterEndpoint %q is not MASTER_ADDRESS %q", endpoint, masterAddr)
	}
	masterThumb := strings.ToUpper(get("MasterHttpsCertThumbprint"))
	if mc != nil {
		if masterThumb != mc.Thumbprint {
			h.add(AreaWorkers, n.Host, "set MasterHttpsCertThumbprint to "+mc.Thumbprint+" and restart the worker (step 9)", "the worker expects master certificate %s, the master presents %s", masterThumb, mc.Thumbprint)
		}
		if !hcInRoot(n, mc.Thumbprint) {
			h.add(AreaWorkers, n.Host, "import the master certificate's public part into LocalMachine\\Root on the worker (step 9)", "the master certificate %s is not trusted here (not in LocalMachine\\Root)", mc.Thumbprint)
		}
	}
	workerThumb := strings.ToUpper(get("WorkerHttpsCertThumbprint"))
	if n.Certs[`LocalMachine\My`][workerThumb] == nil {
		h.add(AreaWorkers, n.Host, "reinstall the worker certificate into LocalMachine\\My, or fix WorkerHttpsCertThumbprint", "the worker certificate %s is not in LocalMachine\\My", workerThumb)
	}
	for _, m := range h.masterNodes() {
		if workerThumb != "" && !hcInRoot(m, workerThumb) {
			h.add(AreaWorkers, m.Host, "import "+n.Host+"'s certificate into LocalMachine\\Root on every master node (step 9)",
				"the certificate of worker %s (%s) is not in LocalMachine\\Root; with the master here the worker gets 403", n.Host, workerThumb)
		}
	}
	if cat == nil {
		return
	}
	id := strings.ToUpper(get("AgentId"))
	agent := cat.WorkerAgents[id]
	switch {
	case agent == nil:
		h.add(AreaWorkers, n.Host, "check that the worker reaches the master, then restart the worker service", "worker agent %s has not registered with the master (not in catalog.worker_agents)", id)
	case !agent.Enabled:
		h.add(AreaWorkers, n.Host, "EXEC SSISDB.catalog.enable_worker_agent @WorkerAgentId = '"+id+"' (step 9)", "worker agent %s is registered but not enabled", id)
	}
}

package lab

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Problem is one thing that keeps the estate from running Scale Out highly available,
// now or after the next failover.
type Problem struct {
	Area    string // master | ssisdb | logging | workers
	Host    string // the node it is on, "" for the estate as a whole
	Message string
	Fix     string
}

func (p Problem) String() string {
	h := p.Host
	if h == "" {
		h = "estate"
	}
	return fmt.Sprintf("[%s] %s: %s (fix: %s)", p.Area, h, p.Message, p.Fix)
}

// Health areas.
const (
	AreaMaster  = "master"
	AreaSSISDB  = "ssisdb"
	AreaLogging = "logging"
	AreaWorkers = "workers"
)

// Health checks the estate for what a real Scale Out HA estate needs; an empty list
// means healthy.
func (l *Lab) Health() []Problem {
	l.mu.Lock()
	defer l.mu.Unlock()
	return CheckHealth(l.estate)
}

// CheckHealth is Health for any estate (a Direct's, a hand-built one).
func CheckHealth(e *Estate) []Problem {
	h := &healthCheck{e: e}
	h.master()
	h.ssisdb()
	h.logging()
	h.workers()
	return h.problems
}

type healthCheck struct {
	e        *Estate
	problems []Problem
}

func (h *healthCheck) add(area, host, fix, format string, args ...any) {
	h.problems = append(h.problems, Problem{Area: area, Host: host, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// masterNodes are the nodes meant to run the master, in order.
func (h *healthCheck) masterNodes() []*Node {
	var out []*Node
	for _, k := range labSortedHosts(h.e) {
		if n := h.e.Nodes[k]; n.Role == "master" {
			out = append(out, n)
		}
	}
	return out
}

func hcServiceWithPrefix(n *Node, prefix string) *Service {
	for _, k := range sortedKeys(n.Services) {
		if strings.HasPrefix(k, prefix) {
			return n.Services[k]
		}
	}
	return nil
}

func hcMasterService(n *Node) *Service { return hcServiceWithPrefix(n, "ssisscaleoutmaster") }
func hcWorkerService(n *Node) *Service { return hcServiceWithPrefix(n, "ssisscaleoutworker") }

// hcSettingsFile finds a settings file by its name, wherever setup put it.
func hcSettingsFile(n *Node, name string) (string, bool) {
	for _, k := range sortedKeys(n.Files) {
		if strings.HasSuffix(strings.ToLower(k), `\`+strings.ToLower(name)) {
			return n.Files[k], true
		}
	}
	return "", false
}

func hcSettingsValue(n *Node, file, element string) string {
	content, ok := hcSettingsFile(n, file)
	if !ok {
		return ""
	}
	v, _ := XMLGet(content, element)
	return strings.TrimSpace(v)
}

// hcFindCert looks a thumbprint up in the machine's Root and My stores.
func hcFindCert(n *Node, thumb string) *Cert {
	thumb = strings.ToUpper(strings.TrimSpace(thumb))
	if thumb == "" {
		return nil
	}
	for _, store := range []string{`LocalMachine\Root`, `LocalMachine\My`} {
		if c := n.Certs[store][thumb]; c != nil {
			return c
		}
	}
	return nil
}

func hcInRoot(n *Node, thumb string) bool {
	return n.Certs[`LocalMachine\Root`][strings.ToUpper(strings.TrimSpace(thumb))] != nil
}

// hcCertNames are the names a certificate answers to (SAN, else the subject's CN).
func hcCertNames(c *Cert) []string {
	names := append([]string(nil), c.DNSNames...)
	for _, part := range strings.Split(c.Subject, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "CN="); ok {
			names = append(names, v)
		}
	}
	return names
}

func hcCertHasName(c *Cert, name string) bool {
	for _, n := range hcCertNames(c) {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// hcServerAndPort splits "name,port" or "tcp:name\instance,port" (port 1433 by default).
func hcServerAndPort(v string) (string, int) {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(strings.TrimPrefix(v, "tcp:"), "TCP:")
	host, port := v, 1433
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		host = v[:i]
		if p, err := strconv.Atoi(strings.TrimSpace(v[i+1:])); err == nil {
			port = p
		}
	}
	if i := strings.IndexByte(host, '\\'); i >= 0 {
		host = host[:i]
	}
	return strings.TrimSpace(host), port
}

// pointsAtListener reports whether a server name reaches the AG listener.
func (h *healthCheck) pointsAtListener(v string) bool {
	ag := h.e.AG
	if ag == nil || ag.Listener == nil {
		return false
	}
	host, port := hcServerAndPort(v)
	return strings.EqualFold(ShortName(host), ShortName(ag.Listener.DNSName)) && port == ag.Listener.Port
}

// hcPointsAtNode reports whether a server name reaches n's default instance.
func hcPointsAtNode(v string, n *Node) bool {
	if n == nil {
		return false
	}
	host, port := hcServerAndPort(v)
	return strings.EqualFold(ShortName(host), ShortName(n.Host)) && port == 1433
}

func (h *healthCheck) listenerText() string {
	if ag := h.e.AG; ag != nil && ag.Listener != nil {
		return fmt.Sprintf("%s,%d", ag.Listener.DNSName, ag.Listener.Port)
	}
	return "<listener>,<port>"
}

// catalogNode is the node whose SSISDB copy holds the catalog: the primary's.
func (h *healthCheck) catalogNode() (*Node, *Database) {
	if ag := h.e.AG; ag != nil {
		if n := h.e.Node(ag.Primary); n != nil && n.SQL != nil {
			if db := n.SQL.Databases["ssisdb"]; db != nil && db.Catalog != nil {
				return n, db
			}
		}
	}
	for _, k := range labSortedHosts(h.e) {
		n := h.e.Nodes[k]
		if n.SQL == nil {
			continue
		}
		if db := n.SQL.Databases["ssisdb"]; db != nil && db.Catalog != nil {
			return n, db
		}
	}
	return nil, nil
}

// primaryNode is where SSISDB is read-write now.
func (h *healthCheck) primaryNode() *Node {
	if ag := h.e.AG; ag != nil && ag.Primary != "" {
		return h.e.Node(ag.Primary)
	}
	n, _ := h.catalogNode()
	return n
}

// replicaNodes are the other SQL Server instances that can become primary.
func (h *healthCheck) replicaNodes() []*Node {
	ag := h.e.AG
	if ag == nil {
		return nil
	}
	var out []*Node
	for _, r := range ag.Replicas {
		if strings.EqualFold(r, ag.Primary) {
			continue
		}
		if n := h.e.Node(r); n != nil && n.SQL != nil {
			out = append(out, n)
		}
	}
	return out
}

// activeMaster is the node whose master service clients reach now: the role's owner,
// or without a role the one node running the service.
func (h *healthCheck) activeMaster() *Node {
	if g := labMasterRole(h.e); g != nil {
		return h.e.Node(g.Owner)
	}
	var running []*Node
	for _, n := range h.masterNodes() {
		if s := hcMasterService(n); s != nil && s.State == "Running" {
			running = append(running, n)
		}
	}
	if len(running) == 1 {
		return running[0]
	}
	return nil
}

// masterCert is the certificate the active master (or any master) presents.
func (h *healthCheck) masterCert() *Cert {
	nodes := h.masterNodes()
	if a := h.activeMaster(); a != nil {
		nodes = append([]*Node{a}, nodes...)
	}
	for _, n := range nodes {
		if c := hcFindCert(n, hcSettingsValue(n, "MasterSettings.config", "SSLCertThumbprint")); c != nil {
			return c
		}
	}
	return nil
}

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
	role := labMasterRole(h.e)
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
	server, err := XMLGet(content, "SqlServerName")
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
	if v, err := XMLGet(content, "PortNumber"); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			port = p
		}
	}
	thumb, _ := XMLGet(content, "SSLCertThumbprint")
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
	for _, k := range labSortedHosts(h.e) {
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
		v, _ := XMLGet(content, name)
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

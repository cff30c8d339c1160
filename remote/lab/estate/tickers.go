package estate

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Time-based behaviour of the estate: the Scale Out Master's heartbeat into SSISDB and
// workers registering with the master a while after their service starts. Both only
// happen when everything a real estate needs for them is in place, so that a missing
// certificate or a wrong setting shows up as a worker that never registers.

// WorkerRegistrationDelay is how long after its service starts a healthy worker
// appears in catalog.worker_agents.
const WorkerRegistrationDelay = 60 * time.Second

// runningService returns the node's running service whose name starts with prefix.
func runningService(n *Node, prefix string) *Service {
	for k, s := range n.Services {
		if strings.HasPrefix(k, prefix) && s.State == "Running" {
			return s
		}
	}
	return nil
}

// settingsContent returns a settings file by name wherever it sits (backups aside).
func settingsContent(n *Node, file string) (string, bool) {
	suffix := `\` + strings.ToLower(file)
	for k, c := range n.Files {
		if strings.HasSuffix(strings.ToLower(k), suffix) {
			return c, true
		}
	}
	return "", false
}

// catalogFor resolves a SqlServerName the way the master service's connection does:
// the listener reaches the current primary, a server name reaches that instance.
func catalogFor(e *Estate, sqlServerName string) (*Node, *Database) {
	host := strings.TrimSpace(sqlServerName)
	if i := strings.IndexAny(host, `,\`); i >= 0 {
		host = host[:i]
	}
	host = strings.ToLower(host)
	var target *Node
	if ag := e.AG; ag != nil && ag.Listener != nil && ShortName(host) == ShortName(strings.ToLower(ag.Listener.DNSName)) {
		target = e.Node(ag.Primary)
	} else {
		target = e.Node(host)
	}
	if target == nil || target.SQL == nil || !target.SQL.Running {
		return nil, nil
	}
	db := target.SQL.Databases[ssisdbKey]
	if db == nil || db.State != "ONLINE" || db.Catalog == nil {
		return nil, nil
	}
	return target, db
}

// masterCatalog returns where a running master's SSISDB connection lands, if it can
// log in there.
func masterCatalog(e *Estate, n *Node) (*Service, *Database) {
	svc := runningService(n, "ssisscaleoutmaster")
	if svc == nil {
		return nil, nil
	}
	content, ok := settingsContent(n, "MasterSettings.config")
	if !ok {
		return nil, nil
	}
	name, err := SettingGet(content, "SqlServerName")
	if err != nil {
		return nil, nil
	}
	target, db := catalogFor(e, name)
	if db == nil || !reaches(n, target, sqlPortOf(e, name)) {
		return nil, nil
	}
	acct := strings.ToLower(svc.Account)
	if target.SQL.Logins[acct] == nil || db.Users[acct] == nil {
		return nil, nil
	}
	return svc, db
}

func masterHeartbeat(e *Estate, now time.Time) {
	for _, h := range sortedKeys(e.Nodes) {
		n := e.Nodes[h]
		if n.Role != "master" {
			continue
		}
		if _, db := masterCatalog(e, n); db != nil {
			db.Catalog.Properties["MACHINE_NAME"] = sqlServerNameOf(n)
			db.Catalog.Properties["LAST_ONLINE_TIME"] = now.UTC().Format(time.RFC3339)
		}
	}
}

// activeMaster is the node whose master service workers reach: the Generic Service
// role's owner, or else the node where the service runs.
func activeMaster(e *Estate) *Node {
	for _, h := range sortedKeys(e.Nodes) {
		n := e.Nodes[h]
		if n.Role != "master" || runningService(n, "ssisscaleoutmaster") == nil {
			continue
		}
		if g := clusteredService(e, runningService(n, "ssisscaleoutmaster").Name); g != nil && !strings.EqualFold(g.Owner, n.Host) {
			continue
		}
		return n
	}
	return nil
}

func workerRegistration(e *Estate, now time.Time) {
	master := activeMaster(e)
	for _, h := range sortedKeys(e.Nodes) {
		n := e.Nodes[h]
		if n.Role != "worker" || n.Installed["IS_Worker"] == "" {
			continue
		}
		svc := runningService(n, "ssisscaleoutworker")
		if svc == nil {
			continue
		}
		if svc.StartedAt.IsZero() {
			svc.StartedAt = now
			continue
		}
		if master == nil || now.Before(svc.StartedAt.Add(WorkerRegistrationDelay)) {
			continue
		}
		registerWorker(e, n, svc, master, now)
	}
}

func registerWorker(e *Estate, n *Node, svc *Service, master *Node, now time.Time) {
	ws, ok := settingsContent(n, "WorkerSettings.config")
	if !ok {
		return
	}
	ms, ok := settingsContent(master, "MasterSettings.config")
	if !ok {
		return
	}
	get := func(doc, k string) string { v, _ := SettingGet(doc, k); return v }
	mthumb := strings.ToUpper(get(ms, "SSLCertThumbprint"))
	mcert := findCert(master, mthumb)
	if mcert == nil {
		return
	}
	u, err := url.Parse(get(ws, "MasterEndpoint"))
	if err != nil || u.Scheme != "https" || u.Port() != get(ms, "PortNumber") || !containsFold(mcert.DNSNames, u.Hostname()) {
		return
	}
	if port, _ := strconv.Atoi(u.Port()); !reaches(n, master, port) || schannelRejectsWorkers(master) {
		return
	}
	if !strings.EqualFold(get(ws, "MasterHttpsCertThumbprint"), mthumb) || n.Certs[`LocalMachine\Root`][mthumb] == nil {
		return
	}
	wthumb := strings.ToUpper(get(ws, "WorkerHttpsCertThumbprint"))
	if n.Certs[`LocalMachine\My`][wthumb] == nil || master.Certs[`LocalMachine\Root`][wthumb] == nil {
		return
	}
	_, db := masterCatalog(e, master)
	if db == nil {
		return
	}
	id := strings.ToUpper(get(ws, "AgentId"))
	if id == "" {
		return
	}
	wa := db.Catalog.WorkerAgents[id]
	if wa == nil {
		// The worker service spent the registration delay starting and reaching the
		// master: no tool can enable the worker sooner, so it counts as the worker's
		// busy time like an operation's.
		if e.Spend != nil {
			e.Spend(n.Host, WorkerRegistrationDelay)
		}
		wa = &WorkerAgent{ID: id, MachineName: strings.ToUpper(ShortName(n.Host)), DisplayName: get(ws, "DisplayName"), UserAccount: svc.Account}
		db.Catalog.WorkerAgents[id] = wa
	}
	wa.LastOnlineTime = now
}

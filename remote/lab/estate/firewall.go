package estate

import (
	"fmt"
	"strconv"
	"strings"
)

// Windows Firewall between the estate's machines. With the domain profile on (the
// Windows default), an inbound connection from another machine reaches a port only
// when an enabled inbound rule allows that port; SQL Server setup opens none, so the
// availability group's endpoint, the instance's and the listener's ports, and the
// master's port stay closed until someone adds a rule. Traffic within a machine is not
// filtered. The controller's own connections (WinRM, TDS) are taken as allowed: a DBA
// who can reach the nodes at all has them open, and preflight checks them.

// FirewallOnByDefault is whether new lab nodes have the firewall's domain profile on.
const FirewallOnByDefault = true

// admits reports whether an inbound connection from another machine reaches port.
func (n *Node) admits(port int) bool {
	if !n.FirewallOn {
		return true
	}
	for _, r := range n.Firewall {
		if r.Enabled && r.Port == port {
			return true
		}
	}
	return false
}

// reaches reports whether from can open a connection to port on to.
func reaches(from, to *Node, port int) bool {
	return from == to || to.admits(port)
}

// endpointPort is the port of a replica's database mirroring endpoint (0: none).
func endpointPort(n *Node) int {
	if n == nil || n.SQL == nil {
		return 0
	}
	for _, k := range sortedKeys(n.SQL.Endpoints) {
		return n.SQL.Endpoints[k].Port
	}
	return 0
}

// replicasConnect reports whether the firewall lets two replicas' endpoints reach each
// other: each side opens a connection to the other's endpoint port. A replica without
// an endpoint is not the firewall's doing.
func replicasConnect(a, b *Node) bool {
	pa, pb := endpointPort(a), endpointPort(b)
	return (pb == 0 || reaches(a, b, pb)) && (pa == 0 || reaches(b, a, pa))
}

// instancePort is the TCP port a node's SQL Server instance listens on: every lab
// instance is a default one on the default port.
func instancePort(*Node) int { return DefaultSQLPort }

// isWinRMPort is a WinRM port: every node answers on them (the controller reaches the
// nodes there, so the rule that allows them is on).
func isWinRMPort(port int) bool { return port == 5985 || port == 5986 }

// listens reports whether something on n accepts connections on port: its running
// instance, a started mirroring endpoint, the listener while n is primary, a running
// master.
func listens(e *Estate, n *Node, port int) bool {
	if in := n.SQL; in != nil && in.Running {
		if port == instancePort(n) {
			return true
		}
		for _, ep := range in.Endpoints {
			if ep.Port == port && ep.State == "STARTED" {
				return true
			}
		}
		if ag := e.AG; ag != nil && ag.Listener != nil && ag.Listener.Port == port && strings.EqualFold(ag.Primary, n.Host) {
			return true
		}
	}
	return runningService(n, "ssisscaleoutmaster") != nil && masterPortOf(n) == port
}

// DefaultSQLPort is the TCP port of a default instance.
const DefaultSQLPort = 1433

// sqlPortOf is the port a SQL Server name connects to: an explicit ",port", the
// listener's port for the listener, else the default instance's.
func sqlPortOf(e *Estate, name string) int {
	if i := strings.LastIndex(name, ","); i >= 0 {
		if p, err := strconv.Atoi(strings.TrimSpace(name[i+1:])); err == nil {
			return p
		}
	}
	host := strings.ToLower(strings.TrimSpace(name))
	if i := strings.IndexAny(host, `,\`); i >= 0 {
		host = host[:i]
	}
	if ag := e.AG; ag != nil && ag.Listener != nil && ShortName(host) == ShortName(strings.ToLower(ag.Listener.DNSName)) {
		return ag.Listener.Port
	}
	return DefaultSQLPort
}

// firewall adds what the firewall keeps from working: replicas that cannot reach each
// other's endpoint, a primary that workers cannot log to, a master workers cannot reach.
func (h *healthCheck) firewall() {
	e := h.e
	if ag := e.AG; ag != nil {
		primary := e.Node(ag.Primary)
		for _, r := range ag.Replicas {
			n := e.Node(r)
			if n == nil || n == primary || primary == nil || replicasConnect(primary, n) {
				continue
			}
			h.add(AreaSSISDB, n.Host, fmt.Sprintf("allow inbound TCP %d (the endpoint port) on every replica", endpointPort(n)),
				"the replica cannot connect to %s: the firewall blocks the database mirroring endpoint, so seeding and synchronisation stall", primary.Host)
		}
		if l := ag.Listener; l != nil && primary != nil && !primary.admits(l.Port) {
			h.add(AreaLogging, primary.Host, fmt.Sprintf("allow inbound TCP %d (the listener's port) on every replica", l.Port),
				"the firewall blocks the listener's port on the primary: workers cannot write the execution log")
		}
	}
	if m := activeMaster(e); m != nil {
		if port := masterPortOf(m); port != 0 && !m.admits(port) {
			h.add(AreaWorkers, m.Host, fmt.Sprintf("allow inbound TCP %d (the master port) on every master node", port),
				"the firewall blocks the master port: workers cannot reach the master")
		}
	}
}

// masterPortOf is the port in a master node's MasterSettings.config (0: unknown).
func masterPortOf(n *Node) int {
	content, ok := settingsContent(n, "MasterSettings.config")
	if !ok {
		return 0
	}
	v, err := SettingGet(content, "PortNumber")
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(v))
	return p
}

package estate

import (
	"fmt"
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

// CheckHealth checks the estate for what a real Scale Out HA estate needs; an empty
// list means healthy.
func CheckHealth(e *Estate) []Problem {
	h := &healthCheck{e: e}
	h.master()
	h.ssisdb()
	h.sqlServer()
	h.logging()
	h.workers()
	h.firewall()
	h.schannel()
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
	for _, k := range h.e.SortedHosts() {
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
	v, _ := SettingGet(content, element)
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
	for _, k := range h.e.SortedHosts() {
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
	if g := h.e.MasterRole(); g != nil {
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

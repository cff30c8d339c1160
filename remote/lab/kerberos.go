package lab

import (
	"net"
	"strings"
)

// ServicePrincipals are the SPNs a KDC must hold keys for, in Options.Kerberos's
// keytab, for clients to reach every endpoint of this lab with Kerberos:
// HTTP/<node> for each node's WinRM, MSSQLSvc/<node>:<port> for each instance and
// MSSQLSvc/<listener>:<port> for the listener (full and short name), with the ports the lab listens on
// (clients dial them, so they name them; the nodes' names resolve to loopback
// through the answers' address overrides).
func (l *Lab) ServicePrincipals() []string {
	ep := l.Endpoints()
	var spns []string
	port := func(addr string) string {
		_, p, _ := net.SplitHostPort(addr)
		return p
	}
	for _, n := range ep.Nodes {
		host := strings.ToLower(n.Host)
		spns = append(spns, "HTTP/"+host)
		if n.SQL != "" {
			spns = append(spns, "MSSQLSvc/"+host+":"+port(n.SQL))
		}
	}
	// The listener's, by its full and its short name, as DBAs register it with
	// setspn so that clients knowing either name get a ticket.
	for _, name := range l.sqlHostNames("", true)() {
		spns = append(spns, "MSSQLSvc/"+name+":"+port(ep.Listener))
	}
	return spns
}

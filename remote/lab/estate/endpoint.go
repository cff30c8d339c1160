package estate

import (
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote/script"
)

// How two replicas' database mirroring endpoints let each other in: each engine
// authenticates to its partner's endpoint as its service account, or, when it runs
// as a virtual or built-in account, as its computer's domain account DOMAIN\HOST$;
// the partner admits it only with a login for that identity holding CONNECT on the
// endpoint (or sysadmin). Without it the replicas never connect, the secondary's copy
// is never seeded and never synchronizes, and the primary's error log and
// sys.dm_hadr_availability_replica_states show error 28034.

// ErrEndpointConnect is the number of "Connection handshake failed. The login … does
// not have CONNECT permission on the endpoint."
const ErrEndpointConnect = 28034

// IsVirtualAccount reports whether a service account is a virtual or built-in one
// (NT Service\…, NT AUTHORITY\…, LocalSystem), which reaches the network as the
// computer account.
func IsVirtualAccount(account string) bool {
	a := strings.ToLower(strings.TrimSpace(account))
	return a == "" || a == "localsystem" || strings.HasPrefix(a, `nt service\`) || strings.HasPrefix(a, `nt authority\`) ||
		strings.HasPrefix(a, `.\`) && strings.HasSuffix(a, "$")
}

// ComputerAccount is a node's domain account, DOMAIN\HOST$.
func (e *Estate) ComputerAccount(n *Node) string {
	return e.Domain + `\` + strings.ToUpper(ShortName(n.Host)) + "$"
}

// EngineIdentity is who n's database engine is when it connects to another
// instance's endpoint.
func (e *Estate) EngineIdentity(n *Node) string {
	if n.SQL == nil {
		return ""
	}
	if IsVirtualAccount(n.SQL.ServiceAccount) {
		return e.ComputerAccount(n)
	}
	return e.QualifyAccount(n.SQL.ServiceAccount)
}

// windowsPrincipalExists reports whether Active Directory knows the account: a user
// account of the domain, or the computer account of one of the estate's nodes.
func (e *Estate) windowsPrincipalExists(account string) bool {
	if e.Accounts[strings.ToLower(account)] != nil {
		return true
	}
	dom, name, ok := strings.Cut(account, `\`)
	if !ok || !strings.EqualFold(dom, e.Domain) || !strings.HasSuffix(name, "$") {
		return false
	}
	return e.Node(strings.TrimSuffix(name, "$")) != nil
}

// endpointRefusal says why to's mirroring endpoint refuses from's engine ("" when it
// admits it): the error a real endpoint logs for the handshake.
func (e *Estate) endpointRefusal(from, to *Node) string {
	if to.SQL == nil || from.SQL == nil {
		return ""
	}
	var ep *Endpoint
	for _, k := range sortedKeys(to.SQL.Endpoints) {
		ep = to.SQL.Endpoints[k]
	}
	if ep == nil {
		return "Connection handshake failed. The database mirroring endpoint is not configured."
	}
	id := e.EngineIdentity(from)
	l := to.SQL.Logins[strings.ToLower(id)]
	if l != nil && !l.Disabled && (l.Sysadmin || to.SQL.Grants[grantKey("CONNECT", "ENDPOINT::"+ep.Name, l.Name)]) {
		return ""
	}
	return fmt.Sprintf("Connection handshake failed. The login '%s' does not have CONNECT permission on the endpoint. State 84.", id)
}

// ReplicaConnectError is what sys.dm_hadr_availability_replica_states says of the
// connection between the AG's primary and the secondary n: "" when they are connected,
// else the last connect error (both directions must admit the other).
func (e *Estate) ReplicaConnectError(n *Node) string {
	ag := e.AG
	if ag == nil || !ag.Joined[strings.ToLower(n.Host)] || strings.EqualFold(ag.Primary, n.Host) {
		return ""
	}
	p := e.Node(ag.Primary)
	if p == nil || p.SQL == nil || !p.SQL.Running || n.SQL == nil || !n.SQL.Running {
		return "The connection to the primary replica is not active."
	}
	if msg := e.endpointRefusal(n, p); msg != "" {
		return msg
	}
	return e.endpointRefusal(p, n)
}

// agReplicaReadiness is ag.replica.readiness: which partner identities the local
// endpoint does not admit, whether the Agent runs, and whether SSISDB's CLR code can.
func agReplicaReadiness(c *OpContext, p Params) (*script.ResultSet, error) {
	in := c.Node.SQL
	var ep *Endpoint
	for _, k := range sortedKeys(in.Endpoints) {
		ep = in.Endpoints[k]
	}
	var missing []string
	for _, id := range strings.Split(p.String("Partners"), "\n") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		l := in.Logins[strings.ToLower(id)]
		if l != nil && l.Sysadmin {
			continue
		}
		if l == nil || ep == nil || !in.Grants[grantKey("CONNECT", "ENDPOINT::"+ep.Name, l.Name)] {
			missing = append(missing, id)
		}
	}
	return resultRow([]string{"connect_missing", "agent_running", "clr_ready"},
		strings.Join(missing, "\n"), bit(agentRunning(c.Node)), bit(clrProblem(in) == nil)), nil
}

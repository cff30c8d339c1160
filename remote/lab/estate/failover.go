package estate

import (
	"fmt"
	"strings"
	"time"
)

// FailoverError is a failover the estate refused or that left a role failed.
type FailoverError struct {
	What    string // "availability group" | "master role"
	To      string
	Message string
	Fix     string
}

func (e *FailoverError) Error() string {
	s := fmt.Sprintf("lab: %s failover to %s: %s", e.What, e.To, e.Message)
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// FailoverAG makes to the primary replica of the availability group, as a planned
// manual failover does: the catalog's data is served from to's copy of each database,
// the old primary becomes a secondary, and the AG's cluster role follows. The lab's
// failovers and the failover.ag.move operation share it. down reports nodes the fault
// injector has taken away (nil: none), which only the runtime knows.
func (e *Estate) FailoverAG(to string, down func(host string) bool) error {
	fail := func(msg, fix string) error {
		return &FailoverError{What: "availability group", To: to, Message: msg, Fix: fix}
	}
	ag := e.AG
	if ag == nil {
		return fail("there is no availability group yet", "create it first (step 4)")
	}
	target := e.Node(to)
	if target == nil {
		return fail("no such node in the estate", "name one of the replicas "+strings.Join(ag.Replicas, ", "))
	}
	newKey := strings.ToLower(target.Host)
	oldKey := strings.ToLower(ag.Primary)
	if newKey == oldKey {
		return nil
	}
	if !containsFold(ag.Replicas, newKey) {
		return fail("it is not a replica of "+ag.Name, "add it as a replica first")
	}
	if !ag.Joined[newKey] {
		return fail("its replica has not joined "+ag.Name, "run ALTER AVAILABILITY GROUP ["+ag.Name+"] JOIN on it")
	}
	if target.SQL == nil || !target.SQL.Running {
		return fail("its SQL Server instance is not running", "start the instance on "+target.Host)
	}
	if down != nil && down(target.Host) {
		return fail("the node is down", "bring the node back first")
	}
	if msg := e.ReplicaConnectError(target); msg != "" {
		return fail("it is not connected to the primary, so its copy is not synchronized: "+msg,
			"create a login for the partner's engine account on each replica and GRANT CONNECT ON ENDPOINT to it")
	}
	oldNode := e.Node(oldKey)
	for _, name := range ag.Databases {
		key := strings.ToLower(name)
		newDB := target.SQL.Databases[key]
		if newDB == nil {
			return fail("its copy of "+name+" is not synchronized (the database is missing there)", "join the database on "+target.Host+" (automatic seeding or restore WITH NORECOVERY)")
		}
		if oldNode == nil || oldNode.SQL == nil || oldNode.SQL.Databases[key] == nil {
			continue
		}
		labMoveDatabaseData(oldNode.SQL.Databases[key], newDB)
	}
	ag.Primary = newKey
	if g := labAGClusterGroup(e); g != nil {
		g.Owner = newKey
		g.State = "Online"
	}
	return nil
}

// labMoveDatabaseData makes to the readable copy: what lives inside the database (users,
// master key, catalog) replicates, while whether the instance's service master key
// also encrypts the database master key stays with each copy.
func labMoveDatabaseData(from, to *Database) {
	to.Recovery = from.Recovery
	to.FamilyGUID = from.FamilyGUID
	to.HasBackup = from.HasBackup
	to.MasterKey = from.MasterKey
	to.MasterKeyPassword = from.MasterKeyPassword
	to.Users = copyUsers(from.Users)
	to.Catalog, from.Catalog = from.Catalog, nil
	to.State, from.State = from.State, to.State
}

func copyUsers(in map[string]*DBUser) map[string]*DBUser {
	out := make(map[string]*DBUser, len(in))
	for k, u := range in {
		c := *u
		c.Roles = make(map[string]bool, len(u.Roles))
		for r, v := range u.Roles {
			c.Roles[r] = v
		}
		out[k] = &c
	}
	return out
}

// FailoverMasterRole moves the master's Generic Service role to the node to, as of
// now: the service stops on the old owner and starts on to. When it cannot start
// there the role is left Failed on to, as the cluster leaves it. The lab's failovers
// and the failover.role.move operation share it; down is as for FailoverAG.
func (e *Estate) FailoverMasterRole(to string, now time.Time, down func(host string) bool) error {
	fail := func(msg, fix string) error {
		return &FailoverError{What: "master role", To: to, Message: msg, Fix: fix}
	}
	g := e.MasterRole()
	if g == nil {
		return fail("there is no Generic Service role for the Scale Out Master in the cluster", "create it first (step 7)")
	}
	target := e.Node(to)
	if target == nil {
		return fail("no such node in the estate", "name one of the cluster nodes")
	}
	newKey := strings.ToLower(target.Host)
	if !containsFold(e.Cluster.Nodes, newKey) {
		return fail("it is not a node of cluster "+e.Cluster.Name, "add it to the cluster first (step 1)")
	}
	if len(g.PossibleOwners) > 0 && !containsFold(g.PossibleOwners, newKey) {
		return fail("it is not a possible owner of role "+g.Name, "add it with Set-ClusterOwnerNode")
	}
	if down != nil && down(target.Host) {
		return fail("the node is down", "bring the node back first")
	}
	if old := e.Node(g.Owner); old != nil {
		if svc := old.Services[strings.ToLower(g.ServiceName)]; svc != nil {
			svc.State = "Stopped"
		}
	}
	g.Owner = newKey
	svc := target.Services[strings.ToLower(g.ServiceName)]
	if svc == nil {
		g.State = "Failed"
		return fail("service "+g.ServiceName+" is not installed there, so the role failed", "install the Scale Out Master on "+target.Host+" (step 3)")
	}
	if msg := serviceLogonProblem(e, svc); msg != "" {
		g.State = "Failed"
		return fail("service "+g.ServiceName+" did not start: "+msg+", so the role failed", "set the service account's password on "+target.Host+" (sc.exe config or Set-Service -Credential) and move the role again")
	}
	svc.State = "Running"
	svc.StartedAt = now
	g.State = "Online"
	return nil
}

// serviceLogonProblem says why a service's account cannot log on, or "": a domain
// account that is missing, disabled, or configured with a stale password. Setup,
// service starts and failovers all ask it.
func serviceLogonProblem(e *Estate, svc *Service) string {
	acct := e.Accounts[strings.ToLower(svc.Account)]
	if acct == nil {
		if strings.Contains(svc.Account, `\`) && !strings.HasPrefix(strings.ToUpper(svc.Account), e.Domain+`\`) {
			return "" // local and virtual accounts always log on
		}
		if strings.HasPrefix(strings.ToUpper(svc.Account), "NT ") || svc.Account == "" || strings.EqualFold(svc.Account, "LocalSystem") {
			return ""
		}
		return "account " + svc.Account + " does not exist in the domain (error 1069: the service did not start due to a logon failure)"
	}
	if !acct.Enabled {
		return "account " + svc.Account + " is disabled (error 1069: logon failure)"
	}
	if svc.Password != "" && svc.Password != acct.Password {
		return "the password configured for " + svc.Account + " is wrong (error 1069: logon failure)"
	}
	return ""
}

// MasterRole is the cluster's Generic Service role for the Scale Out Master, or nil.
func (e *Estate) MasterRole() *ClusterGroup {
	if e.Cluster == nil {
		return nil
	}
	var found *ClusterGroup
	for _, k := range sortedKeys(e.Cluster.Groups) {
		g := e.Cluster.Groups[k]
		if strings.EqualFold(g.Type, "GenericService") && strings.HasPrefix(strings.ToLower(g.ServiceName), "ssisscaleoutmaster") {
			if found == nil {
				found = g
			}
		}
	}
	return found
}

// labAGClusterGroup is the cluster role of the availability group, or nil.
func labAGClusterGroup(e *Estate) *ClusterGroup {
	if e.Cluster == nil || e.AG == nil {
		return nil
	}
	if g := e.Cluster.Groups[strings.ToLower(e.AG.Name)]; g != nil {
		return g
	}
	for _, k := range sortedKeys(e.Cluster.Groups) {
		if g := e.Cluster.Groups[k]; strings.EqualFold(g.Type, "AvailabilityGroup") {
			return g
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) || strings.EqualFold(ShortName(x), ShortName(s)) {
			return true
		}
	}
	return false
}

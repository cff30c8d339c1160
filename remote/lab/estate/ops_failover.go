package estate

import (
	"errors"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// The moves of `ssisha verify --failover`: a planned manual failover of the availability
// group that holds SSISDB, and a move of the master's Generic Service role, with the
// reads that say where both are. The state changes themselves are Estate.FailoverAG and
// Estate.FailoverMasterRole, which the lab's fault injector uses too; these operations add the
// checks and the errors the real scripts make before they touch anything.

// failoverOps adds the operations of this file to t.
func failoverOps(t *Operations) {
	t.AddSQL("failover.ag.primary", failoverAGPrimary)
	t.AddSQL("failover.ag.move", failoverAGMove)
	t.AddPS("failover.role.owner", failoverRoleOwner)
	t.AddPS("failover.role.move", failoverRoleMove)
}

// agHolding returns the estate's AG when n is one of its replicas and it holds db.
func agHolding(e *Estate, n *Node, db string) *AvailabilityGroup {
	if e.AG != nil && containsFold(e.AG.Replicas, n.Host) && containsFold(e.AG.Databases, db) {
		return e.AG
	}
	return nil
}

// agLocalSyncState is what sys.dm_hadr_database_replica_states says of the node's copy
// of db: a joined replica whose instance runs and whose copy exists keeps up with the
// primary (every replica here is synchronous-commit); anything else does not.
func agLocalSyncState(e *Estate, n *Node, db string) string {
	ag := e.AG
	key := strings.ToLower(n.Host)
	if !ag.Joined[key] {
		return ""
	}
	if n.SQL == nil || !n.SQL.Running || n.SQL.Databases[strings.ToLower(db)] == nil || e.ReplicaConnectError(n) != "" {
		return "NOT SYNCHRONIZING"
	}
	return "SYNCHRONIZED"
}

func agLocalRole(ag *AvailabilityGroup, n *Node) string {
	key := strings.ToLower(n.Host)
	switch {
	case !ag.Joined[key]:
		return ""
	case strings.EqualFold(ag.Primary, key):
		return "PRIMARY"
	}
	return "SECONDARY"
}

func failoverAGPrimary(c *OpContext, p Params) (*script.ResultSet, error) {
	e, n := c.Estate, c.Node
	cols := []string{"server_name", "ag_name", "local_role", "primary_replica", "sync_state", "availability_mode"}
	ag := agHolding(e, n, p.String("Database"))
	if ag == nil {
		return resultRow(cols, serverNameOf(n), "", "", "", "", ""), nil
	}
	primary := ""
	if pn := e.Node(ag.Primary); pn != nil {
		primary = serverNameOf(pn)
	}
	role, sync := agLocalRole(ag, n), agLocalSyncState(e, n, p.String("Database"))
	mode := ""
	if role != "" {
		mode = "SYNCHRONOUS_COMMIT"
	}
	return resultRow(cols, serverNameOf(n), ag.Name, role, primary, sync, mode), nil
}

// failoverAGMove is the batch that runs on the replica that is to become primary. The
// messages of its refusals are those of the batch's THROWs.
func failoverAGMove(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	e, n := c.Estate, c.Node
	db, server := p.String("Database"), serverNameOf(n)
	cols := []string{"ag_name", "server_name", "moved", "local_role"}
	ag := agHolding(e, n, db)
	if ag == nil {
		return nil, SQLErrorf(50000, "ssisha: %s is in no availability group that %s is a replica of; run step 4 first.", db, server)
	}
	role := agLocalRole(ag, n)
	if role == "PRIMARY" {
		return resultRow(cols, ag.Name, server, int64(0), role), nil
	}
	if role == "" {
		return nil, SQLErrorf(50000, "ssisha: %s has not joined availability group %s, so it cannot become its primary replica; run step 4 on %s.", server, ag.Name, server)
	}
	if sync := agLocalSyncState(e, n, db); sync != "SYNCHRONIZED" {
		return nil, SQLErrorf(50000, "ssisha: the copy of %s on %s is %s, not SYNCHRONIZED; a planned failover of %s to it is refused, and ssisha never forces one (that loses data). Wait until the AG dashboard shows it SYNCHRONIZED, then move again.", db, server, sync, ag.Name)
	}
	c.Sleep(10 * time.Second)
	// The estate may have changed while the failover took its time.
	if ag = agHolding(c.Estate, n, db); ag == nil {
		return nil, SQLErrorf(50000, "ssisha: %s is in no availability group that %s is a replica of; run step 4 first.", db, server)
	}
	if err := c.Estate.FailoverAG(n.Host, nil); err != nil {
		var fe *FailoverError
		if errors.As(err, &fe) {
			return nil, SQLErrorf(41142, "The availability replica for availability group '%s' on this instance of SQL Server cannot become the primary replica: %s.", ag.Name, fe.Message)
		}
		return nil, err
	}
	return resultRow(cols, ag.Name, server, int64(1), agLocalRole(ag, n)), nil
}

// roleNamed is the cluster group called name, or nil.
func roleNamed(cl *Cluster, name string) *ClusterGroup {
	if cl == nil {
		return nil
	}
	return cl.Groups[strings.ToLower(ShortName(name))]
}

func failoverRoleOwner(c *OpContext, p Params) (any, error) {
	cl := clusterOf(c.Estate, c.Node)
	if cl == nil {
		return nil, errorf("Get-ClusterGroup : The cluster service is not running on %s, or it is not a cluster node.", sqlServerNameOf(c.Node))
	}
	res := map[string]any{"node": sqlServerNameOf(c.Node), "exists": false, "owner": "", "state": "", "service": ""}
	if g := roleNamed(cl, p.String("name")); g != nil {
		res["exists"], res["owner"], res["state"] = true, strings.ToUpper(ShortName(g.Owner)), g.State
	}
	if svc := c.Node.Services[strings.ToLower(p.String("serviceName"))]; svc != nil {
		res["service"] = svc.State
	}
	return res, nil
}

func failoverRoleMove(c *OpContext, p Params) (any, error) {
	n := c.Node
	name, svcName, node := p.String("name"), p.String("serviceName"), p.String("node")
	here := sqlServerNameOf(n)
	if !strings.EqualFold(ShortName(node), here) {
		return nil, errorf("failover.role.move moves the role to the node it runs on; it ran on %s, not %s", here, node)
	}
	cl := clusterOf(c.Estate, n)
	if cl == nil {
		return nil, errorf("Get-ClusterGroup : The cluster service is not running on %s, or it is not a cluster node.", here)
	}
	g := roleNamed(cl, name)
	if g == nil || !strings.EqualFold(g.Type, "GenericService") || !strings.EqualFold(g.ServiceName, svcName) {
		return nil, errorf("there is no Generic Service role %s for service %s in cluster %s; create it first (step 7)", name, svcName, cl.Name)
	}
	if n.Services[strings.ToLower(svcName)] == nil {
		return nil, errorf("service %s is not installed on %s, so role %s cannot run there; the role was not moved. Install the Scale Out Master on %s (step 3).", svcName, here, g.Name, here)
	}
	if len(g.PossibleOwners) > 0 && !containsFold(g.PossibleOwners, n.Host) {
		return nil, errorf("%s is not a possible owner of role %s; the role was not moved. Add it with Set-ClusterOwnerNode.", here, g.Name)
	}
	moved := false
	if !strings.EqualFold(g.Owner, n.Host) || g.State != "Online" {
		moved = !strings.EqualFold(g.Owner, n.Host)
		c.Sleep(15 * time.Second)
		if err := c.Estate.FailoverMasterRole(n.Host, c.Now, nil); err != nil {
			var fe *FailoverError
			if errors.As(err, &fe) {
				return nil, errorf("Move-ClusterGroup : role %s did not come online on %s: %s", g.Name, here, fe.Message)
			}
			return nil, err
		}
	}
	// Re-read: the estate lock was released while the move took its time.
	if g = roleNamed(clusterOf(c.Estate, n), name); g == nil {
		return nil, errorf("role %s disappeared from the cluster while it was being moved to %s", name, here)
	}
	state := ""
	if svc := n.Services[strings.ToLower(svcName)]; svc != nil {
		state = svc.State
	}
	return map[string]any{"name": g.Name, "owner": strings.ToUpper(ShortName(g.Owner)), "state": g.State, "service": state, "moved": moved}, nil
}

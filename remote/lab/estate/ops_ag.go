package estate

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// The availability group that holds SSISDB, its replicas, seeding and listener.

// agOps adds the operations of this file to t.
func agOps(t *Operations) {
	t.AddSQL("ag.replica.facts", agReplicaFacts)
	t.AddSQL("ag.replica.readiness", agReplicaReadiness)
	t.AddSQL("ag.create", agCreate)
	t.AddSQL("ag.drop", agDrop)
	t.AddSQL("ag.join", agJoin)
	t.AddSQL("ag.replica.remove", agReplicaRemove)
	t.AddSQL("ag.secondary.cleanup", agSecondaryCleanup)
	t.AddSQL("ag.listener.add", agListenerAdd)
	t.AddSQL("ag.listener.remove", agListenerRemove)
}

const ssisdbKey = "ssisdb"

// agNamed returns the estate's AG when it has that name.
func agNamed(e *Estate, name string) *AvailabilityGroup {
	if e.AG != nil && strings.EqualFold(e.AG.Name, name) {
		return e.AG
	}
	return nil
}

func agReplicaFacts(c *OpContext, p Params) (*script.ResultSet, error) {
	e, n, in := c.Estate, c.Node, c.Node.SQL
	key := strings.ToLower(n.Host)
	var epName, epState string
	var epPort int64
	for _, ep := range in.Endpoints {
		epName, epState, epPort = ep.Name, ep.State, int64(ep.Port)
	}
	var dbState, recovery, family string
	dmk := false
	if db := in.Databases[ssisdbKey]; db != nil {
		dbState, recovery, family = db.State, db.Recovery, db.FamilyGUID
		dmk = db.FamilyGUID != "" && in.MasterKeyPasswords[db.FamilyGUID] != ""
	}
	var agExists, joined, inAG bool
	var role, lsnDNS string
	var lsnPort int64
	if ag := agNamed(e, p.String("AGName")); ag != nil && containsFold(ag.Replicas, key) {
		agExists = true
		joined = ag.Joined[key]
		if joined {
			role = "SECONDARY"
			if strings.EqualFold(ag.Primary, key) {
				role = "PRIMARY"
			}
		}
		inAG = joined && containsFold(ag.Databases, "SSISDB") && in.Databases[ssisdbKey] != nil
		if ag.Listener != nil {
			lsnDNS, lsnPort = ag.Listener.DNSName, int64(ag.Listener.Port)
		}
	}
	var missing []string
	if in.Logins[strings.ToLower(cleanupLogin)] == nil {
		missing = append(missing, "login")
	}
	if !in.StartupProcs[startupProc] {
		missing = append(missing, "startup")
	}
	if in.Jobs[maintenanceJob] == nil {
		missing = append(missing, "maintenance")
	}
	if in.Jobs[failoverMonitorJob] == nil {
		missing = append(missing, "monitor")
	}
	support := len(missing) == 0
	acct := p.String("MasterAccount")
	connected, errNumber, errText := "", int64(0), ""
	if joined {
		connected = "CONNECTED"
		if msg := e.ReplicaConnectError(n); msg != "" {
			connected, errNumber, errText = "DISCONNECTED", ErrEndpointConnect, msg
		}
	}
	return resultRow([]string{"server_name", "hadr_enabled", "integrated_only", "endpoint_name", "endpoint_port", "endpoint_state",
		"master_login", "ssisdb_state", "ssisdb_recovery", "family_guid", "dmk_credential",
		"ag_exists", "ag_role", "ag_joined", "db_in_ag", "listener_dns", "listener_port", "ssis_support", "ssis_support_missing",
		"connected_state", "last_connect_error_number", "last_connect_error_description"},
		serverNameOf(n), bit(in.HadrEnabled), bit(!in.MixedMode), epName, epPort, epState,
		bit(acct != "" && in.Logins[strings.ToLower(acct)] != nil), dbState, recovery, family, bit(dmk),
		bit(agExists), role, bit(joined), bit(inAG), lsnDNS, lsnPort, bit(support), strings.Join(missing, ","),
		connected, errNumber, errText), nil
}

type agReplicaSpec struct {
	Server      string `json:"server"`
	EndpointURL string `json:"endpointUrl"`
}

func hadrOff(c *OpContext) error {
	return SQLErrorf(35221, "Could not process the operation. Always On Availability Groups replica manager is disabled on this instance of SQL Server '%s'. Enable Always On Availability Groups, by using the SQL Server Configuration Manager. Then, restart the SQL Server service, and retry the currently operation.", serverNameOf(c.Node))
}

func agCreate(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	e, in := c.Estate, c.Node.SQL
	name := p.String("AGName")
	if !in.HadrEnabled || e.Cluster == nil {
		return nil, hadrOff(c)
	}
	if e.AG != nil {
		if strings.EqualFold(e.AG.Name, name) {
			return resultRow([]string{"created", "prev_recovery"}, int64(0), "FULL"), nil
		}
		return nil, SQLErrorf(35240, "Database 'SSISDB' cannot be joined to or unjoined from availability group '%s'. This operation is not supported on the replica of availability group '%s'.", name, e.AG.Name)
	}
	db := in.Databases[ssisdbKey]
	if db == nil || db.State != "ONLINE" {
		return nil, SQLErrorf(911, "Database 'SSISDB' does not exist. Make sure that the name is entered correctly.")
	}
	var specs []agReplicaSpec
	if err := json.Unmarshal([]byte(p.String("Replicas")), &specs); err != nil {
		return nil, SQLErrorf(13609, "JSON text is not properly formatted.")
	}
	prev := db.Recovery
	db.Recovery = "FULL"
	db.HasBackup = true
	ag := &AvailabilityGroup{Name: name, Primary: strings.ToLower(c.Node.Host), Joined: map[string]bool{strings.ToLower(c.Node.Host): true}, Databases: []string{"SSISDB"}}
	for _, s := range specs {
		rn := e.Node(s.Server)
		if rn == nil {
			return nil, SQLErrorf(35237, "None of the specified replicas for availability group %s maps to the instance of SQL Server to which you are connected. Reenter the command, specifying this server instance to host one of the replicas.", name)
		}
		ag.Replicas = append(ag.Replicas, strings.ToLower(rn.Host))
	}
	if !containsFold(ag.Replicas, ag.Primary) {
		return nil, SQLErrorf(35237, "None of the specified replicas for availability group %s maps to the instance of SQL Server to which you are connected.", name)
	}
	c.Sleep(15 * time.Second)
	e.AG = ag
	if e.Cluster.Groups == nil {
		e.Cluster.Groups = map[string]*ClusterGroup{}
	}
	e.Cluster.Groups[strings.ToLower(name)] = &ClusterGroup{Name: name, Type: "AvailabilityGroup", Owner: ag.Primary, State: "Online"}
	return resultRow([]string{"created", "prev_recovery"}, int64(1), prev), nil
}

func agDrop(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	e := c.Estate
	ag := agNamed(e, p.String("AGName"))
	if ag == nil {
		return nil, nil
	}
	if ag.Listener != nil {
		removeListenerDNS(e, ag.Listener)
	}
	if e.Cluster != nil {
		delete(e.Cluster.Groups, strings.ToLower(ag.Name))
	}
	e.AG = nil
	return nil, nil
}

func agJoin(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	e, in := c.Estate, c.Node.SQL
	key := strings.ToLower(c.Node.Host)
	name := p.String("AGName")
	if !in.HadrEnabled {
		return nil, hadrOff(c)
	}
	ag := agNamed(e, name)
	if ag == nil || !containsFold(ag.Replicas, key) {
		return nil, SQLErrorf(15151, "Cannot find the availability group '%s', because it does not exist or you do not have permission.", name)
	}
	primary := e.Node(ag.Primary)
	if len(in.Endpoints) == 0 || primary == nil || primary.SQL == nil || len(primary.SQL.Endpoints) == 0 || !primary.SQL.Running {
		return nil, SQLErrorf(35250, "The connection to the primary replica is not active.  The command cannot be processed.")
	}
	in.Grants["CREATE ANY DATABASE ON AVAILABILITY GROUP::"+ag.Name] = true
	seeded := int64(0)
	if !ag.Joined[key] {
		ag.Joined[key] = true
		c.Sleep(30 * time.Second)
		ag = agNamed(c.Estate, name)
		if ag == nil {
			return nil, SQLErrorf(15151, "Cannot find the availability group '%s', because it does not exist or you do not have permission.", name)
		}
		if seedReplica(c.Estate, c.Node) {
			seeded = 1
		}
	}
	return resultRow([]string{"seeded"}, seeded), nil
}

// seedReplica creates the secondary n's copy of SSISDB by automatic seeding, which
// runs only while the replicas' endpoints admit each other; it reports whether it
// seeded.
func seedReplica(e *Estate, n *Node) bool {
	ag := e.AG
	if ag == nil || n.SQL == nil || n.SQL.Databases[ssisdbKey] != nil || e.ReplicaConnectError(n) != "" {
		return false
	}
	// Automatic seeding streams the database over the endpoints: with either side's
	// endpoint port blocked it never starts, though the join succeeded.
	src := e.Node(ag.Primary)
	if src == nil || src.SQL == nil || src.SQL.Databases[ssisdbKey] == nil || !replicasConnect(src, n) {
		return false
	}
	from := src.SQL.Databases[ssisdbKey]
	n.SQL.Databases[ssisdbKey] = &Database{Name: from.Name, Recovery: from.Recovery, State: "RESTORING", FamilyGUID: from.FamilyGUID,
		MasterKey: from.MasterKey, MasterKeyPassword: from.MasterKeyPassword, Users: copyUsers(from.Users)}
	return true
}

// automaticSeeding seeds joined secondaries once their endpoints admit each other, as
// a real replica retries its connection and then seeds.
func automaticSeeding(e *Estate, _ time.Time) {
	ag := e.AG
	if ag == nil {
		return
	}
	for _, r := range ag.Replicas {
		if n := e.Node(r); n != nil && ag.Joined[strings.ToLower(n.Host)] && !strings.EqualFold(ag.Primary, n.Host) {
			seedReplica(e, n)
		}
	}
}

func agReplicaRemove(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	ag := agNamed(c.Estate, p.String("AGName"))
	rn := c.Estate.Node(p.String("Server"))
	if ag == nil || rn == nil {
		return nil, nil
	}
	key := strings.ToLower(rn.Host)
	if strings.EqualFold(ag.Primary, key) {
		return nil, SQLErrorf(35207, "Cannot remove the local availability replica from availability group '%s'. Use DROP AVAILABILITY GROUP instead.", ag.Name)
	}
	out := ag.Replicas[:0]
	for _, r := range ag.Replicas {
		if !strings.EqualFold(r, key) {
			out = append(out, r)
		}
	}
	ag.Replicas = out
	delete(ag.Joined, key)
	return nil, nil
}

func agSecondaryCleanup(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	if db := in.Databases[ssisdbKey]; db != nil && db.State == "RESTORING" {
		delete(in.Databases, ssisdbKey)
	}
	delete(in.Grants, "CREATE ANY DATABASE ON AVAILABILITY GROUP::"+p.String("AGName"))
	return nil, nil
}

func notPrimary(name string) error {
	return SQLErrorf(41140, "Availability group '%s' cannot process the operation. The availability group is not in a state in which the requested operation is allowed on this replica. Connect to the primary replica and retry.", name)
}

func agListenerAdd(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	e := c.Estate
	name := p.String("AGName")
	ag := agNamed(e, name)
	if ag == nil {
		return nil, SQLErrorf(15151, "Cannot find the availability group '%s', because it does not exist or you do not have permission.", name)
	}
	if !strings.EqualFold(ag.Primary, c.Node.Host) {
		return nil, notPrimary(name)
	}
	dns := strings.ToLower(p.String("DNSName"))
	if strings.Contains(dns, ".") {
		// ADD LISTENER takes a host label (letters, digits, - and _): the cluster's
		// network name resource cannot come online under a dotted name.
		return nil, SQLErrorf(19471, "The WSFC cluster could not bring the Network Name resource with DNS name '%s' online. The DNS name may have been taken or have a conflict with existing name services, or the WSFC cluster service may not be running or may be inaccessible. Use a different DNS name to resolve name conflicts, or check the WSFC cluster log for more information.", p.String("DNSName"))
	}
	if ag.Listener != nil {
		if strings.EqualFold(ag.Listener.DNSName, dns) {
			return resultRow([]string{"created"}, int64(0)), nil
		}
		return nil, SQLErrorf(19468, "The listener with DNS name '%s' for the availability group '%s' is already present.", ag.Listener.DNSName, name)
	}
	ip := p.String("IP")
	short := ShortName(dns)
	if cur, ok := e.DNS[short]; ok && cur != ip {
		return nil, SQLErrorf(19476, "The attempt to create the network name and IP address for the listener failed. The WSFC service may not be running or may be inaccessible in its current state, or the values provided for the network name and IP address may be incorrect. Check the state of the WSFC cluster and validate the network name and IP address with the network administrator.")
	}
	for h, a := range e.DNS {
		if a == ip && ShortName(h) != short {
			return nil, SQLErrorf(19476, "The attempt to create the network name and IP address for the listener failed. The IP address %s is already in use by %s.", ip, h)
		}
	}
	c.Sleep(20 * time.Second)
	ag = agNamed(c.Estate, name)
	if ag == nil {
		return nil, SQLErrorf(15151, "Cannot find the availability group '%s', because it does not exist or you do not have permission.", name)
	}
	ag.Listener = &AGListener{DNSName: short, Port: p.Int("Port"), IP: ip, Mask: p.String("Mask")}
	e.DNS[short] = ip
	e.DNS[short+"."+e.DNSSuffix] = ip
	return resultRow([]string{"created"}, int64(1)), nil
}

func removeListenerDNS(e *Estate, l *AGListener) {
	short := ShortName(strings.ToLower(l.DNSName))
	delete(e.DNS, short)
	delete(e.DNS, short+"."+e.DNSSuffix)
}

func agListenerRemove(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	ag := agNamed(c.Estate, p.String("AGName"))
	if ag == nil || ag.Listener == nil {
		return nil, nil
	}
	if !strings.EqualFold(ag.Primary, c.Node.Host) {
		return nil, notPrimary(ag.Name)
	}
	removeListenerDNS(c.Estate, ag.Listener)
	ag.Listener = nil
	return nil, nil
}

package estate

import (
	"fmt"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// SSISDB: the catalog, Scale Out, the database master key credential, Always On
// support, the logging connection, the master address and the worker agents.

// ssisdbOps adds the operations of this file to t.
func ssisdbOps(t *Operations) {
	t.AddPS("ssisdb.catalog.create", ssisdbCatalogCreate)
	t.AddSQL("ssisdb.catalog.drop", ssisdbCatalogDrop)
	t.AddSQL("ssisdb.catalog.facts", ssisdbCatalogFacts)
	t.AddSQL("ssisdb.schema.check", ssisdbSchemaCheck)
	t.AddSQL("ssisdb.scaleout.enable", ssisdbScaleoutEnable)
	t.AddSQL("ssisdb.user.master.ensure", ssisdbMasterUserEnsure)
	t.AddSQL("ssisdb.user.drop", ssisdbUserDrop)
	t.AddSQL("ssisdb.dmk.credential.add", ssisdbDMKCredentialAdd)
	t.AddSQL("ssisdb.dmk.credential.drop", ssisdbDMKCredentialDrop)
	t.AddSQL("ssisdb.alwayson.support", ssisdbAlwaysOnSupport)
	t.AddSQL("ssisdb.alwayson.support.remove", ssisdbAlwaysOnSupportRemove)
	t.AddSQL("ssisdb.alwayson.replica.add", ssisdbAlwaysOnReplicaAdd)
	t.AddSQL("ssisdb.alwayson.replica.remove", ssisdbAlwaysOnReplicaRemove)
	t.AddSQL("ssisdb.logdb.update", ssisdbLogDBUpdate)
	t.AddSQL("ssisdb.master.address.set", ssisdbMasterAddressSet)
	t.AddSQL("ssisdb.worker.get", ssisdbWorkerGet)
	t.AddSQL("ssisdb.worker.enable", ssisdbWorkerSetEnabled(true))
	t.AddSQL("ssisdb.worker.disable", ssisdbWorkerSetEnabled(false))
	t.AddSQL("ssisdb.worker.delete", ssisdbWorkerDelete)
}

// catalogHere returns SSISDB on the operation's instance when it is readable there.
func catalogHere(c *OpContext) (*Database, error) {
	db := c.Node.SQL.Databases[ssisdbKey]
	if db == nil {
		return nil, SQLErrorf(911, "Database 'SSISDB' does not exist. Make sure that the name is entered correctly.")
	}
	if db.State != "ONLINE" || db.Catalog == nil {
		return nil, SQLErrorf(976, "The target database, 'SSISDB', is participating in an availability group and is currently not accessible for queries. Either data movement is suspended or the availability replica is not enabled for read access. To allow read-only access to this and other databases in the availability group, enable read access to one or more secondary availability replicas in the group.")
	}
	return db, nil
}

// openMasterKey fails as SQL Server does when SSISDB's master key can be opened
// neither by this instance's service master key nor by a credential.
func openMasterKey(in *Instance, db *Database) error {
	if !db.MasterKey || db.EncryptedByServer {
		return nil
	}
	if pw := in.MasterKeyPasswords[db.FamilyGUID]; pw != "" && pw == db.MasterKeyPassword {
		return nil
	}
	return SQLErrorf(15581, "Please create a master key in the database or open the master key in the session before performing this operation.")
}

func ssisdbCatalogCreate(c *OpContext, p Params) (any, error) {
	n := c.Node
	if n.SQL == nil || !n.SQL.Running {
		return nil, errorf("Failed to connect to server %s: the SQL Server instance is not running.", sqlServerNameOf(n))
	}
	// The script connects to the instance its data source names (.: the default one).
	if inst := dataSourceInstance(p.String("dataSource")); n.SQL == nil || !strings.EqualFold(inst, instanceName(n.SQL.Name)) {
		return nil, errorf(`Exception calling "Open" with "0" argument(s): "A network-related or instance-specific error occurred while establishing a connection to SQL Server. The server was not found or was not accessible. Verify that the instance name is correct and that SQL Server is configured to allow remote connections. (provider: SQL Network Interfaces, error: 26 - Error Locating Server/Instance Specified)"`)
	}
	if n.Installed["IS"] == "" {
		return nil, errorf("The catalog cannot be created: Integration Services is not installed on %s. Install the IS feature (step 2 or 3) and try again.", n.Host)
	}
	in := n.SQL
	wasCLR := in.CLREnabled
	if db := in.Databases[ssisdbKey]; db != nil {
		return map[string]any{"created": false, "clrWasEnabled": wasCLR}, nil
	}
	if !callerIsSysadmin(c) {
		return nil, errorf("Exception calling \"Create\" with \"0\" argument(s): \"User does not have permission to perform this action.\"")
	}
	pw := p.String("masterKeyPassword")
	if err := checkPasswordPolicy(pw); err != nil {
		return nil, errorf("Exception calling \"Create\" with \"0\" argument(s): \"%s\"", err.(*SQLError).Message)
	}
	in.CLREnabled = true
	c.Sleep(20 * time.Second)
	in = c.Node.SQL
	guid := labGUID(c)
	in.Databases[ssisdbKey] = &Database{Name: "SSISDB", Recovery: "FULL", State: "ONLINE", FamilyGUID: guid,
		MasterKey: true, EncryptedByServer: true, MasterKeyPassword: pw, Users: map[string]*DBUser{},
		Catalog: &Catalog{Properties: map[string]string{
			"IS_SCALEOUT_ENABLED": "", "MASTER_ADDRESS": "", "CLUSTER_LOGDB_SERVER": "", "MACHINE_NAME": "",
			"MACHINE_IP": "", "LAST_ONLINE_TIME": "", "MASTER_SERVICE_PORT": "", "SSLCERT_THUMBPRINT": "",
			"MASTER_HEARTBEAT_INTERVALINMS": "30000"},
			WorkerAgents: map[string]*WorkerAgent{}, AlwaysOnReplicas: map[string]int{}}}
	cleanupSID := fmt.Sprintf("0x%032X", c.nextSeq())
	in.Logins[strings.ToLower(cleanupLogin)] = &Login{Name: cleanupLogin, Type: "SQL_LOGIN", SID: cleanupSID, Password: GeneratePassword(), Disabled: true}
	in.Databases[ssisdbKey].Users[strings.ToLower(cleanupUser)] = &DBUser{Name: cleanupUser, SID: cleanupSID, Roles: map[string]bool{"ssis_failover_monitoring_agent": true}}
	ensureAssemblyLoading(c, assemblyPath(n))
	in.Jobs[maintenanceJob] = &AgentJob{Name: maintenanceJob, Owner: cleanupLogin, Steps: maintenanceSteps}
	in.StartupProcs[startupProc] = true
	return map[string]any{"created": true, "clrWasEnabled": wasCLR}, nil
}

func ssisdbCatalogDrop(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	if db := in.Databases[ssisdbKey]; db != nil {
		if ag := c.Estate.AG; ag != nil && containsFold(ag.Databases, "SSISDB") && ag.Joined[strings.ToLower(c.Node.Host)] {
			return nil, SQLErrorf(3752, "The database 'SSISDB' is currently joined to an availability group.  Before you can drop the database, you need to remove it from the availability group.")
		}
		delete(in.Databases, ssisdbKey)
	}
	delete(in.Logins, strings.ToLower(LoggingLogin))
	delete(in.Logins, strings.ToLower(cleanupLogin))
	dropAssemblyLoading(in)
	delete(in.Jobs, maintenanceJob)
	delete(in.StartupProcs, startupProc)
	if p.Bool("DisableClr") {
		in.CLREnabled = false
	}
	return nil, nil
}

func ssisdbCatalogFacts(c *OpContext, p Params) (*script.ResultSet, error) {
	cols := []string{"server_name", "catalog", "db_state", "scaleout_enabled", "master_user_admin", "alwayson_replicas",
		"master_address", "logdb_server", "machine_name", "last_online_time"}
	in := c.Node.SQL
	db := in.Databases[ssisdbKey]
	if db == nil || db.Catalog == nil || db.State != "ONLINE" {
		state := ""
		if db != nil {
			state = db.State
		}
		return resultRow(cols, serverNameOf(c.Node), int64(0), state, "", int64(0), "", "", "", "", ""), nil
	}
	cat := db.Catalog
	admin := false
	if u := db.Users[strings.ToLower(p.String("MasterAccount"))]; u != nil && u.Roles["ssis_admin"] {
		admin = true
	}
	reps := sortedKeys(cat.AlwaysOnReplicas)
	return resultRow(cols, serverNameOf(c.Node), int64(1), db.State, cat.Properties["IS_SCALEOUT_ENABLED"], bit(admin),
		strings.Join(reps, ","), cat.Properties["MASTER_ADDRESS"], cat.Properties["CLUSTER_LOGDB_SERVER"],
		cat.Properties["MACHINE_NAME"], cat.Properties["LAST_ONLINE_TIME"]), nil
}

func ssisdbSchemaCheck(c *OpContext, _ Params) (*script.ResultSet, error) {
	db := c.Node.SQL.Databases[ssisdbKey]
	if db == nil {
		return resultRow([]string{"present", "matches"}, int64(0), int64(0)), nil
	}
	return resultRow([]string{"present", "matches"}, int64(1), int64(1)), nil
}

func ssisdbScaleoutEnable(c *OpContext, _ Params) (*script.ResultSet, error) {
	if !callerIsSysadmin(c) {
		return nil, SQLErrorf(27260, "Only members of the sysadmin server role can perform this action.")
	}
	if c.Node.Installed["IS_Master"] == "" {
		return nil, SQLErrorf(27261, "The Scale Out Master is not installed on this server. Install it and try again.")
	}
	db, err := catalogHere(c)
	if err != nil {
		return nil, err
	}
	if err := openMasterKey(c.Node.SQL, db); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	pw := GeneratePassword()
	in.Logins[strings.ToLower(LoggingLogin)] = &Login{Name: LoggingLogin, Type: "SQL_LOGIN", SID: fmt.Sprintf("0x%032X", 0x5150000+c.nextSeq()), Password: pw}
	db.Users[strings.ToLower(LoggingUser)] = &DBUser{Name: LoggingUser, SID: in.Logins[strings.ToLower(LoggingLogin)].SID, Roles: map[string]bool{"ssis_cluster_worker": true}}
	server := serverNameOf(c.Node)
	db.Catalog.Properties["IS_SCALEOUT_ENABLED"] = "TRUE"
	db.Catalog.Properties["CLUSTER_LOGDB_SERVER"] = server
	db.Catalog.LogDBConnectionString = "Data Source=" + server + ";Initial Catalog=SSISDB;User Id=" + LoggingLogin + ";Password='" + pw + "';"
	return nil, nil
}

func ssisdbMasterUserEnsure(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	db, err := catalogHere(c)
	if err != nil {
		return nil, err
	}
	name := p.String("Login")
	l := c.Node.SQL.Logins[strings.ToLower(name)]
	if l == nil {
		return nil, SQLErrorf(15007, "'%s' is not a valid login or you do not have permission.", name)
	}
	key := strings.ToLower(name)
	if u := db.Users[key]; u != nil {
		added := !u.Roles["ssis_admin"]
		u.Roles["ssis_admin"] = true
		return resultRow([]string{"created", "role_added"}, int64(0), bit(added)), nil
	}
	db.Users[key] = &DBUser{Name: name, SID: l.SID, Roles: map[string]bool{"ssis_admin": true}}
	return resultRow([]string{"created", "role_added"}, int64(1), int64(1)), nil
}

func ssisdbUserDrop(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	db := c.Node.SQL.Databases[ssisdbKey]
	if db == nil || db.State != "ONLINE" {
		return nil, nil
	}
	delete(db.Users, strings.ToLower(p.String("User")))
	return nil, nil
}

func ssisdbDMKCredentialAdd(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	db := in.Databases[strings.ToLower(p.String("DBName"))]
	if db == nil {
		return nil, SQLErrorf(15010, "The database '%s' does not exist. Supply a valid database name. To see available databases, use sys.databases.", p.String("DBName"))
	}
	if in.MasterKeyPasswords[db.FamilyGUID] != "" {
		return resultRow([]string{"created"}, int64(0)), nil
	}
	if p.String("Password") != db.MasterKeyPassword {
		return nil, SQLErrorf(15313, "The key is not encrypted using the specified decryptor.")
	}
	in.MasterKeyPasswords[db.FamilyGUID] = p.String("Password")
	return resultRow([]string{"created"}, int64(1)), nil
}

func ssisdbDMKCredentialDrop(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	if g := p.String("FamilyGUID"); g != "" {
		delete(in.MasterKeyPasswords, g)
	}
	return nil, nil
}

func ssisdbAlwaysOnSupport(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	if in.Databases[ssisdbKey] == nil {
		return nil, SQLErrorf(911, "Database 'SSISDB' does not exist. Make sure that the name is entered correctly.")
	}
	var created []string
	// CREATE LOGIN … SID = @CleanupSID when the batch gives the primary's SID; a
	// login with another SID is dropped and created again.
	sid := ""
	switch v := p["CleanupSID"].(type) {
	case []byte:
		sid = sidHex(v)
	case string:
		sid = v
	}
	if l := in.Logins[strings.ToLower(cleanupLogin)]; l != nil && sid != "" && !strings.EqualFold(l.SID, sid) {
		delete(in.Logins, strings.ToLower(cleanupLogin))
	}
	if in.Logins[strings.ToLower(cleanupLogin)] == nil {
		if sid == "" {
			sid = fmt.Sprintf("0x%032X", c.nextSeq())
		}
		in.Logins[strings.ToLower(cleanupLogin)] = &Login{Name: cleanupLogin, Type: "SQL_LOGIN", SID: sid, Password: GeneratePassword(), Disabled: true}
		created = append(created, "login")
	}
	if !in.StartupProcs[startupProc] {
		in.StartupProcs[startupProc] = true
		created = append(created, "startup")
	}
	for _, job := range []struct{ name, created string }{{maintenanceJob, "maintenance"}, {failoverMonitorJob, "monitor"}} {
		if in.Jobs[job.name] != nil {
			continue
		}
		// The job is what the batch's sp_add_job and sp_add_jobstep calls say.
		j := jobFromBatch(in, c.Text, job.name)
		if j == nil {
			continue
		}
		if j.Owner == "" || in.Logins[strings.ToLower(j.Owner)] == nil {
			return nil, SQLErrorf(14262, "The specified @owner_login_name ('%s') does not exist.", j.Owner)
		}
		in.Jobs[job.name] = j
		created = append(created, job.created)
	}
	return resultRow([]string{"created"}, strings.Join(created, ",")), nil
}

func ssisdbAlwaysOnSupportRemove(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	for _, o := range strings.Split(p.String("Objects"), ",") {
		switch strings.TrimSpace(o) {
		case "login":
			delete(in.Logins, strings.ToLower(cleanupLogin))
		case "startup":
			delete(in.StartupProcs, startupProc)
		case "maintenance":
			delete(in.Jobs, maintenanceJob)
		case "monitor":
			delete(in.Jobs, failoverMonitorJob)
		}
	}
	return nil, nil
}

func ssisdbAlwaysOnReplicaAdd(c *OpContext, p Params) (*script.ResultSet, error) {
	db, err := catalogHere(c)
	if err != nil {
		return nil, err
	}
	s := strings.ToUpper(p.String("Server"))
	_, had := db.Catalog.AlwaysOnReplicas[s]
	state := 1
	if _, given := p["State"]; given {
		state = p.Int("State")
	}
	if !had {
		db.Catalog.AlwaysOnReplicas[s] = state
	}
	return resultRow([]string{"added"}, bit(!had)), nil
}

func ssisdbAlwaysOnReplicaRemove(c *OpContext, p Params) (*script.ResultSet, error) {
	db, err := catalogHere(c)
	if err != nil {
		return nil, nil
	}
	delete(db.Catalog.AlwaysOnReplicas, strings.ToUpper(p.String("Server")))
	return nil, nil
}

func ssisdbLogDBUpdate(c *OpContext, p Params) (*script.ResultSet, error) {
	db, err := catalogHere(c)
	if err != nil {
		return nil, err
	}
	if err := openMasterKey(c.Node.SQL, db); err != nil {
		return nil, err
	}
	prev := db.Catalog.Properties["CLUSTER_LOGDB_SERVER"]
	server := p.String("ServerName")
	pw := strings.ReplaceAll(p.String("Password"), "'", "''")
	db.Catalog.Properties["CLUSTER_LOGDB_SERVER"] = server
	db.Catalog.LogDBConnectionString = "Data Source=" + server + ";Initial Catalog=SSISDB;User Id=" + p.String("Login") + ";Password='" + pw + "';"
	return resultRow([]string{"previous_server"}, prev), nil
}

func ssisdbMasterAddressSet(c *OpContext, p Params) (*script.ResultSet, error) {
	db, err := catalogHere(c)
	if err != nil {
		return nil, err
	}
	if _, ok := p["MasterAddress"]; !ok || p["MasterAddress"] == nil {
		return nil, SQLErrorf(27100, "The @MasterAddress argument is null.")
	}
	prev := db.Catalog.Properties["MASTER_ADDRESS"]
	db.Catalog.Properties["MASTER_ADDRESS"] = p.String("MasterAddress")
	return resultRow([]string{"previous"}, prev), nil
}

func workerAgent(c *OpContext, p Params) (*Database, *WorkerAgent, error) {
	db, err := catalogHere(c)
	if err != nil {
		return nil, nil, err
	}
	return db, db.Catalog.WorkerAgents[strings.ToUpper(p.String("AgentId"))], nil
}

func ssisdbWorkerGet(c *OpContext, p Params) (*script.ResultSet, error) {
	_, wa, err := workerAgent(c, p)
	if err != nil {
		return nil, err
	}
	rs := &script.ResultSet{Columns: []string{"WorkerAgentId", "MachineName", "IsEnabled", "LastOnlineTime", "UserAccount"}}
	if wa != nil {
		rs.Rows = append(rs.Rows, []any{wa.ID, wa.MachineName, bit(wa.Enabled), wa.LastOnlineTime.UTC().Format(time.RFC3339), wa.UserAccount})
	}
	return rs, nil
}

func agentMissing(p Params) error {
	return SQLErrorf(27243, "The worker agent with ID '%s' does not exist.", p.String("AgentId"))
}

// ssisdbWorkerSetEnabled is the operation that enables a worker agent, or disables
// it when enabled is false.
func ssisdbWorkerSetEnabled(enabled bool) SQLOp {
	return func(c *OpContext, p Params) (*script.ResultSet, error) {
		_, wa, err := workerAgent(c, p)
		if err != nil {
			return nil, err
		}
		if wa == nil {
			return nil, agentMissing(p)
		}
		wa.Enabled = enabled
		return nil, nil
	}
}

func ssisdbWorkerDelete(c *OpContext, p Params) (*script.ResultSet, error) {
	db, wa, err := workerAgent(c, p)
	if err != nil {
		return nil, err
	}
	if wa != nil {
		delete(db.Catalog.WorkerAgents, strings.ToUpper(wa.ID))
	}
	return nil, nil
}

// dataSourceInstance is the local instance a data source names: ".", "(local)" and
// "localhost" are the default instance, ".\NAME" a named one.
func dataSourceInstance(ds string) string {
	ds = strings.TrimSpace(ds)
	if ds == "" {
		ds = "."
	}
	if _, inst, ok := strings.Cut(ds, `\`); ok {
		return instanceName(inst)
	}
	return DefaultInstance
}

package estate

import (
	"testing"
	"time"
)

// supportedAGEstate is agReadyEstate with the AG created, node2 joined and seeded.
func supportedAGEstate(t *testing.T) *Estate {
	t.Helper()
	e := agReadyEstate(t, SeedOptions{})
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		sqlMust(t, e, h, "sql.endpoint.ensure", Params{"Name": "Hadr_endpoint", "Port": 5022, "Accounts": ""})
	}
	sqlMust(t, e, "node1.contoso.com", "ag.create", Params{"AGName": "AG_SSIS", "Replicas": `[{"server":"NODE1"},{"server":"NODE2"}]`})
	sqlMust(t, e, "node2.contoso.com", "ag.join", Params{"AGName": "AG_SSIS"})
	return e
}

func TestCatalogOperationsNeedCLRAndTheAssemblyKeyAfterFailover(t *testing.T) {
	e := supportedAGEstate(t)
	if _, err := e.StartExecution(); err != nil {
		t.Fatalf("on the instance that created the catalog: %v", err)
	}
	if err := e.FailoverAG("node2.contoso.com", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.StartExecution(); err == nil || err.(*SQLError).Number != 6263 {
		t.Errorf("without CLR on the new primary: %v, want 6263", err)
	}
	e.Nodes["node2.contoso.com"].SQL.CLREnabled = true
	if _, err := e.StartExecution(); err == nil || err.(*SQLError).Number != 10314 {
		t.Errorf("without the assembly key and login: %v, want 10314", err)
	}
	if _, err := sqlRun(t, e, "node2.contoso.com", "sql.clr.assembly.ensure", Params{"AssemblyPath": `C:\elsewhere\x.dll`}); err == nil || err.(*SQLError).Number != 15208 {
		t.Errorf("a key from a file that does not exist: %v, want 15208", err)
	}
	sqlMust(t, e, "node2.contoso.com", "sql.clr.assembly.ensure", Params{"AssemblyPath": AssemblyPath(15)})
	if _, err := e.StartExecution(); err != nil {
		t.Errorf("with CLR, the key and its login: %v", err)
	}
}

// The old support batch embedded the monitor job's command: catalog.startup whenever
// the replica is primary.
const unconditionalMonitorBatch = `EXEC msdb.dbo.sp_add_job @job_name = N'SSIS Failover Monitor Job', @owner_login_name = N'sa';
EXEC msdb.dbo.sp_add_jobstep @job_name = N'SSIS Failover Monitor Job', @step_name = N'AlwaysOn Failover Monitor',
    @subsystem = N'TSQL', @database_name = N'msdb',
    @command = N'IF DB_ID(N''SSISDB'') IS NOT NULL AND sys.fn_hadr_is_primary_replica(N''SSISDB'') = 1 EXEC [SSISDB].[catalog].[startup];';
EXEC msdb.dbo.sp_add_jobschedule @job_name = N'SSIS Failover Monitor Job', @name = N'SSISDB Failover Monitor';`

const roleChangeMonitorBatch = `DECLARE @owner sysname = SUSER_SNAME(0x01);
EXEC msdb.dbo.sp_add_job @job_name = N'SSIS Failover Monitor Job', @owner_login_name = @owner;
EXEC msdb.dbo.sp_add_jobstep @job_name = N'SSIS Failover Monitor Job', @step_name = N'AlwaysOn Failover Monitor',
    @command = N'EXEC [SSISDB].[internal].[refresh_replica_status] @server_name = @@SERVERNAME, @status = @status OUTPUT; IF @status = 1 EXEC [SSISDB].[catalog].[startup];';`

func TestMonitorJobActsOncePerRoleChange(t *testing.T) {
	for _, tc := range []struct {
		name, batch string
		killed      bool
	}{
		{"startup on every run", unconditionalMonitorBatch, true},
		{"startup after refresh_replica_status", roleChangeMonitorBatch, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := supportedAGEstate(t)
			n := e.Nodes["node1.contoso.com"]
			j := jobFromBatch(n.SQL, tc.batch, failoverMonitorJob)
			if j.Owner != "sa" || len(j.Steps) != 1 {
				t.Fatalf("job read from the batch: %+v", j)
			}
			n.SQL.Jobs[failoverMonitorJob] = j
			_, db := (&healthCheck{e: e}).catalogNode()
			db.Catalog.AlwaysOnReplicas = map[string]int{"NODE1": 1, "NODE2": 2}
			id, err := e.StartExecution()
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
			for i := 0; i < 3; i++ {
				e.RunAgentJobs(now.Add(time.Duration(i)*MonitorJobInterval), false)
			}
			x := db.Catalog.Executions[id-1]
			if (x.Status == ExecEndedUnexpectedly) != tc.killed || x.WithoutRoleChange != tc.killed {
				t.Errorf("execution after three runs without a failover: %+v", x)
			}
			if got := hasProblem(CheckHealth(e), "although no failover happened"); got != tc.killed {
				t.Errorf("health sees an execution killed by the job: %v, want %v", got, tc.killed)
			}
		})
	}
}

func TestMonitorJobFailsOnAnUnregisteredReplica(t *testing.T) {
	e := supportedAGEstate(t)
	n := e.Nodes["node1.contoso.com"]
	n.SQL.Jobs[failoverMonitorJob] = jobFromBatch(n.SQL, roleChangeMonitorBatch, failoverMonitorJob)
	e.RunAgentJobs(time.Now(), true)
	if j := n.SQL.Jobs[failoverMonitorJob]; j.LastOutcome != jobOutcomeFailed {
		t.Errorf("refresh_replica_status for a server not in alwayson_support_state: %+v", j)
	}
}

func TestEnablingAlwaysOnStopsTheAgent(t *testing.T) {
	e := NewEstate(SeedOptions{})
	if !agentRunning(e.Nodes["node1.contoso.com"]) {
		t.Fatal("the seed's Agent is not running")
	}
	if _, err := winRun(t, e, "node1.contoso.com", "master.alwayson.enable", Params{"serverInstance": "NODE1"}); err != nil {
		t.Fatal(err)
	}
	if agentRunning(e.Nodes["node1.contoso.com"]) {
		t.Error("restarting the engine left the Agent running")
	}
}

func TestCleanupLoginTakesThePrimarySID(t *testing.T) {
	e := supportedAGEstate(t)
	primarySID := e.Nodes["node1.contoso.com"].SQL.Logins["##ms_ssisservercleanupjoblogin##"].SID
	if _, err := sqlRunText(t, e, "node2.contoso.com", "ssisdb.alwayson.support", unconditionalMonitorBatch, Params{}); err != nil {
		t.Fatal(err)
	}
	if hasProblem(CheckHealth(e), "SSIS Server Maintenance Job fails") != true {
		t.Error("a cleanup login with its own SID: health does not see the maintenance job fail")
	}
	if _, err := sqlRunText(t, e, "node2.contoso.com", "ssisdb.alwayson.support", roleChangeMonitorBatch, Params{"CleanupSID": hexSID(primarySID)}); err != nil {
		t.Fatal(err)
	}
	if got := e.Nodes["node2.contoso.com"].SQL.Logins["##ms_ssisservercleanupjoblogin##"].SID; got != primarySID {
		t.Errorf("cleanup login SID %s, want the primary's %s", got, primarySID)
	}
}

// TestMonitorJobOwnerOnAHardenedServer: with sa renamed, a job owned by the literal
// 'sa' cannot be created; the login found by SID 0x01 can own it.
func TestMonitorJobOwnerOnAHardenedServer(t *testing.T) {
	e := supportedAGEstate(t)
	in := e.Nodes["node2.contoso.com"].SQL
	sa := in.Logins["sa"]
	delete(in.Logins, "sa")
	sa.Name = "ssis_hardened_admin"
	in.Logins["ssis_hardened_admin"] = sa
	if _, err := sqlRunText(t, e, "node2.contoso.com", "ssisdb.alwayson.support", unconditionalMonitorBatch, Params{}); err == nil || err.(*SQLError).Number != 14262 {
		t.Errorf("a job owned by 'sa' on a server without sa: %v, want 14262", err)
	}
	if _, err := sqlRunText(t, e, "node2.contoso.com", "ssisdb.alwayson.support", roleChangeMonitorBatch, Params{}); err != nil {
		t.Fatal(err)
	}
	if got := in.Jobs[failoverMonitorJob].Owner; got != "ssis_hardened_admin" {
		t.Errorf("the job's owner is %q, want the login whose SID is 0x01", got)
	}
}

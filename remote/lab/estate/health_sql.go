package estate

import "strings"

// The SQL Server checks of every replica SSISDB can run on: the replicas' endpoints
// admit each other; SSISDB's CLR code can run there; the maintenance job's login maps
// to its SSISDB user; the SSIS jobs exist and the Agent that runs them runs; and no
// running execution was ended by a catalog.startup that no failover called for.

func (h *healthCheck) sqlServer() {
	ag := h.e.AG
	primary, db := h.catalogNode()
	if ag == nil || db == nil || !containsFold(ag.Databases, "SSISDB") {
		return
	}
	var cleanupSID string
	if u := db.Users[strings.ToLower(cleanupUser)]; u != nil {
		cleanupSID = u.SID
	}
	for _, n := range append([]*Node{primary}, h.replicaNodes()...) {
		when := "after an AG failover here, "
		if n == primary {
			when = ""
		}
		in := n.SQL
		if n != primary {
			if !ag.Joined[strings.ToLower(n.Host)] {
				continue
			}
			if msg := h.e.ReplicaConnectError(n); msg != "" {
				h.add(AreaSSISDB, n.Host, "CREATE LOGIN [<partner engine account>] FROM WINDOWS; GRANT CONNECT ON ENDPOINT::[<endpoint>] TO it, on each replica for every other (step 4)",
					"the replica is not connected to the primary (error %d: %s); SSISDB does not synchronize and cannot fail over here", ErrEndpointConnect, msg)
			}
		}
		if err := clrProblem(in); err != nil {
			h.add(AreaSSISDB, n.Host, "enable CLR and create "+AssemblyKey+" and "+AssemblyLogin+" with UNSAFE ASSEMBLY from the Integration Services server assembly (step 4, Always On support)",
				"%sexecutions, deployments and validations fail with error %d: %s", when, err.Number, err.Message)
		}
		if l := in.Logins[strings.ToLower(cleanupLogin)]; cleanupSID != "" && (l == nil || !strings.EqualFold(l.SID, cleanupSID)) {
			h.add(AreaSSISDB, n.Host, "CREATE LOGIN ["+cleanupLogin+"] with SID = "+cleanupSID+", the primary's (step 4, Always On support)",
				"%sthe SSIS Server Maintenance Job fails: its login %s does not map to SSISDB's %s (SID %s)", when, cleanupLogin, cleanupUser, cleanupSID)
		}
		for _, job := range []string{maintenanceJob, failoverMonitorJob} {
			j := in.Jobs[job]
			switch {
			case j == nil:
				h.add(AreaSSISDB, n.Host, "enable Always On support for SSIS on this replica (step 4)", "%sthe Agent job %q does not exist", when, job)
			case j != nil && j.LastOutcome == jobOutcomeFailed:
				h.add(AreaSSISDB, n.Host, "check the job's history (msdb.dbo.sysjobhistory) and Always On support (step 4)", "the Agent job %q failed: %s", job, j.LastMessage)
			}
		}
		if !agentRunning(n) {
			h.add(AreaSSISDB, n.Host, "Start-Service "+AgentService+" (and leave it automatic)", "SQL Server Agent is not running, so no SSIS job runs here")
		}
	}
	for _, x := range db.Catalog.Executions {
		if x.WithoutRoleChange {
			h.add(AreaSSISDB, primary.Host, "make the failover monitor job call catalog.startup only when internal.refresh_replica_status reports a role change (step 4)",
				"execution %d was ended unexpectedly by %s although no failover happened", x.ID, strings.TrimPrefix(x.EndedBy, "catalog.startup run by "))
		}
	}
}

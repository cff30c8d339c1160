package estate

import (
	"strings"
	"testing"
)

// TestNamedInstance: a named instance is HOST\NAME to T-SQL, runs as MSSQL$NAME with
// SQLAgent$NAME, and a script on the node reaches it as .\NAME, never as ".".
func TestNamedInstance(t *testing.T) {
	e := NewEstate(SeedOptions{Instance: "ssis", EngineAccount: "virtual"})
	n := e.Nodes["node1.contoso.com"]
	if got := rowOf(sqlMust(t, e, n.Host, "sql.server.facts", Params{}))["server_name"]; got != `NODE1\SSIS` {
		t.Errorf("@@SERVERNAME %v, want NODE1\\SSIS", got)
	}
	if n.Services[`mssql$ssis`] == nil || agentOf(n) == nil || agentOf(n).Name != `SQLAgent$SSIS` || n.SQL.ServiceAccount != `NT Service\MSSQL$SSIS` {
		t.Errorf("services of the named instance: %v, engine account %s", sortedKeys(n.Services), n.SQL.ServiceAccount)
	}
	if e.Node(`NODE1\SSIS`) != n {
		t.Error("a server name does not find its node")
	}
	n.Installed["IS"] = n.SQL.Version
	if _, err := winRun(t, e, n.Host, "ssisdb.catalog.create", Params{"masterKeyPassword": "Dmk#Passw0rd-1", "dataSource": "."}); err == nil || !strings.Contains(err.Error(), "error: 26") {
		t.Errorf("creating the catalog through . on a node with only a named instance: %v", err)
	}
	if _, err := winRun(t, e, n.Host, "ssisdb.catalog.create", Params{"masterKeyPassword": "Dmk#Passw0rd-1", "dataSource": `.\SSIS`}); err != nil {
		t.Errorf("through .\\SSIS: %v", err)
	}
}

// TestMigrateGivesOldStatesWhatSetupMakes: a state saved before the lab modelled the
// Agent, sa and job contents loads with them.
func TestMigrateGivesOldStatesWhatSetupMakes(t *testing.T) {
	e := NewEstate(SeedOptions{})
	n := e.Nodes["node1.contoso.com"]
	delete(n.SQL.Logins, "sa")
	delete(n.Services, "sqlserveragent")
	n.SQL.Jobs = map[string]*AgentJob{maintenanceJob: {}}
	n.SQL.AsymmetricKeys = nil
	e.Migrate()
	if loginWithSID(n.SQL, "0x01") != "sa" || agentOf(n) == nil || n.SQL.Jobs[maintenanceJob].Name != maintenanceJob || n.SQL.AsymmetricKeys == nil {
		t.Errorf("after Migrate: sa %q, agent %v, job %+v", loginWithSID(n.SQL, "0x01"), agentOf(n), n.SQL.Jobs[maintenanceJob])
	}
	var j AgentJob
	if err := j.UnmarshalJSON([]byte("true")); err != nil {
		t.Errorf("a job saved as true: %v", err)
	}
}

package estate

import (
	"strings"
	"testing"
)

func TestEngineIdentity(t *testing.T) {
	e := NewEstate(SeedOptions{EngineAccount: "virtual"})
	n := e.Nodes["node2.contoso.com"]
	if got := e.EngineIdentity(n); got != `CONTOSO\NODE2$` {
		t.Errorf("a virtual account reaches the network as %q, want the computer account CONTOSO\\NODE2$", got)
	}
	n.SQL.ServiceAccount = `CONTOSO\svc_sql`
	if got := e.EngineIdentity(n); got != `CONTOSO\svc_sql` {
		t.Errorf("a domain account is %q, want itself", got)
	}
	if !e.windowsPrincipalExists(`CONTOSO\NODE1$`) || e.windowsPrincipalExists(`CONTOSO\NODE9$`) {
		t.Error("the domain knows the computer accounts of its nodes, and only those")
	}
}

// TestEndpointWithoutConnectNeverSeeds: replicas whose engines run as virtual accounts
// reach each other as their computer accounts; until each endpoint grants CONNECT to
// the partner's, the secondary joins but never connects, is never seeded, and says why.
func TestEndpointWithoutConnectNeverSeeds(t *testing.T) {
	e := agReadyEstate(t, SeedOptions{EngineAccount: "virtual"})
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		sqlMust(t, e, h, "sql.endpoint.ensure", Params{"Name": "Hadr_endpoint", "Port": 5022, "Accounts": ""})
	}
	sqlMust(t, e, "node1.contoso.com", "ag.create", Params{"AGName": "AG_SSIS", "Replicas": `[{"server":"NODE1"},{"server":"NODE2"}]`})
	if r := rowOf(sqlMust(t, e, "node2.contoso.com", "ag.join", Params{"AGName": "AG_SSIS"})); r["seeded"] != int64(0) {
		t.Errorf("seeded without CONNECT on the endpoints: %v", r)
	}
	NewOperations().Tick(e, e.Nodes["node1.contoso.com"].Services["mssqlserver"].StartedAt)
	f := rowOf(sqlMust(t, e, "node2.contoso.com", "ag.replica.facts", Params{"AGName": "AG_SSIS"}))
	if f["ssisdb_state"] != "" || f["connected_state"] != "DISCONNECTED" || f["last_connect_error_number"] != int64(ErrEndpointConnect) ||
		!strings.Contains(f["last_connect_error_description"].(string), `The login 'CONTOSO\NODE2$' does not have CONNECT permission on the endpoint`) {
		t.Errorf("replica facts without CONNECT: %v", f)
	}
	if err := e.FailoverAG("node2.contoso.com", nil); err == nil {
		t.Error("an unconnected replica became primary")
	}
	if !hasProblem(CheckHealth(e), "not connected to the primary") {
		t.Errorf("health does not see the unconnected replica: %v", CheckHealth(e))
	}

	// The partner's computer account, on each side.
	sqlMust(t, e, "node1.contoso.com", "sql.endpoint.ensure", Params{"Name": "Hadr_endpoint", "Accounts": `CONTOSO\NODE2$`})
	if msg := e.ReplicaConnectError(e.Nodes["node2.contoso.com"]); !strings.Contains(msg, `CONTOSO\NODE1$`) {
		t.Errorf("with CONNECT one way only, the other way still fails: %q", msg)
	}
	sqlMust(t, e, "node2.contoso.com", "sql.endpoint.ensure", Params{"Name": "Hadr_endpoint", "Accounts": `CONTOSO\NODE1$`})
	NewOperations().Tick(e, e.Nodes["node1.contoso.com"].Services["mssqlserver"].StartedAt)
	f = rowOf(sqlMust(t, e, "node2.contoso.com", "ag.replica.facts", Params{"AGName": "AG_SSIS"}))
	if f["ssisdb_state"] != "RESTORING" || f["connected_state"] != "CONNECTED" {
		t.Errorf("with CONNECT both ways the replica connects and is seeded: %v", f)
	}
}

func hasProblem(ps []Problem, text string) bool {
	for _, p := range ps {
		if strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

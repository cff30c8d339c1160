package estate

import (
	"fmt"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// sqlRun calls one T-SQL operation of the table on host as the lab's DBA.
func sqlRun(t *testing.T, e *Estate, host, op string, p Params) (*script.ResultSet, error) {
	t.Helper()
	return sqlRunText(t, e, host, op, "", p)
}

// sqlRunText is sqlRun with the batch's text.
func sqlRunText(t *testing.T, e *Estate, host, op, text string, p Params) (*script.ResultSet, error) {
	t.Helper()
	fn, ok := NewOperations().SQL(op)
	if !ok {
		t.Fatalf("operation %s is not in the table", op)
	}
	c := NewOpContext(e, e.Node(host), e.Domain+`\`+AdminAccount, false, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), nil)
	c.Text = text
	return fn(c, p)
}

// sqlMust is sqlRun that fails the test on an error.
func sqlMust(t *testing.T, e *Estate, host, op string, p Params) *script.ResultSet {
	t.Helper()
	rs, err := sqlRun(t, e, host, op, p)
	if err != nil {
		t.Fatalf("%s on %s: %v", op, host, err)
	}
	return rs
}

// rowOf is the first row of a result set by column name.
func rowOf(rs *script.ResultSet) map[string]any {
	out := map[string]any{}
	if rs == nil || len(rs.Rows) == 0 {
		return out
	}
	for i, c := range rs.Columns {
		out[c] = rs.Rows[0][i]
	}
	return out
}

// agReadyEstate is the estate as steps 1 to 3 leave it: the cluster, Always On
// enabled and Integration Services with the master installed on both nodes, and the
// catalog created on node1. Nothing of the availability group exists yet.
func agReadyEstate(t *testing.T, o SeedOptions) *Estate {
	t.Helper()
	e := NewEstate(o)
	e.Cluster = &Cluster{Name: "SSISCL", IP: "10.0.0.40", Nodes: []string{"node1.contoso.com", "node2.contoso.com"}, Groups: map[string]*ClusterGroup{}}
	for _, h := range e.Cluster.Nodes {
		n := e.Nodes[h]
		n.SQL.HadrEnabled = true
		n.Installed["IS"] = n.SQL.Version
		n.Installed["IS_Master"] = n.SQL.Version
		// Steps 2 and 3 open the endpoint and instance ports between replicas.
		for _, port := range []int{5022, DefaultSQLPort} {
			name := fmt.Sprintf("SSISHA-Replica-TCP-%d", port)
			n.Firewall[name] = &FirewallRule{Name: name, Port: port, Enabled: true}
		}
	}
	if _, err := winRun(t, e, "node1.contoso.com", "ssisdb.catalog.create", Params{"masterKeyPassword": "Dmk#Passw0rd-1"}); err != nil {
		t.Fatal(err)
	}
	return e
}

package estate

import (
	"testing"
	"time"
)

// fwAGEstate is two replicas with endpoints on 5022, SSISDB on node1 and an AG both are
// in, the second not joined yet; the firewall's domain profile is on everywhere.
func fwAGEstate(t *testing.T) *Estate {
	t.Helper()
	e := NewEstate(SeedOptions{Workers: 1})
	e.Cluster = &Cluster{Name: "SSISCL", Nodes: []string{"node1.contoso.com", "node2.contoso.com"}, Groups: map[string]*ClusterGroup{}}
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		n := e.Node(h)
		n.FirewallOn = true
		n.SQL.HadrEnabled = true
		n.SQL.Endpoints["hadr_endpoint"] = &Endpoint{Name: "Hadr_endpoint", Port: 5022, State: "STARTED"}
	}
	e.Node("worker1.contoso.com").FirewallOn = true
	e.Node("node1.contoso.com").SQL.Databases[ssisdbKey] = &Database{Name: "SSISDB", Recovery: "FULL", State: "ONLINE", FamilyGUID: "F", Users: map[string]*DBUser{}}
	e.AG = &AvailabilityGroup{Name: "AG_SSIS", Primary: "node1.contoso.com", Replicas: []string{"node1.contoso.com", "node2.contoso.com"},
		Joined: map[string]bool{"node1.contoso.com": true}, Databases: []string{"SSISDB"}}
	return e
}

func fwJoin(t *testing.T, e *Estate) int64 {
	t.Helper()
	fn, _ := NewOperations().SQL("ag.join")
	c := NewOpContext(e, e.Node("node2.contoso.com"), e.Domain+`\`+AdminAccount, false, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), nil)
	rs, err := fn(c, Params{"AGName": "AG_SSIS"})
	if err != nil {
		t.Fatal(err)
	}
	return rs.Rows[0][0].(int64)
}

func TestFirewallBlocksSeedingUntilBothEndpointsAreOpen(t *testing.T) {
	e := fwAGEstate(t)
	// Only the secondary opens its endpoint: the primary's stays closed.
	e.Node("node2.contoso.com").Firewall["ep"] = &FirewallRule{Name: "ep", Port: 5022, Enabled: true}
	if seeded := fwJoin(t, e); seeded != 0 || e.Node("node2.contoso.com").SQL.Databases[ssisdbKey] != nil {
		t.Fatal("SSISDB was seeded through a closed endpoint port")
	}
	if !hasProblem(CheckHealth(e), "firewall blocks the database mirroring endpoint") {
		t.Errorf("health does not name the blocked endpoint: %v", CheckHealth(e))
	}

	e = fwAGEstate(t)
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		e.Node(h).Firewall["ep"] = &FirewallRule{Name: "ep", Port: 5022, Enabled: true}
	}
	if seeded := fwJoin(t, e); seeded != 1 {
		t.Fatal("SSISDB was not seeded with both endpoint ports open")
	}
	if hasProblem(CheckHealth(e), "firewall") {
		t.Errorf("a firewall problem with every port open: %v", CheckHealth(e))
	}
}

func TestFirewallRulesAreInboundPerPort(t *testing.T) {
	n := newNode("node1.contoso.com", "master", "10.0.0.11")
	other := newNode("node2.contoso.com", "master", "10.0.0.12")
	n.FirewallOn = true
	if n.admits(1433) || reaches(other, n, 1433) {
		t.Fatal("a closed port admits traffic")
	}
	if !reaches(n, n, 1433) {
		t.Error("traffic within a machine was filtered")
	}
	n.Firewall["sql"] = &FirewallRule{Name: "sql", Port: 1433, Enabled: false}
	if n.admits(1433) {
		t.Error("a disabled rule opened the port")
	}
	n.Firewall["sql"].Enabled = true
	if !n.admits(1433) || n.admits(1434) {
		t.Error("a rule for 1433 should open exactly 1433")
	}
}

func TestSQLPortOfAName(t *testing.T) {
	e := NewEstate(SeedOptions{})
	e.AG = &AvailabilityGroup{Listener: &AGListener{DNSName: "ssislsn", Port: 14330}}
	for name, want := range map[string]int{"ssislsn": 14330, "SSISLSN.contoso.com": 14330, "node1,1533": 1533, `node1\INST`: DefaultSQLPort, "node1": DefaultSQLPort} {
		if got := sqlPortOf(e, name); got != want {
			t.Errorf("sqlPortOf(%q) = %d, want %d", name, got, want)
		}
	}
}

package lab

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// The scripts here carry only what the operations read: the op line and parameters.
// The templates themselves are golden-tested where they are written.

// foDirect is a Direct over e whose clock-driven state (the master's heartbeat) has
// already been brought up to date, so that comparisons see only what operations do.
func foDirect(e *estate.Estate) *Direct {
	d := NewDirect(e)
	d.Advance(0)
	return d
}

func foSQL(t *testing.T, d *Direct, host, op string) (map[string]any, error) {
	t.Helper()
	rs, err := d.SQL(context.Background(), host, script.TSQL{Op: op, Text: "SELECT 1;", Params: []script.Param{{Name: "Database", Value: "SSISDB"}}})
	if err != nil {
		return nil, err
	}
	if m := rs.Maps(); len(m) > 0 {
		return m[0], nil
	}
	return nil, nil
}

func foPS(t *testing.T, d *Direct, host, op, node string) (map[string]any, error) {
	t.Helper()
	raw, err := d.PowerShell(context.Background(), host, script.PowerShell{Op: op, Body: "$r = $null",
		Params: map[string]any{"name": "ssismaster", "serviceName": fxMasterSvc, "node": node, "timeoutSec": 300}})
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// foState is what a failover may change: the AG, the cluster's roles, and on each
// master node its services and databases. (The rest moves with the lab's clock.)
func foState(t *testing.T, e *estate.Estate) string {
	t.Helper()
	type node struct {
		Services  map[string]*estate.Service
		Databases map[string]*estate.Database
	}
	nodes := map[string]node{}
	for _, h := range []string{fxNode1, fxNode2} {
		n := e.Nodes[h]
		nodes[h] = node{n.Services, n.SQL.Databases}
	}
	b, err := json.Marshal(struct {
		AG      *estate.AvailabilityGroup
		Cluster *estate.Cluster
		Nodes   map[string]node
	}{e.AG, e.Cluster, nodes})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFailoverAGMoveAndBack(t *testing.T) {
	e := healthyEstate(t)
	d := foDirect(e)
	res, err := foSQL(t, d, fxNode2, "failover.ag.move")
	if err != nil {
		t.Fatal(err)
	}
	if res["moved"] != int64(1) || res["local_role"] != "PRIMARY" || res["ag_name"] != "AG_SSIS" {
		t.Errorf("move result %v", res)
	}
	// Every replica now names node2 as primary, and the listener reaches it.
	for _, h := range []string{fxNode1, fxNode2, remote.Listener} {
		got, err := foSQL(t, d, h, "failover.ag.primary")
		if err != nil {
			t.Fatal(err)
		}
		if got["primary_replica"] != "NODE2" {
			t.Errorf("%s says the primary is %v", h, got["primary_replica"])
		}
		if h == remote.Listener && got["server_name"] != "NODE2" {
			t.Errorf("the listener reaches %v", got["server_name"])
		}
	}
	if e.Nodes[fxNode2].SQL.Databases["ssisdb"].Catalog == nil || e.Cluster.Groups["ag_ssis"].Owner != fxNode2 {
		t.Error("the catalog or the AG's cluster role did not follow the primary")
	}
	// Again on the primary: nothing to do.
	if res, err = foSQL(t, d, fxNode2, "failover.ag.move"); err != nil || res["moved"] != int64(0) {
		t.Errorf("a second move: %v %v", res, err)
	}
	if _, err := foSQL(t, d, fxNode1, "failover.ag.move"); err != nil {
		t.Fatal(err)
	}
	if e.AG.Primary != fxNode1 || e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog == nil {
		t.Errorf("moving back left the primary on %s", e.AG.Primary)
	}
}

func TestFailoverAGMoveRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *estate.Estate)
		want  string
	}{
		{"not synchronized", func(e *estate.Estate) {
			// Without its endpoint the replica cannot connect, so seeding cannot bring the copy back.
			e.Nodes[fxNode2].SQL.Endpoints = map[string]*estate.Endpoint{}
			delete(e.Nodes[fxNode2].SQL.Databases, "ssisdb")
		}, "NOT SYNCHRONIZING, not SYNCHRONIZED"},
		{"partner refused at the endpoint", func(e *estate.Estate) {
			delete(e.Nodes[fxNode1].SQL.Logins, `contoso\svc_sql`)
		}, "NOT SYNCHRONIZING, not SYNCHRONIZED"},
		{"instance stopped", func(e *estate.Estate) { e.Nodes[fxNode2].SQL.Running = false }, "not SYNCHRONIZED"},
		{"not joined", func(e *estate.Estate) { e.AG.Joined[fxNode2] = false }, "has not joined"},
		{"not a replica", func(e *estate.Estate) { e.AG.Replicas = e.AG.Replicas[:1] }, "no availability group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := healthyEstate(t)
			tt.setup(e)
			d := foDirect(e)
			before := foState(t, e)
			_, err := foSQL(t, d, fxNode2, "failover.ag.move")
			var se *remote.SQLError
			if !errors.As(err, &se) || se.Number != 50000 || !strings.Contains(se.Message, tt.want) || !strings.Contains(se.Message, "NODE2") {
				t.Fatalf("got %v, want error 50000 naming NODE2 and %q", err, tt.want)
			}
			if foState(t, e) != before {
				t.Error("a refused failover changed the estate")
			}
		})
	}
}

func TestFailoverRoleMoveAndBack(t *testing.T) {
	e := healthyEstate(t)
	d := foDirect(e)
	res, err := foPS(t, d, fxNode2, "failover.role.move", "NODE2")
	if err != nil {
		t.Fatal(err)
	}
	if res["owner"] != "NODE2" || res["state"] != "Online" || res["service"] != "Running" || res["moved"] != true {
		t.Errorf("move result %v", res)
	}
	svc1, svc2 := e.Nodes[fxNode1].Services["ssisscaleoutmaster150"], e.Nodes[fxNode2].Services["ssisscaleoutmaster150"]
	if svc1.State != "Stopped" || svc2.State != "Running" || svc2.StartedAt.IsZero() {
		t.Errorf("node1 %s, node2 %s started %v", svc1.State, svc2.State, svc2.StartedAt)
	}
	owner, err := foPS(t, d, fxNode1, "failover.role.owner", "")
	if err != nil {
		t.Fatal(err)
	}
	if owner["owner"] != "NODE2" || owner["state"] != "Online" || owner["service"] != "Stopped" || owner["node"] != "NODE1" {
		t.Errorf("owner read on node1: %v", owner)
	}
	if res, err = foPS(t, d, fxNode2, "failover.role.move", "NODE2"); err != nil || res["moved"] != false {
		t.Errorf("a second move: %v %v", res, err)
	}
	if _, err := foPS(t, d, fxNode1, "failover.role.move", "NODE1"); err != nil {
		t.Fatal(err)
	}
	if g := e.Cluster.Groups["ssismaster"]; g.Owner != fxNode1 || g.State != "Online" || svc1.State != "Running" || svc2.State != "Stopped" {
		t.Errorf("moving back: role %s on %s, node1 %s, node2 %s", g.State, g.Owner, svc1.State, svc2.State)
	}
}

func TestFailoverRoleMoveRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *estate.Estate)
		node  string
		want  string
	}{
		{"service missing", func(e *estate.Estate) { delete(e.Nodes[fxNode2].Services, "ssisscaleoutmaster150") }, "NODE2", "not installed on NODE2"},
		{"not a possible owner", func(e *estate.Estate) { e.Cluster.Groups["ssismaster"].PossibleOwners = []string{fxNode1} }, "NODE2", "NODE2 is not a possible owner"},
		{"no role", func(e *estate.Estate) { delete(e.Cluster.Groups, "ssismaster") }, "NODE2", "step 7"},
		{"run elsewhere", nil, "NODE1", "ran on NODE2, not NODE1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := healthyEstate(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			d := foDirect(e)
			before := foState(t, e)
			_, err := foPS(t, d, fxNode2, "failover.role.move", tt.node)
			var se *remote.ScriptError
			if !errors.As(err, &se) || !strings.Contains(se.Message, tt.want) {
				t.Fatalf("got %v, want a script error about %q", err, tt.want)
			}
			// Refused before the move: the role keeps running where it was.
			if foState(t, e) != before {
				t.Error("a refused move changed the estate")
			}
		})
	}
}

func TestFailoverReadsChangeNothing(t *testing.T) {
	e := healthyEstate(t)
	d := foDirect(e)
	before := foState(t, e)
	for _, h := range []string{fxNode1, fxNode2} {
		if _, err := foSQL(t, d, h, "failover.ag.primary"); err != nil {
			t.Fatal(err)
		}
		if _, err := foPS(t, d, h, "failover.role.owner", ""); err != nil {
			t.Fatal(err)
		}
	}
	if foState(t, e) != before {
		t.Error("a read changed the estate")
	}
}

package lab

import (
	"errors"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

func TestFailoverAGMovesTheCatalog(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	if err := l.FailoverAG("NODE2"); err != nil {
		t.Fatal(err)
	}
	l.Estate(func(e *estate.Estate) {
		if e.AG.Primary != fxNode2 {
			t.Errorf("primary %s", e.AG.Primary)
		}
		old, cur := e.Nodes[fxNode1].SQL.Databases["ssisdb"], e.Nodes[fxNode2].SQL.Databases["ssisdb"]
		if cur.Catalog == nil || old.Catalog != nil {
			t.Error("the catalog did not move to the new primary's copy")
		}
		if cur.State != "ONLINE" || old.State != "RESTORING" {
			t.Errorf("states: new primary %s, old primary %s", cur.State, old.State)
		}
		if cur.EncryptedByServer || !old.EncryptedByServer {
			t.Error("service master key encryption must stay with each copy")
		}
		if e.Cluster.Groups["ag_ssis"].Owner != fxNode2 {
			t.Error("the AG's cluster role did not follow")
		}
	})
	if err := l.FailoverAG(fxNode2); err != nil {
		t.Errorf("failing over to the primary: %v", err)
	}
}

func TestFailoverAGRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *estate.Estate)
		to    string
		want  string
	}{
		{"no AG", func(e *estate.Estate) { e.AG = nil }, fxNode2, "no availability group"},
		{"unknown node", nil, "node9", "no such node"},
		{"not a replica", func(e *estate.Estate) { e.AG.Replicas = e.AG.Replicas[:1] }, fxNode2, "not a replica"},
		{"not joined", func(e *estate.Estate) { e.AG.Joined[fxNode2] = false }, fxNode2, "has not joined"},
		{"not synchronized", func(e *estate.Estate) { delete(e.Nodes[fxNode2].SQL.Databases, "ssisdb") }, fxNode2, "not synchronized"},
		{"instance stopped", func(e *estate.Estate) { e.Nodes[fxNode2].SQL.Running = false }, fxNode2, "not running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLab(t, healthyEstate(t), Options{})
			if tt.setup != nil {
				l.Estate(tt.setup)
			}
			err := l.FailoverAG(tt.to)
			var fe *estate.FailoverError
			if !errors.As(err, &fe) || !strings.Contains(fe.Message, tt.want) || fe.Fix == "" {
				t.Fatalf("got %v, want a FailoverError about %q with a fix", err, tt.want)
			}
			l.Estate(func(e *estate.Estate) {
				if e.AG != nil && e.AG.Primary != fxNode1 {
					t.Error("a refused failover moved the primary")
				}
			})
		})
	}
}

func TestFailoverMasterRole(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(e *estate.Estate)
		want      string // "" = success
		wantState string
	}{
		{"moves the service", nil, "", "Online"},
		{"service missing", func(e *estate.Estate) { delete(e.Nodes[fxNode2].Services, "ssisscaleoutmaster150") }, "not installed", "Failed"},
		{"wrong password", func(e *estate.Estate) { e.Nodes[fxNode2].Services["ssisscaleoutmaster150"].Password = "stale" }, "password", "Failed"},
		{"account disabled", func(e *estate.Estate) { e.Accounts[`contoso\svc_ssismaster`].Enabled = false }, "disabled", "Failed"},
		{"not a possible owner", func(e *estate.Estate) { e.Cluster.Groups["ssismaster"].PossibleOwners = []string{fxNode1} }, "possible owner", "Online"},
		{"no role", func(e *estate.Estate) { delete(e.Cluster.Groups, "ssismaster") }, "no Generic Service role", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLab(t, healthyEstate(t), Options{})
			if tt.setup != nil {
				l.Estate(tt.setup)
			}
			err := l.FailoverMasterRole("node2")
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var fe *estate.FailoverError
				if !errors.As(err, &fe) || !strings.Contains(fe.Message, tt.want) {
					t.Fatalf("got %v, want a FailoverError about %q", err, tt.want)
				}
			}
			l.Estate(func(e *estate.Estate) {
				g := e.MasterRole()
				if g == nil {
					return
				}
				if g.State != tt.wantState {
					t.Errorf("role state %s, want %s", g.State, tt.wantState)
				}
				svc1 := e.Nodes[fxNode1].Services["ssisscaleoutmaster150"]
				svc2 := e.Nodes[fxNode2].Services["ssisscaleoutmaster150"]
				switch {
				case tt.want == "":
					if g.Owner != fxNode2 || svc1.State != "Stopped" || svc2.State != "Running" {
						t.Errorf("owner %s, node1 %s, node2 %s", g.Owner, svc1.State, svc2.State)
					}
				case tt.wantState == "Failed":
					if g.Owner != fxNode2 || svc1.State != "Stopped" || (svc2 != nil && svc2.State == "Running") {
						t.Errorf("failed move: owner %s, node1 %s", g.Owner, svc1.State)
					}
				}
			})
		})
	}
}

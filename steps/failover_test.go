package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

const (
	foNode1 = "node1.contoso.com"
	foNode2 = "node2.contoso.com"
)

// TestFailoverTemplatesGolden holds the displayed text of the failover scripts.
func TestFailoverTemplatesGolden(t *testing.T) {
	ps := map[string]script.PowerShell{
		"failover-role.owner": psFailoverRoleOwner("ssismaster", "SSISScaleOutMaster150"),
		"failover-role.move":  psFailoverRoleMove("ssismaster", "SSISScaleOutMaster150", "NODE2", 300),
	}
	for name, s := range ps {
		text := s.Display()
		if !strings.HasPrefix(text, script.OpPrefixPS+s.Op+"\n") || strings.Count(text, psWinResultLine) != 1 || !strings.HasSuffix(text, psWinResultLine) {
			t.Errorf("%s does not start with its op line or end with exactly one JSON result", name)
		}
		if op, params, err := script.ParsePowerShell(s.Render()); err != nil || op != s.Op || len(params) != len(s.Params) {
			t.Errorf("%s does not parse back: %v", name, err)
		}
		checkGolden(t, name+".ps1", text)
	}
	sql := map[string]script.TSQL{
		"failover-ag.primary": tsqlFailoverAGPrimary("SSISDB"),
		"failover-ag.move":    tsqlFailoverAGMove("SSISDB"),
	}
	for name, b := range sql {
		if op, err := script.ParseOpSQL(b.Statement()); err != nil || op != b.Op {
			t.Errorf("%s does not name its operation: %q %v", name, op, err)
		}
		checkGolden(t, name+".sql", b.Display())
	}
	if !tsqlFailoverAGPrimary("SSISDB").ReadOnly || !psFailoverRoleOwner("x", "y").ReadOnly {
		t.Error("the owner reads must be read-only, so they may be retried")
	}
	if tsqlFailoverAGMove("SSISDB").ReadOnly || psFailoverRoleMove("x", "y", "N", 1).ReadOnly {
		t.Error("the moves change the estate and must not be marked read-only")
	}
}

// newFailoverLab is the estate after every step that the failover test needs: the
// cluster, both masters, SSISDB in the AG with its listener, and the master role, all
// on node1.
func newFailoverLab(t *testing.T) *haLab {
	t.Helper()
	l := newHALab(t, true)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	return l
}

func wantOwners(t *testing.T, l *haLab, ag, role string) {
	t.Helper()
	gotAG, gotRole, err := Owners(context.Background(), l.env)
	if err != nil {
		t.Fatal(err)
	}
	if gotAG != ag || gotRole != role {
		t.Fatalf("owners: AG primary %s, master role %s; want %s and %s", gotAG, gotRole, ag, role)
	}
}

func TestFailoverTourMovesAndRestores(t *testing.T) {
	l := newFailoverLab(t)
	ctx := context.Background()
	wantOwners(t, l, foNode1, foNode1)
	origin, stops, err := FailoverStops(ctx, l.env)
	if err != nil {
		t.Fatal(err)
	}
	if origin != foNode1 || strings.Join(stops, ",") != foNode2+","+foNode1 {
		t.Fatalf("origin %s, stops %v; want node1 and [node2 node1]", origin, stops)
	}
	svc := strings.ToLower(l.env.Version.MasterService())
	for _, stop := range stops {
		if err := MoveAvailabilityGroup(ctx, l.env, stop); err != nil {
			t.Fatalf("moving the AG to %s: %v", stop, err)
		}
		if err := MoveMasterRole(ctx, l.env, stop); err != nil {
			t.Fatalf("moving the master role to %s: %v", stop, err)
		}
		wantOwners(t, l, stop, stop)
		// What a client sees: the listener reaches the new primary, the catalog is
		// there, and the master runs on that node only.
		if got := l.e.AG.Primary; got != stop {
			t.Errorf("estate primary %s after moving to %s", got, stop)
		}
		for _, h := range []string{foNode1, foNode2} {
			want := "Stopped"
			if h == stop {
				want = "Running"
			}
			if got := l.e.Nodes[h].Services[svc].State; got != want {
				t.Errorf("after moving to %s: master service on %s is %s, want %s", stop, h, got, want)
			}
			if hasCatalog := l.e.Nodes[h].SQL.Databases["ssisdb"].Catalog != nil; hasCatalog != (h == stop) {
				t.Errorf("after moving to %s: catalog on %s = %v", stop, h, hasCatalog)
			}
		}
	}
	wantOwners(t, l, foNode1, foNode1)
	// A move to where things already are changes nothing and still succeeds.
	calls := len(l.d.Calls)
	if err := MoveAvailabilityGroup(ctx, l.env, foNode1); err != nil {
		t.Fatal(err)
	}
	if err := MoveMasterRole(ctx, l.env, foNode1); err != nil {
		t.Fatal(err)
	}
	for _, c := range l.d.Calls[calls:] {
		if strings.HasSuffix(c, " failover.ag.move") {
			t.Errorf("a move to the primary ran the failover batch: %s", c)
		}
	}
	wantOwners(t, l, foNode1, foNode1)
}

func TestMoveAvailabilityGroupRefusesUnsynchronizedReplica(t *testing.T) {
	l := newFailoverLab(t)
	// Without its endpoint the replica cannot connect, so automatic seeding cannot
	// bring the copy back.
	l.e.Nodes[foNode2].SQL.Endpoints = map[string]*estate.Endpoint{}
	delete(l.e.Nodes[foNode2].SQL.Databases, "ssisdb")
	err := MoveAvailabilityGroup(context.Background(), l.env, foNode2)
	if err == nil {
		t.Fatal("a failover to a replica that is not synchronized was not refused")
	}
	for _, want := range []string{foNode2, "not SYNCHRONIZED", "NOT SYNCHRONIZING", "AG_SSIS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for _, c := range l.d.Calls {
		if strings.HasSuffix(c, " failover.ag.move") {
			t.Errorf("the failover batch ran although the pre-check refused: %s", c)
		}
	}
	if l.e.AG.Primary != foNode1 {
		t.Errorf("a refused failover moved the primary to %s", l.e.AG.Primary)
	}
}

func TestMoveMasterRoleToNodeWithoutService(t *testing.T) {
	l := newFailoverLab(t)
	svc := strings.ToLower(l.env.Version.MasterService())
	delete(l.e.Nodes[foNode2].Services, svc)
	err := MoveMasterRole(context.Background(), l.env, foNode2)
	if err == nil {
		t.Fatal("moving the role to a node without the service succeeded")
	}
	for _, want := range []string{foNode2, "NODE2", "not installed", "step 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// The check comes before Move-ClusterGroup, so the role keeps running where it was
	// instead of failing on a node that cannot run it.
	g := l.e.Cluster.Groups["ssismaster"]
	if g.Owner != foNode1 || g.State != "Online" || l.e.Nodes[foNode1].Services[svc].State != "Running" {
		t.Errorf("role %s on %s, node1 service %s; want Online on node1, Running", g.State, g.Owner, l.e.Nodes[foNode1].Services[svc].State)
	}
}

func TestFailoverRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("roles apart", func(t *testing.T) {
		l := newFailoverLab(t)
		if err := MoveMasterRole(ctx, l.env, foNode2); err != nil {
			t.Fatal(err)
		}
		_, _, err := FailoverStops(ctx, l.env)
		if err == nil || !strings.Contains(err.Error(), foNode1) || !strings.Contains(err.Error(), foNode2) || !strings.Contains(err.Error(), "Move-ClusterGroup") {
			t.Errorf("got %v, want a refusal naming both nodes and the fix", err)
		}
	})
	t.Run("role not online", func(t *testing.T) {
		l := newFailoverLab(t)
		l.e.Cluster.Groups["ssismaster"].State = "Failed"
		if _, _, err := FailoverStops(ctx, l.env); err == nil || !strings.Contains(err.Error(), "Failed") || !strings.Contains(err.Error(), "Start-ClusterGroup") {
			t.Errorf("got %v, want a refusal saying the role is Failed", err)
		}
	})
	t.Run("one master", func(t *testing.T) {
		l := newFailoverLab(t)
		l.env.Answers.Masters = l.env.Answers.Masters[:1]
		if _, _, err := FailoverStops(ctx, l.env); err == nil || !strings.Contains(err.Error(), "nowhere to fail over") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("not a master", func(t *testing.T) {
		l := newFailoverLab(t)
		for _, move := range []func(context.Context, *Env, string) error{MoveAvailabilityGroup, MoveMasterRole} {
			if err := move(ctx, l.env, "worker1.contoso.com"); err == nil || !strings.Contains(err.Error(), "worker1.contoso.com is not one of the master nodes") {
				t.Errorf("got %v", err)
			}
		}
	})
	t.Run("no role", func(t *testing.T) {
		l := newHALab(t, false)
		l.apply(t, NewAvailabilityGroupStep(), nil)
		if _, _, err := Owners(ctx, l.env); err == nil || !strings.Contains(err.Error(), "step 7") {
			t.Errorf("got %v, want the missing role named with step 7", err)
		}
	})
}

package steps

import (
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// winPrepared is the lab after steps 1, 2 and 3.
func winPrepared(t *testing.T) *winLab {
	t.Helper()
	l := newWinLab(t)
	c := NewClusterStep()
	l.applyTargets(t, c, l.targets(c))
	for _, s := range []Step{NewPrimaryMasterStep(), NewSecondaryMasterStep()} {
		l.applyTargets(t, s, l.targets(s))
	}
	return l
}

func TestClusterRoleStepLifecycle(t *testing.T) {
	l := winPrepared(t)
	s := NewClusterRoleStep()
	before := l.snapshot(t)
	det := l.detect(t, s, l.targets(s)[0])
	if det.State != StatePending || winActionIDs(det.Actions) != "set-master-services-manual,create-master-role" {
		t.Fatalf("detect: %s %s (%s)", det.State, winActionIDs(det.Actions), det.Reason)
	}
	applied := l.applyTargets(t, s, l.targets(s))
	g := l.estate.Cluster.Groups["ssismaster"]
	if g == nil || g.Type != "GenericService" || g.ServiceName != "SSISScaleOutMaster150" || g.IP != "10.0.0.60" || g.Owner != "node1.contoso.com" || g.State != "Online" {
		t.Fatalf("role: %+v", g)
	}
	// The plan says possible owners: the role's resources carry them, not the group.
	if strings.Join(g.PossibleOwners, ",") != "node1.contoso.com,node2.contoso.com" || len(g.PreferredOwners) != 0 {
		t.Errorf("possible owners %v, preferred owners %v; want the master nodes as possible owners", g.PossibleOwners, g.PreferredOwners)
	}
	if l.estate.DNS["ssismaster.contoso.com"] != "10.0.0.60" {
		t.Errorf("access point not in DNS")
	}
	for host, want := range map[string]string{"node1.contoso.com": "Running", "node2.contoso.com": "Stopped"} {
		svc := l.node(host).Services["ssisscaleoutmaster150"]
		if svc.StartMode != "Manual" || svc.State != want {
			t.Errorf("%s: %s %s, want Manual %s", host, svc.StartMode, svc.State, want)
		}
	}
	l.expectDone(t, s)
	l.expectVerified(t, s)
	l.undoAll(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate")
	}
}

func TestClusterRoleStepUndoKeepsAPrestagedComputerObject(t *testing.T) {
	l := winPrepared(t)
	// AD admins pre-staged the access point's computer object, disabled, for the
	// cluster to take over.
	l.estate.ComputerObjects = map[string]*estate.ComputerObject{"ssismaster": {WhenCreated: l.direct.Now.Add(-72 * time.Hour)}}
	s := NewClusterRoleStep()
	applied := l.applyTargets(t, s, l.targets(s))
	if g := l.estate.Cluster.Groups["ssismaster"]; g == nil || g.State != "Online" {
		t.Fatalf("role on a pre-staged computer object: %+v", g)
	}
	l.undoAll(t, s, applied)
	if vco := l.estate.ComputerObjects["ssismaster"]; vco == nil || vco.Enabled {
		t.Errorf("undo deleted the pre-staged computer object, or left it enabled: %+v", vco)
	}

	// One the role made is deleted with it.
	l = winPrepared(t)
	applied = l.applyTargets(t, s, l.targets(s))
	l.undoAll(t, s, applied)
	if _, ok := l.estate.ComputerObjects["ssismaster"]; ok {
		t.Error("undo left the computer object the role created")
	}
}

func TestClusterRoleStepCorrectsAutomaticServices(t *testing.T) {
	l := winPrepared(t)
	s := NewClusterRoleStep()
	l.applyTargets(t, s, l.targets(s))
	l.node("node2.contoso.com").Services["ssisscaleoutmaster150"].StartMode = "Auto"
	det := l.detect(t, s, l.targets(s)[0])
	if det.State != StateDrift || winActionIDs(det.Actions) != actServicesManual.ID {
		t.Fatalf("automatic service on a non-owner: %s %s", det.State, winActionIDs(det.Actions))
	}
	l.applyTargets(t, s, l.targets(s))
	l.expectDone(t, s)
}

func TestClusterRoleStepBlocked(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(l *winLab)
		reason string
	}{
		{"access point in DNS", func(l *winLab) { l.estate.DNS["ssismaster"] = "10.0.0.77" }, "already in DNS"},
		{"access point reuses the listener", func(l *winLab) { l.env.Answers.AvailabilityGroup.Listener.DNSName = "ssismaster" }, "reuses the name"},
		{"service missing on a node", func(l *winLab) { delete(l.node("node2.contoso.com").Services, "ssisscaleoutmaster150") }, "missing on node2"},
		{"no cluster", func(l *winLab) { l.estate.Cluster = nil }, "no failover cluster"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := winPrepared(t)
			tc.setup(l)
			s := NewClusterRoleStep()
			det := l.detect(t, s, l.targets(s)[0])
			if det.State != StateBlocked || !strings.Contains(det.Reason, tc.reason) || det.Fix == "" {
				t.Fatalf("got %s %q (fix %q), want blocked with %q", det.State, det.Reason, det.Fix, tc.reason)
			}
		})
	}
}

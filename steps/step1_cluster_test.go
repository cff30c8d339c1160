package steps

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

func TestClusterStepLifecycle(t *testing.T) {
	l := newWinLab(t)
	s := NewClusterStep()
	before := l.snapshot(t)
	tgs := l.targets(s)
	if got := winActionIDs(l.detect(t, s, tgs[0]).Actions); got != "install-failover-clustering" {
		t.Fatalf("first master's actions = %q", got)
	}
	if got := winActionIDs(l.detect(t, s, tgs[1]).Actions); got != "install-failover-clustering,create-cluster,set-witness" {
		t.Fatalf("last master's actions = %q", got)
	}
	// In the engine's order: the last master creates the cluster once every node has
	// the feature.
	applied := l.applyTargets(t, s, tgs)
	if l.estate.Cluster == nil || l.estate.Cluster.Name != "SSISCL" || len(l.estate.Cluster.Nodes) != 2 {
		t.Fatalf("cluster after apply: %+v", l.estate.Cluster)
	}
	if l.estate.DNS["ssiscl"] != "10.0.0.40" {
		t.Errorf("cluster name not in DNS: %v", l.estate.DNS)
	}
	if w := l.estate.Cluster.Witness; w != l.env.Answers.Cluster.Witness {
		t.Errorf("cluster witness %q, want %q", w, l.env.Answers.Cluster.Witness)
	}
	l.expectDone(t, s)
	l.expectVerified(t, s, "Quorum witness")
	l.undoAll(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate")
	}
}

func TestClusterStepCreateWaitsForEveryNode(t *testing.T) {
	l := newWinLab(t)
	s := NewClusterStep()
	det := l.detect(t, s, l.targets(s)[1])
	for _, a := range det.Actions {
		_, err := applyAction(s, context.Background(), l.env, l.targets(s)[1], a)
		if a.ID == actCreateCluster.ID {
			if err == nil || !strings.Contains(err.Error(), "node1.contoso.com") {
				t.Fatalf("create without the feature on node1: %v", err)
			}
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if l.estate.Cluster != nil {
		t.Fatal("cluster created without the feature on every node")
	}
}

func TestClusterStepBlocked(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(l *winLab)
		reason string
	}{
		{"name already in DNS", func(l *winLab) { l.estate.DNS["ssiscl"] = "10.0.0.99" }, "already in DNS"},
		{"creation not allowed", func(l *winLab) { l.env.Answers.Cluster.Create = false }, "no failover cluster"},
		{"address in use", func(l *winLab) { l.env.Answers.Cluster.StaticAddress = "10.0.0.12/24" }, "already in use"},
		{"no operator credentials", func(l *winLab) { l.env.Answers.Connection.WinRM.User = "" }, "scheduled task"},
		{"other cluster", func(l *winLab) {
			s := NewClusterStep()
			l.applyTargets(t, s, l.targets(s))
			l.env.Answers.Cluster.Name = "OTHERCL"
		}, "already belongs to cluster SSISCL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newWinLab(t)
			tc.setup(l)
			det := l.detect(t, NewClusterStep(), l.targets(NewClusterStep())[1])
			if det.State != StateBlocked || !strings.Contains(det.Reason, tc.reason) || det.Fix == "" {
				t.Fatalf("got %s %q (fix %q), want blocked with %q", det.State, det.Reason, det.Fix, tc.reason)
			}
		})
	}
}

func TestClusterStepNeverRemovesAForeignCluster(t *testing.T) {
	l := newWinLab(t)
	err := undoAction(NewClusterStep(), context.Background(), l.env, l.targets(NewClusterStep())[1], actCreateCluster.ID, undoJSON(clusterUndo{Name: "SSISCL", Created: false}))
	if !errors.Is(err, ErrIrreversible) {
		t.Fatalf("undo of a cluster ssisha did not create: %v", err)
	}
}

// An existing cluster with another witness (or none) gets the answers' witness, and
// undo puts the old one back; a share that does not exist fails the action with
// what to check.
func TestClusterStepWitness(t *testing.T) {
	l := newWinLab(t)
	s := NewClusterStep()
	tgs := l.targets(s)
	l.applyTargets(t, s, tgs)
	old := `\\fs01.contoso.com\witness\OLD`
	l.estate.Cluster.Witness = old
	det := l.detect(t, s, tgs[1])
	if got := winActionIDs(det.Actions); got != "set-witness" {
		t.Fatalf("actions with another witness = %q, want set-witness", got)
	}
	if !strings.Contains(det.Actions[0].Summary, "from "+old) {
		t.Errorf("summary %q does not name the witness it replaces", det.Actions[0].Summary)
	}
	undo, err := applyAction(s, context.Background(), l.env, tgs[1], det.Actions[0])
	if err != nil {
		t.Fatal(err)
	}
	if l.estate.Cluster.Witness != l.env.Answers.Cluster.Witness {
		t.Fatalf("witness %q after apply", l.estate.Cluster.Witness)
	}
	l.expectDone(t, s)
	if err := undoAction(s, context.Background(), l.env, tgs[1], actSetWitness.ID, undo); err != nil {
		t.Fatal(err)
	}
	if l.estate.Cluster.Witness != old {
		t.Fatalf("witness %q after undo, want %q back", l.estate.Cluster.Witness, old)
	}

	l.env.Answers.Cluster.Witness = `\\fs01.contoso.com\nosuchshare`
	det = l.detect(t, s, tgs[1])
	_, err = applyAction(s, context.Background(), l.env, tgs[1], det.Actions[0])
	if err == nil || !strings.Contains(err.Error(), "network path was not found") || !strings.Contains(err.Error(), "Full Control") {
		t.Fatalf("a missing share: %v", err)
	}
}

func TestClusterStepExplainsThePolicyThatBreaksTheTask(t *testing.T) {
	l := newWinLab(t)
	s := NewClusterStep()
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		l.node(h).Registry[estate.DisableDomainCredsKey] = "1"
	}
	var err error
	for _, tg := range l.targets(s) {
		for _, a := range l.detect(t, s, tg).Actions {
			if _, err = applyAction(s, context.Background(), l.env, tg, a); err != nil {
				break
			}
		}
	}
	if err == nil || !strings.Contains(err.Error(), "Do not allow storage of passwords and credentials for network authentication") || !strings.Contains(err.Error(), "turn the policy off") {
		t.Errorf("with the policy on, creating the cluster: %v", err)
	}
}

func TestClusterStepStopsOnAFailedValidation(t *testing.T) {
	l := newWinLab(t)
	s := NewClusterStep()
	// Two nodes with one address: Test-Cluster fails "Validate IP Configuration".
	l.node("node2.contoso.com").IP = l.node("node1.contoso.com").IP
	var err error
	for _, tg := range l.targets(s) {
		for _, a := range l.detect(t, s, tg).Actions {
			if _, err = applyAction(s, context.Background(), l.env, tg, a); err != nil {
				break
			}
		}
	}
	if err == nil || !strings.Contains(err.Error(), "cluster validation failed") {
		t.Errorf("with a failed validation: %v", err)
	}
	if l.estate.Cluster != nil {
		t.Errorf("the cluster was created after a failed validation: %+v", l.estate.Cluster)
	}
}

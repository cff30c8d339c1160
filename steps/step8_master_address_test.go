package steps

import (
	"strings"
	"testing"
)

func TestMasterAddressStepLifecycle(t *testing.T) {
	l := newHALab(t, true)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	s := NewMasterAddressStep()
	before := l.snapshot(t)
	d := l.detectAll(t, s)["node1.contoso.com"]
	if d.State != StatePending || actionIDs(d.Actions) != "set-master-address" {
		t.Fatalf("got %s %s, want pending set-master-address", d.State, actionIDs(d.Actions))
	}
	checkGolden(t, "step8-cluster.txt", haDisplay(d.Actions))
	applied := l.apply(t, s, nil)
	l.expectDone(t, s)
	if again := l.apply(t, s, nil); len(again) != 0 {
		t.Errorf("second apply ran %d actions", len(again))
	}
	l.expectVerified(t, s)
	if got := l.e.Nodes["node1.contoso.com"].SQL.Databases["ssisdb"].Catalog.Properties["MASTER_ADDRESS"]; got != "https://ssismaster.contoso.com:8391" {
		t.Errorf("MASTER_ADDRESS = %q", got)
	}
	l.undo(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate: %s", diffLines(before, after))
	}
}

func TestMasterAddressStepPitfalls(t *testing.T) {
	t.Run("host not in the certificate", func(t *testing.T) {
		l := newHALab(t, true)
		l.apply(t, NewAvailabilityGroupStep(), nil)
		l.env.Answers.MasterService.DNSName = "node1.contoso.com"
		d := l.detectAll(t, NewMasterAddressStep())["node1.contoso.com"]
		if d.State != StateBlocked || !strings.Contains(d.Reason, "not a name the master certificate") || !strings.Contains(d.Fix, "step 2") {
			t.Errorf("got %s %q %q", d.State, d.Reason, d.Fix)
		}
	})
	t.Run("recorded address names a node", func(t *testing.T) {
		l := newHALab(t, true)
		l.apply(t, NewAvailabilityGroupStep(), nil)
		l.e.Nodes["node1.contoso.com"].SQL.Databases["ssisdb"].Catalog.Properties["MASTER_ADDRESS"] = "https://node1:8391"
		d := l.detectAll(t, NewMasterAddressStep())["node1.contoso.com"]
		if d.State != StateDrift || !strings.Contains(d.Reason, "trust relationship") {
			t.Errorf("got %s %q", d.State, d.Reason)
		}
	})
	t.Run("no listener", func(t *testing.T) {
		l := newHALab(t, true)
		d := l.detectAll(t, NewMasterAddressStep())["node1.contoso.com"]
		if d.State != StateBlocked || !strings.Contains(d.Fix, "step 4") {
			t.Errorf("got %s %q %q", d.State, d.Reason, d.Fix)
		}
	})
}

package steps

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

func TestMasterSettingsStepLifecycle(t *testing.T) {
	l := newHALab(t, false)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	s := NewMasterSettingsStep()
	before := l.snapshot(t)
	det := l.detectAll(t, s)
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		d := det[h]
		// The seed points each master at its own instance, the pitfall step 5 fixes.
		if d.State != StateDrift || actionIDs(d.Actions) != "set-sqlservername" || !strings.Contains(d.Reason, "not the listener") {
			t.Fatalf("%s: %s %s %q, want drift naming the listener", h, d.State, actionIDs(d.Actions), d.Reason)
		}
	}
	checkGolden(t, "step5-node1.txt", haDisplay(det["node1.contoso.com"].Actions))
	applied := l.apply(t, s, nil)
	l.expectDone(t, s)
	if again := l.apply(t, s, nil); len(again) != 0 {
		t.Errorf("second apply ran %d actions", len(again))
	}
	l.expectVerified(t, s)
	v := l.env.Version
	got, _ := l.e.Nodes["node2.contoso.com"].File(v.MasterSettingsPath())
	if name, _ := estate.XMLGet(got, "SqlServerName"); name != "ssislsn,1433" {
		t.Errorf("node2 SqlServerName = %q", name)
	}
	l.undo(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate: %s", diffLines(before, after))
	}
}

func TestMasterSettingsStepBlockedWithoutListener(t *testing.T) {
	l := newHALab(t, false)
	d := l.detectAll(t, NewMasterSettingsStep())["node1.contoso.com"]
	if d.State != StateBlocked || !strings.Contains(d.Fix, "step 4") {
		t.Errorf("got %s %q %q, want blocked naming step 4", d.State, d.Reason, d.Fix)
	}
}

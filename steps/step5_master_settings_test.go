package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// haMasterSettingsAs rewrites every master's settings file as setup writes it in format.
func haMasterSettingsAs(l *haLab, format string) {
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		l.e.Nodes[h].SetFile(l.env.Version.MasterSettingsPath(), estate.MasterSettingsFile(format, 8391, haMasterThumb, strings.ToUpper(estate.ShortName(h))))
	}
}

func TestMasterSettingsStepLifecycle(t *testing.T) {
	for _, format := range []string{estate.SettingsJSON, estate.SettingsXML} {
		t.Run(format, func(t *testing.T) { testMasterSettingsLifecycle(t, format) })
	}
}

func testMasterSettingsLifecycle(t *testing.T, format string) {
	l := newHALab(t, false)
	haMasterSettingsAs(l, format)
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
	v := l.env.Version
	was, _ := l.e.Nodes["node2.contoso.com"].File(v.MasterSettingsPath())
	applied := l.apply(t, s, nil)
	l.expectDone(t, s)
	if again := l.apply(t, s, nil); len(again) != 0 {
		t.Errorf("second apply ran %d actions", len(again))
	}
	l.expectVerified(t, s)
	got, _ := l.e.Nodes["node2.contoso.com"].File(v.MasterSettingsPath())
	if name, _ := estate.SettingGet(got, "SqlServerName"); name != "ssislsn,1433" {
		t.Errorf("node2 SqlServerName = %q", name)
	}
	// Only the one value changed: every other setting, the order, the layout and the
	// byte order mark are as setup wrote them.
	if want := strings.Replace(was, "NODE2", "ssislsn,1433", 1); got != want {
		t.Errorf("the %s file changed beyond SqlServerName:\n%s", format, diffLines(want, got))
	}
	l.undo(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate: %s", diffLines(before, after))
	}
}

func TestMasterSettingsStepRefusesAFileOfNeitherFormat(t *testing.T) {
	l := newHALab(t, false)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	l.e.Nodes["node1.contoso.com"].SetFile(l.env.Version.MasterSettingsPath(), "\r\n[Master]\r\nSqlServerName=NODE1\r\n")
	_, err := NewMasterSettingsStep().Detect(context.Background(), l.env, Target{Host: "node1.contoso.com"})
	if err == nil || !strings.Contains(err.Error(), "neither JSON nor XML; its first line is '[Master]'") {
		t.Errorf("a settings file of neither format: %v", err)
	}
}

func TestMasterSettingsStepBlockedWithoutListener(t *testing.T) {
	l := newHALab(t, false)
	d := l.detectAll(t, NewMasterSettingsStep())["node1.contoso.com"]
	if d.State != StateBlocked || !strings.Contains(d.Fix, "step 4") {
		t.Errorf("got %s %q %q, want blocked naming step 4", d.State, d.Reason, d.Fix)
	}
}

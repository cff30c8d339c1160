package steps

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
)

func actionIDs(as []Action) string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	return strings.Join(ids, ",")
}

func TestAvailabilityGroupStepLifecycle(t *testing.T) {
	l := newHALab(t, false)
	s := NewAvailabilityGroupStep()
	before := l.snapshot(t)
	det := l.detectAll(t, s)
	want := map[string]string{
		"node1.contoso.com": "endpoint,master-login,create-catalog,master-user,create-ag,listener",
		"node2.contoso.com": "endpoint,master-login,join,dmk-credential,alwayson-support",
	}
	for h, ids := range want {
		if det[h].State != StatePending || actionIDs(det[h].Actions) != ids {
			t.Fatalf("%s: %s %s, want pending %s", h, det[h].State, actionIDs(det[h].Actions), ids)
		}
		checkGolden(t, "step4-"+strings.Split(h, ".")[0]+".txt", haDisplay(det[h].Actions))
		haAssertNoSecret(t, "display", haDisplay(det[h].Actions))
		b, _ := json.Marshal(det[h])
		haAssertNoSecret(t, "detection", string(b))
	}
	applied := l.apply(t, s, nil)
	for _, ap := range applied {
		b, _ := json.Marshal(ap.undo)
		haAssertNoSecret(t, "undo data", string(b))
	}
	l.expectDone(t, s)
	if again := l.apply(t, s, nil); len(again) != 0 {
		t.Errorf("second apply ran %d actions", len(again))
	}
	l.expectVerified(t, s)
	if l.e.AG == nil || l.e.AG.Listener == nil || l.e.Nodes["node2.contoso.com"].SQL.Databases["ssisdb"].State != "RESTORING" {
		t.Fatalf("the estate has no AG with a listener and a seeded secondary")
	}
	if skipped := l.undo(t, s, applied); len(skipped) != 0 {
		t.Errorf("irreversible: %v", skipped)
	}
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate: %s", diffLines(before, after))
	}
}

func TestAvailabilityGroupStepBlockedWithoutHadr(t *testing.T) {
	l := newHALab(t, false)
	l.e.Nodes["node2.contoso.com"].SQL.HadrEnabled = false
	d := l.detectAll(t, NewAvailabilityGroupStep())["node2.contoso.com"]
	if d.State != StateBlocked || !strings.Contains(d.Reason, "Always On") || !strings.Contains(d.Fix, "step 2") {
		t.Errorf("got %s %q %q, want blocked naming Always On and the step that enables it", d.State, d.Reason, d.Fix)
	}
}

func TestAvailabilityGroupStepBlockedWithoutMaster(t *testing.T) {
	l := newHALab(t, false)
	delete(l.e.Nodes["node1.contoso.com"].Services, "ssisscaleoutmaster150")
	d := l.detectAll(t, NewAvailabilityGroupStep())["node1.contoso.com"]
	if d.State != StateBlocked || !strings.Contains(d.Fix, "step 2") {
		t.Errorf("got %s %q %q, want blocked naming step 2", d.State, d.Reason, d.Fix)
	}
}

func TestAvailabilityGroupStepMissingDMKCredential(t *testing.T) {
	l := newHALab(t, false)
	s := NewAvailabilityGroupStep()
	l.apply(t, s, nil)
	in := l.e.Nodes["node2.contoso.com"].SQL
	for k := range in.MasterKeyPasswords {
		delete(in.MasterKeyPasswords, k)
	}
	d := l.detectAll(t, s)["node2.contoso.com"]
	if d.State != StateDrift || actionIDs(d.Actions) != "dmk-credential" || !strings.Contains(d.Reason, "15581") {
		t.Errorf("got %s %s %q, want drift with the credential action and error 15581 named", d.State, actionIDs(d.Actions), d.Reason)
	}
}

func TestAvailabilityGroupStepWrongMasterKeyPasswordKeepsItSecret(t *testing.T) {
	l := newHALab(t, false)
	s := NewAvailabilityGroupStep()
	l.apply(t, s, nil)
	in := l.e.Nodes["node2.contoso.com"].SQL
	for k := range in.MasterKeyPasswords {
		delete(in.MasterKeyPasswords, k)
	}
	in.Databases["ssisdb"].MasterKeyPassword = "Other#Pass-1"
	tg := Target{Host: "node2.contoso.com", Role: "secondary"}
	d, err := s.Detect(context.Background(), l.env, tg)
	if err != nil || len(d.Actions) != 1 {
		t.Fatalf("detect: %v %s", err, actionIDs(d.Actions))
	}
	_, err = applyAction(s, context.Background(), l.env, tg, d.Actions[0])
	var ae *ActionError
	if !errors.As(err, &ae) || ae.Host != "node2.contoso.com" || ae.Fix == "" || !remote.IsSQLError(err, 15313) {
		t.Fatalf("got %v, want an ActionError on node2 carrying SQL error 15313 and a fix", err)
	}
	haAssertNoSecret(t, "error", err.Error())
}

package steps

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/estate"
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
		"node1.contoso.com": "endpoint,master-login,create-catalog,master-user,create-ag,listener,alwayson-support",
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
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		in := l.e.Nodes[h].SQL
		j := in.Jobs["SSIS Failover Monitor Job"]
		if j == nil || j.Owner != "sa" || len(j.Steps) != 1 || !strings.Contains(j.Steps[0].Command, "refresh_replica_status") {
			t.Errorf("%s: the failover monitor job is not the product's, owned by the login with SID 0x01: %+v", h, j)
		}
		if m := in.Jobs["SSIS Server Maintenance Job"]; m == nil || len(m.Steps) != 2 {
			t.Errorf("%s: the maintenance job has not both of its steps: %+v", h, m)
		}
	}
	if got := l.e.Nodes["node1.contoso.com"].SQL.Databases["ssisdb"].Catalog.AlwaysOnReplicas; got["NODE1"] != 1 || got["NODE2"] != 2 {
		t.Errorf("replicas registered for Always On support as %v, want NODE1 primary (1) and NODE2 secondary (2)", got)
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

// TestAvailabilityGroupStepVirtualAccountEngines: engines under NT Service\MSSQLSERVER
// reach each other's endpoints as their computer accounts. Step 4 grants CONNECT to the
// partner's DOMAIN\HOST$, also on an endpoint made by hand without it; while the grant
// is missing, the wait for seeding ends at once with the real handshake error.
func TestAvailabilityGroupStepVirtualAccountEngines(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		handMade, skipGrants bool
	}{
		{"endpoint made by step 4", false, false},
		{"endpoint made by hand without CONNECT", true, false},
		{"grants not applied", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newHALab(t, false)
			for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
				in := l.e.Nodes[h].SQL
				delete(in.Logins, `contoso\svc_sql`)
				in.ServiceAccount = `NT Service\MSSQLSERVER`
				in.Logins[`nt service\mssqlserver`] = &estate.Login{Name: `NT Service\MSSQLSERVER`, Type: "WINDOWS_LOGIN", Sysadmin: true}
				if tc.handMade {
					in.Endpoints["hadr_endpoint"] = &estate.Endpoint{Name: "Hadr_endpoint", Port: 5022, State: "STARTED"}
				}
			}
			s := NewAvailabilityGroupStep()
			ctx := context.Background()
			var joinErr error
			for _, tg := range haTargets(l.env.Answers, s.Scope()) {
				d, err := s.Detect(ctx, l.env, tg)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range d.Actions {
					if a.ID == "endpoint" && tc.skipGrants {
						continue
					}
					if _, err := applyAction(s, ctx, l.env, tg, a); err != nil {
						if a.ID != "join" {
							t.Fatalf("%s on %s: %v", a.ID, tg.Host, err)
						}
						joinErr = err
						break
					}
				}
			}
			if tc.skipGrants {
				if joinErr == nil || errors.Is(joinErr, ErrTimedOut) || !strings.Contains(joinErr.Error(), `The login 'CONTOSO\NODE2$' does not have CONNECT permission`) {
					t.Errorf("without CONNECT the join ends with %v, want the handshake error at once", joinErr)
				}
				return
			}
			if joinErr != nil {
				t.Errorf("with CONNECT granted to the computer accounts: %v", joinErr)
			}
			if !l.e.Nodes["node1.contoso.com"].SQL.Grants[`CONNECT ON ENDPOINT::Hadr_endpoint TO CONTOSO\NODE2$`] {
				t.Errorf("node1 does not grant CONNECT to node2's computer account: %v", l.e.Nodes["node1.contoso.com"].SQL.Grants)
			}
			l.expectVerified(t, s)
		})
	}
}

// TestAvailabilityGroupStepListenerGivenAsFQDN: ADD LISTENER takes the host label; the
// name as given (an FQDN) stays for clients.
func TestAvailabilityGroupStepListenerGivenAsFQDN(t *testing.T) {
	l := newHALab(t, false)
	l.env.Answers.AvailabilityGroup.Listener.DNSName = "ssislsn.contoso.com"
	s := NewAvailabilityGroupStep()
	applied := l.apply(t, s, nil)
	if lsn := l.e.AG.Listener; lsn == nil || lsn.DNSName != "ssislsn" {
		t.Fatalf("listener %+v, want ssislsn", lsn)
	}
	l.expectDone(t, s)
	l.undo(t, s, applied)
	if l.e.AG != nil {
		t.Errorf("undo left the group")
	}
}

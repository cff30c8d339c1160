package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

func TestSecondaryMasterStepLifecycle(t *testing.T) {
	l := newWinLab(t)
	p := NewPrimaryMasterStep()
	l.applyTargets(t, p, l.targets(p))
	s := NewSecondaryMasterStep()
	before := l.snapshot(t)
	det := l.detect(t, s, l.targets(s)[0])
	if det.State != StatePending || winActionIDs(det.Actions) != "import-certificate,install-master,open-firewall,open-replica-ports,enable-alwayson" {
		t.Fatalf("detect: %s %s (%s)", det.State, winActionIDs(det.Actions), det.Reason)
	}
	applied := l.applyTargets(t, s, l.targets(s))
	primaryThumb := l.node("node1.contoso.com").SSLBindings["0.0.0.0:8391"]
	n := l.node("node2.contoso.com")
	if c := n.Certs[estate.StoreRoot][primaryThumb]; c == nil || !c.HasPrivateKey {
		t.Fatalf("shared certificate on node2: %+v", c)
	}
	if n.SSLBindings["0.0.0.0:8391"] != primaryThumb {
		t.Fatalf("node2 bound %s, primary %s", n.SSLBindings["0.0.0.0:8391"], primaryThumb)
	}
	// The private key crosses as bytes: no PFX file on either node's disk, not even for
	// a moment.
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		if w := l.node(h).PrivateKeyWrites; len(w) > 0 {
			t.Errorf("the PFX was written to %s's disk: %v", h, w)
		}
	}
	// Pitfall: two running masters before the cluster role exists.
	if svc := n.Services["ssisscaleoutmaster150"]; svc == nil || svc.State != "Stopped" || svc.StartMode != "Manual" {
		t.Fatalf("node2 master service: %+v", svc)
	}
	l.expectDone(t, s)
	l.expectVerified(t, s)
	l.undoAll(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate")
	}
}

// The secondary needs only the primary's certificate (steps.Needs): with step 2's
// certificate made and its setup not run yet, the secondary installs with the answers'
// account and port, and verifies against the primary once that is installed too.
func TestSecondaryMasterStepNeedsOnlyThePrimaryCertificate(t *testing.T) {
	l := newWinLab(t)
	p, s := NewPrimaryMasterStep(), NewSecondaryMasterStep()
	primary := l.targets(p)[0]
	det := l.detect(t, p, primary)
	if len(det.Actions) == 0 || det.Actions[0].ID != actCreateCert.ID {
		t.Fatalf("step 2 on a fresh primary: %s %s", det.State, winActionIDs(det.Actions))
	}
	if _, err := applyAction(p, context.Background(), l.env, primary, det.Actions[0]); err != nil {
		t.Fatal(err)
	}
	sec := l.detect(t, s, l.targets(s)[0])
	if sec.State != StatePending || winActionIDs(sec.Actions) != "import-certificate,install-master,open-firewall,open-replica-ports,enable-alwayson" {
		t.Fatalf("step 3 with only the primary's certificate: %s %s (%s)", sec.State, winActionIDs(sec.Actions), sec.Reason)
	}
	if sec.Facts["primaryAccount"] != l.env.Answers.MasterService.Account {
		t.Errorf("step 3 takes account %v, want the answers' %s", sec.Facts["primaryAccount"], l.env.Answers.MasterService.Account)
	}
	l.applyTargets(t, s, l.targets(s))
	l.applyTargets(t, p, l.targets(p))
	primaryThumb := l.node("node1.contoso.com").SSLBindings["0.0.0.0:8391"]
	if got := l.node("node2.contoso.com").SSLBindings["0.0.0.0:8391"]; got == "" || got != primaryThumb {
		t.Errorf("node2 bound %q, the primary %q: want the same certificate", got, primaryThumb)
	}
	l.expectDone(t, s)
	l.expectVerified(t, s)
}

func TestSecondaryMasterStepStopsASecondMaster(t *testing.T) {
	l := newWinLab(t)
	p, s := NewPrimaryMasterStep(), NewSecondaryMasterStep()
	l.applyTargets(t, p, l.targets(p))
	l.applyTargets(t, s, l.targets(s))
	svc := l.node("node2.contoso.com").Services["ssisscaleoutmaster150"]
	svc.StartMode, svc.State = "Auto", "Running"
	det := l.detect(t, s, l.targets(s)[0])
	if det.State != StateDrift || winActionIDs(det.Actions) != actStopUntilRole.ID {
		t.Fatalf("running second master: %s %s", det.State, winActionIDs(det.Actions))
	}
	applied := l.applyTargets(t, s, l.targets(s))
	if svc.State != "Stopped" || svc.StartMode != "Manual" {
		t.Fatalf("after apply: %+v", svc)
	}
	l.undoAll(t, s, applied)
	if svc.State != "Running" || svc.StartMode != "Auto" {
		t.Fatalf("after undo: %+v", svc)
	}
}

func TestSecondaryMasterStepBlocked(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(l *winLab)
		reason string
	}{
		{"no certificate on the primary", func(l *winLab) {}, "master certificate is not on the primary"},
		{"key not exportable", func(l *winLab) {
			p := NewPrimaryMasterStep()
			l.applyTargets(t, p, l.targets(p))
			n := l.node("node1.contoso.com")
			thumb := n.SSLBindings["0.0.0.0:8391"]
			n.Certs[estate.StoreRoot][thumb].Exportable = false
			n.Certs[estate.StoreMy][thumb].Exportable = false
		}, "not exportable"},
		{"different account", func(l *winLab) {
			p := NewPrimaryMasterStep()
			l.applyTargets(t, p, l.targets(p))
			l.env.Answers.MasterService.Account = `CONTOSO\svc_other`
			n := l.node("node2.contoso.com")
			n.Services["ssisscaleoutmaster150"] = &estate.Service{Name: "SSISScaleOutMaster150", Account: `CONTOSO\svc_ssismaster`, StartMode: "Manual", State: "Stopped"}
			n.Registry[estate.MasterMarkerKey("150")] = "15.0"
		}, "not CONTOSO\\svc_other"},
		{"pending reboot", func(l *winLab) {
			p := NewPrimaryMasterStep()
			l.applyTargets(t, p, l.targets(p))
			l.node("node2.contoso.com").PendingReboot = true
		}, "restart pending"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newWinLab(t)
			tc.setup(l)
			s := NewSecondaryMasterStep()
			det := l.detect(t, s, l.targets(s)[0])
			if det.State != StateBlocked || !strings.Contains(det.Reason, tc.reason) || det.Fix == "" {
				t.Fatalf("got %s %q (fix %q), want blocked with %q", det.State, det.Reason, det.Fix, tc.reason)
			}
		})
	}
}

// TestMasterSetupRefusesAPendingRestart: a restart that becomes pending between
// detection and the install (an update installed meanwhile) stops the install on
// each master, as SQL Server setup's RebootRequiredCheck rule does; the script looks
// first and says so, and nothing is installed.
func TestMasterSetupRefusesAPendingRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		host string
		step func() Step
	}{
		{"primary", "node1.contoso.com", func() Step { return NewPrimaryMasterStep() }},
		{"secondary", "node2.contoso.com", func() Step { return NewSecondaryMasterStep() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newWinLab(t)
			if tc.host != "node1.contoso.com" {
				p := NewPrimaryMasterStep()
				l.applyTargets(t, p, l.targets(p))
			}
			s := tc.step()
			var tg Target
			for _, x := range l.targets(s) {
				if x.Host == tc.host {
					tg = x
				}
			}
			det := l.detect(t, s, tg)
			l.node(tc.host).PendingReboot = true
			for _, a := range det.Actions {
				_, err := applyAction(s, context.Background(), l.env, tg, a)
				if a.ID != actInstallMaster.ID {
					continue
				}
				if err == nil || !strings.Contains(err.Error(), "must restart before SQL Server setup can run") {
					t.Fatalf("setup with a restart pending: %v", err)
				}
				if l.node(tc.host).Installed["IS_Master"] != "" {
					t.Fatal("the master was installed with a restart pending")
				}
				return
			}
			t.Fatal("no install action")
		})
	}
}

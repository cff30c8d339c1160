package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

func TestPrimaryMasterStepLifecycle(t *testing.T) {
	l := newWinLab(t)
	s := NewPrimaryMasterStep()
	before := l.snapshot(t)
	det := l.detect(t, s, l.targets(s)[0])
	if det.State != StatePending || winActionIDs(det.Actions) != "create-certificate,install-master,open-firewall,open-replica-ports,enable-alwayson" {
		t.Fatalf("detect: %s %s", det.State, winActionIDs(det.Actions))
	}
	applied := l.applyTargets(t, s, l.targets(s))
	n := l.node("node1.contoso.com")
	svc := n.Services["ssisscaleoutmaster150"]
	if svc == nil || svc.Account != `CONTOSO\svc_ssismaster` || svc.StartMode != "Auto" || svc.State != "Running" {
		t.Fatalf("master service: %+v", svc)
	}
	thumb := n.SSLBindings["0.0.0.0:8391"]
	cert := n.Certs[estate.StoreRoot][thumb]
	if cert == nil || !cert.HasPrivateKey || !winContains(cert.DNSNames, "ssismaster.contoso.com") || !winContains(cert.DNSNames, "ssismaster") {
		t.Fatalf("master certificate: %+v", cert)
	}
	l.expectDone(t, s)
	l.expectVerified(t, s)
	l.undoAll(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate")
	}
}

func TestPrimaryMasterStepOpensTheReplicaPortsAndUndoesOnlyItsOwnRules(t *testing.T) {
	l := newWinLab(t)
	s := NewPrimaryMasterStep()
	n := l.node("node1.contoso.com")
	// The DBA's own rule for the instance stays whatever ssisha does; ssisha's own
	// endpoint rule, found disabled, is enabled and left on undo.
	n.Firewall["SQL Server"] = &estate.FirewallRule{Name: "SQL Server", Port: 1433, Enabled: true}
	n.Firewall[replicaFirewallRule(5022)] = &estate.FirewallRule{Name: replicaFirewallRule(5022), Port: 5022, Enabled: false}
	applied := l.applyTargets(t, s, l.targets(s))
	for _, port := range []int{5022, 1433} {
		if r := n.Firewall[replicaFirewallRule(port)]; r == nil || !r.Enabled || r.Port != port {
			t.Errorf("after apply the rule for TCP %d is %+v", port, r)
		}
	}
	l.expectVerified(t, s)
	l.undoAll(t, s, applied)
	if n.Firewall["SQL Server"] == nil || n.Firewall[replicaFirewallRule(5022)] == nil {
		t.Errorf("undo removed a rule ssisha did not create: %v", n.Firewall)
	}
	if n.Firewall[replicaFirewallRule(1433)] != nil {
		t.Error("undo left the rule ssisha created")
	}
}

func TestPrimaryMasterStepBlocked(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(l *winLab)
		reason string
	}{
		{"virtual account", func(l *winLab) { l.env.Answers.MasterService.Account = `NT Service\SSISScaleOutMaster150` }, "virtual account"},
		{"pending reboot", func(l *winLab) { l.node("node1.contoso.com").PendingReboot = true }, "restart pending"},
		{"media missing", func(l *winLab) { l.env.Answers.SetupMedia = `D:\nowhere\setup.exe` }, "not at"},
		{"no password", func(l *winLab) { l.env.Secrets.MasterAccountPassword = script.Secret{} }, "password is not given"},
		{"certificate without the access point", func(l *winLab) {
			n := l.node("node1.contoso.com")
			n.Certs[estate.StoreRoot]["AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"] = &estate.Cert{Thumbprint: "AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12", Subject: "CN=node1", DNSNames: []string{"node1.contoso.com"}, HasPrivateKey: true, Exportable: true, NotAfter: l.direct.Now.AddDate(2, 0, 0)}
			l.env.Answers.MasterService.Certificate.Generate = false
			l.env.Answers.MasterService.Certificate.Thumbprint = "AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"
		}, "not the master's access point"},
		{"engine missing", func(l *winLab) { n := l.node("node1.contoso.com"); delete(n.Services, "mssqlserver") }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newWinLab(t)
			tc.setup(l)
			det := l.detect(t, NewPrimaryMasterStep(), l.targets(NewPrimaryMasterStep())[0])
			if tc.reason == "" {
				return // the lab's engine probe reads the instance, not the service; nothing to assert
			}
			if det.State != StateBlocked || !strings.Contains(det.Reason, tc.reason) || det.Fix == "" {
				t.Fatalf("got %s %q (fix %q), want blocked with %q", det.State, det.Reason, det.Fix, tc.reason)
			}
		})
	}
}

// installWithWrongPassword applies the primary's actions with a wrong master
// account password and returns the install's error.
func installWithWrongPassword(t *testing.T, l *winLab) error {
	t.Helper()
	l.env.Secrets.MasterAccountPassword = script.NewSecret("master-account-password", "Wrong-"+winCanaryMaster)
	l.env.Redactor.Add(l.env.Secrets.MasterAccountPassword)
	s := NewPrimaryMasterStep()
	tg := l.targets(s)[0]
	for _, a := range l.detect(t, s, tg).Actions {
		_, err := applyAction(s, context.Background(), l.env, tg, a)
		if a.ID == actInstallMaster.ID {
			return err
		}
	}
	t.Fatal("no install action")
	return nil
}

func TestPrimaryMasterStepSetupRefusesWrongPassword(t *testing.T) {
	err := installWithWrongPassword(t, newWinLab(t))
	if err == nil || !strings.Contains(err.Error(), "credentials") || !strings.Contains(err.Error(), "exit code") {
		t.Fatalf("setup with a wrong password: %v", err)
	}
	winNoSecret(t, "setup error", err.Error())
	if strings.Contains(err.Error(), "Wrong-") {
		t.Fatalf("error carries the password: %v", err)
	}
}

func TestPrimaryMasterStepRebindsDriftedBinding(t *testing.T) {
	l := newWinLab(t)
	s := NewPrimaryMasterStep()
	l.applyTargets(t, s, l.targets(s))
	n := l.node("node1.contoso.com")
	good := n.SSLBindings["0.0.0.0:8391"]
	n.SSLBindings["0.0.0.0:8391"] = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
	det := l.detect(t, s, l.targets(s)[0])
	if det.State != StateDrift || winActionIDs(det.Actions) != actRebindCert.ID {
		t.Fatalf("drifted binding: %s %s", det.State, winActionIDs(det.Actions))
	}
	l.applyTargets(t, s, l.targets(s))
	if n.SSLBindings["0.0.0.0:8391"] != good {
		t.Fatalf("binding not restored: %s", n.SSLBindings["0.0.0.0:8391"])
	}
	l.expectDone(t, s)
}

func TestPrimaryMasterStepPasswordEndingInBackslashReachesSetup(t *testing.T) {
	l := newWinLab(t)
	const pw = `Master-Pass\\`
	l.estate.Accounts[`contoso\svc_ssismaster`].Password = pw
	l.env.Secrets.MasterAccountPassword = script.NewSecret("master-account-password", pw)
	l.env.Redactor.Add(l.env.Secrets.MasterAccountPassword)
	s := NewPrimaryMasterStep()
	l.applyTargets(t, s, l.targets(s))
	if l.node("node1.contoso.com").Installed["IS_Master"] == "" {
		t.Error("the master was not installed")
	}
}

func TestPrimaryMasterStepWarnsOfSChannelDefaultsWithCAIssuedCertificates(t *testing.T) {
	l := newWinLab(t)
	s := NewPrimaryMasterStep()
	l.applyTargets(t, s, l.targets(s))
	n := l.node("node1.contoso.com")
	n.Certs[estate.StoreRoot]["C0FFEE0000000000000000000000000000000001"] = &estate.Cert{Thumbprint: "C0FFEE0000000000000000000000000000000001",
		Subject: "CN=Contoso Issuing CA 1", Issuer: "CN=Contoso Root CA"}
	checks, err := s.Verify(context.Background(), l.env, l.targets(s)[0])
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range checks {
		if strings.Contains(c.Name, "SChannel") {
			found = c.Status == CheckWarning && strings.Contains(c.Fix, "SendTrustedIssuerList = 0")
		}
	}
	if !found {
		t.Fatalf("no SChannel warning with a CA-issued certificate in Root: %+v", checks)
	}
	n.Registry[estate.SendTrustedIssuerListKey] = "0"
	l.expectVerified(t, s)
}

func TestPrimaryMasterStepReadsTheBindingOnAGermanNode(t *testing.T) {
	l := newWinLab(t)
	s := NewPrimaryMasterStep()
	l.node("node1.contoso.com").Locale = "de-DE"
	l.applyTargets(t, s, l.targets(s))
	if d := l.detect(t, s, l.targets(s)[0]); d.State != StateDone {
		t.Errorf("after apply on a de-DE node: %s %s (%s)", d.State, winActionIDs(d.Actions), d.Reason)
	}
}

func TestPrimaryMasterStepBlocksOnASettingsFileOfNeitherFormat(t *testing.T) {
	l := newWinLab(t)
	s := NewPrimaryMasterStep()
	l.applyTargets(t, s, l.targets(s))
	l.node("node1.contoso.com").SetFile(l.env.Version.MasterSettingsPath(), "[Master]\r\nPortNumber=8391\r\n")
	d := l.detect(t, s, l.targets(s)[0])
	if d.State != StateBlocked || !strings.Contains(d.Reason, "its first line is '[Master]'") || !strings.Contains(d.Fix, "backup") {
		t.Errorf("got %s %q %q, want blocked naming the first line", d.State, d.Reason, d.Fix)
	}
}

// TestMasterSetupFailureReadsTheSummaryWhereSetupWroteIt: with the shared features
// on another drive, setup writes its summary there (VerSpecificRootDir); a failed
// install reports setup's own message and the summary's real path, not a file under
// %ProgramFiles% that does not exist.
func TestMasterSetupFailureReadsTheSummaryWhereSetupWroteIt(t *testing.T) {
	l := newWinLab(t)
	const shared = `D:\Program Files\Microsoft SQL Server`
	l.node("node1.contoso.com").SharedDir = shared
	err := installWithWrongPassword(t, l)
	if err == nil || !strings.Contains(err.Error(), "credentials you provided") || !strings.Contains(err.Error(), shared+`\150\Setup Bootstrap\Log\Summary.txt`) {
		t.Fatalf("setup failure: %v", err)
	}
}

// TestPrimaryMasterStepWithSharedFeaturesElsewhere: setup puts the master where the
// node's shared features go; the step finds the service and its settings file there.
func TestPrimaryMasterStepWithSharedFeaturesElsewhere(t *testing.T) {
	l := newWinLab(t)
	n := l.node("node1.contoso.com")
	n.SharedDir = `D:\Program Files\Microsoft SQL Server`
	s := NewPrimaryMasterStep()
	l.applyTargets(t, s, l.targets(s))
	if _, ok := n.File(n.SharedDir + `\150\DTS\Binn\MasterSettings.config`); !ok {
		t.Fatal("the lab did not install the master under the shared-features folder")
	}
	l.expectDone(t, s)
	l.expectVerified(t, s)
}

package steps

import (
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// newWorkerLab is the estate as steps 1 to 8 leave it.
func newWorkerLab(t *testing.T) *haLab {
	l := newHALab(t, true)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	l.apply(t, NewMasterSettingsStep(), nil)
	l.apply(t, NewMasterAddressStep(), nil)
	l.env.Answers.Workers = l.env.Answers.Workers[:1]
	return l
}

func TestWorkersStepLifecycle(t *testing.T) {
	l := newWorkerLab(t)
	s := NewWorkersStep()
	before := l.snapshot(t)
	d := l.detectAll(t, s)["worker1.contoso.com"]
	if d.State != StatePending || actionIDs(d.Actions) != "trust-master,install,configure,trust-worker,restart,enable" {
		t.Fatalf("got %s %s", d.State, actionIDs(d.Actions))
	}
	checkGolden(t, "step9-worker1.txt", haDisplay(d.Actions))
	haAssertNoSecret(t, "display", haDisplay(d.Actions))
	applied := l.apply(t, s, func(a Action) {
		if a.ID == "enable" {
			// Registration happens about a minute after the service starts.
			l.d.Advance(2 * time.Minute)
		}
	})
	l.expectDone(t, s)
	if again := l.apply(t, s, nil); len(again) != 0 {
		t.Errorf("second apply ran %d actions", len(again))
	}
	l.expectVerified(t, s)
	agents := l.e.Nodes["node1.contoso.com"].SQL.Databases["ssisdb"].Catalog.WorkerAgents
	if len(agents) != 1 {
		t.Fatalf("%d worker agents registered", len(agents))
	}
	for _, wa := range agents {
		if !wa.Enabled || wa.MachineName != "WORKER1" {
			t.Errorf("agent %+v", wa)
		}
	}
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		if len(l.e.Nodes[h].Certs[`LocalMachine\Root`]) != 2 {
			t.Errorf("%s Root holds %d certificates, want the master's and the worker's", h, len(l.e.Nodes[h].Certs[`LocalMachine\Root`]))
		}
	}
	l.undo(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate: %s", diffLines(before, after))
	}
}

func TestWorkersStepWorkerCertMissingOnOneMaster(t *testing.T) {
	l := newWorkerLab(t)
	s := NewWorkersStep()
	l.apply(t, s, func(a Action) {
		if a.ID == "enable" {
			l.d.Advance(2 * time.Minute)
		}
	})
	root := l.e.Nodes["node2.contoso.com"].Certs[`LocalMachine\Root`]
	for k := range root {
		if k != haMasterThumb {
			delete(root, k)
		}
	}
	d := l.detectAll(t, s)["worker1.contoso.com"]
	if d.State != StateDrift || actionIDs(d.Actions) != "trust-worker" || !strings.Contains(d.Reason, "node2.contoso.com") || !strings.Contains(d.Reason, "403") {
		t.Fatalf("got %s %s %q", d.State, actionIDs(d.Actions), d.Reason)
	}
	l.apply(t, s, nil)
	l.expectDone(t, s)
}

func TestWorkersStepDoesNotRegisterWithoutTrust(t *testing.T) {
	l := newWorkerLab(t)
	s := NewWorkersStep()
	l.env.WaitScale = 1e-9
	tg := Target{Host: "worker1.contoso.com", Role: "worker"}
	d := l.detectAll(t, s)[tg.Host]
	var err error
	for _, a := range d.Actions {
		if a.ID == "trust-worker" {
			continue // the master never trusts the worker: it cannot register
		}
		if a.ID == "enable" {
			l.d.Advance(5 * time.Minute)
		}
		if _, err = applyAction(s, t.Context(), l.env, tg, a); err != nil {
			break
		}
	}
	var ae *ActionError
	if err == nil || !asActionError(err, &ae) || !strings.Contains(ae.Fix, "certificates") {
		t.Fatalf("got %v, want a registration timeout with a fix", err)
	}
}

func TestWorkersStepUndoKeepsIntegrationServicesInstalledBefore(t *testing.T) {
	l := newWorkerLab(t)
	w := l.e.Nodes["worker1.contoso.com"]
	// SSIS was there before ssisha: the worker's install adds only the worker.
	w.Installed["IS"] = "15.0.4345.5"
	s := NewWorkersStep()
	applied := l.apply(t, s, func(a Action) {
		if a.ID == "enable" {
			l.d.Advance(2 * time.Minute)
		}
	})
	l.undo(t, s, applied)
	if w.Installed["IS_Worker"] != "" {
		t.Error("undo left the worker installed")
	}
	if w.Installed["IS"] == "" {
		t.Error("undo removed Integration Services, which was installed before ssisha")
	}
}

func TestWorkersStepBlocksOnAPendingRestart(t *testing.T) {
	l := newWorkerLab(t)
	l.e.Nodes["worker1.contoso.com"].PendingReboot = true
	d := l.detectAll(t, NewWorkersStep())["worker1.contoso.com"]
	if d.State != StateBlocked || !strings.Contains(d.Reason, "restart pending") || !strings.Contains(d.Fix, "restart worker1.contoso.com") {
		t.Errorf("got %s %q %q, want blocked on the pending restart", d.State, d.Reason, d.Fix)
	}
}

func TestWorkersStepPasswordEndingInBackslashReachesSetup(t *testing.T) {
	l := newWorkerLab(t)
	const pw = `Worker-Pass\`
	l.e.Accounts[`contoso\svc_ssisworker`].Password = pw
	l.env.Secrets.WorkerAccountPassword = script.NewSecret("worker-account-password", pw)
	l.env.Redactor = script.NewRedactor(l.env.Secrets.MasterKeyPassword, l.env.Secrets.LoggingPassword, l.env.Secrets.WorkerAccountPassword)
	l.apply(t, NewWorkersStep(), func(a Action) {
		if a.ID == "enable" {
			l.d.Advance(2 * time.Minute)
		}
	})
	if l.e.Nodes["worker1.contoso.com"].Installed["IS_Worker"] == "" {
		t.Error("the worker was not installed")
	}
}

func TestWorkersStepFindsAWorkerInstalledOnAnotherDrive(t *testing.T) {
	l := newWorkerLab(t)
	// Shared features go to D: on this worker; the worker's files follow them.
	l.e.Nodes["worker1.contoso.com"].SharedDir = `D:\Program Files\Microsoft SQL Server`
	s := NewWorkersStep()
	applied := l.apply(t, s, func(a Action) {
		if a.ID == "enable" {
			l.d.Advance(2 * time.Minute)
		}
	})
	l.expectDone(t, s)
	if _, ok := l.e.Nodes["worker1.contoso.com"].File(`D:\Program Files\Microsoft SQL Server\150\DTS\Binn\WorkerSettings.config`); !ok {
		t.Error("the worker's settings are not on D:")
	}
	l.undo(t, s, applied)
}

// A worker's setup needs only the master certificate (steps.Needs): before the
// primary's master is installed, the worker is planned with the certificate step 2
// placed for it.
func TestWorkersStepNeedsOnlyTheMasterCertificate(t *testing.T) {
	l := newWorkerLab(t)
	n := l.env.Answers.Primary().Host
	node := l.d.Estate.Node(n)
	delete(node.Installed, "IS_Master")
	delete(node.Services, strings.ToLower(l.env.Version.MasterService()))
	for k := range node.Files {
		if strings.EqualFold(k, l.env.Version.MasterSettingsPath()) {
			delete(node.Files, k)
		}
	}
	for _, store := range []string{`LocalMachine\Root`, `LocalMachine\My`} {
		// As step 2 makes it.
		c := node.Certs[store][haMasterThumb]
		c.NotAfter, c.FriendlyName = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), masterCertFriendlyName
	}
	d := l.detectAll(t, NewWorkersStep())["worker1.contoso.com"]
	if d.State != StatePending || !strings.HasPrefix(actionIDs(d.Actions), "trust-master,install,configure") {
		t.Fatalf("worker1 before the primary's master: %s %s (%s)", d.State, actionIDs(d.Actions), d.Reason)
	}
	if shown := haDisplay(d.Actions[1:2]); !strings.Contains(shown, haMasterThumb) {
		t.Errorf("the worker's setup does not name the master certificate %s:\n%s", haMasterThumb, shown)
	}
}

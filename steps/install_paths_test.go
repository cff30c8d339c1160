package steps

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// sharedOnD is a shared-features folder setup was told to put on D: (INSTALLSHAREDDIR).
const sharedOnD = `D:\Program Files\Microsoft SQL Server`

// moveSharedFeaturesToD puts the shared features of hosts on D:, with Integration
// Services of 150 there as setup records it (DTSPath).
func moveSharedFeaturesToD(e *estate.Estate, hosts ...string) {
	for _, h := range hosts {
		n := e.Nodes[h]
		n.SharedDir = sharedOnD
		if n.Installed["IS"] != "" {
			n.Registry[`HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\150\SSIS\Setup\DTSPath!`] = sharedOnD + `\150\DTS\`
		}
	}
}

// TestAvailabilityGroupStepMakesTheCLRKeyFromTheAssemblyOnD: with Integration Services
// on D: on the replicas, Always On support for SSIS makes SSISDB's asymmetric key from
// the server assembly there; a path under C:\Program Files does not exist on them and
// CREATE ASYMMETRIC KEY fails with 15208.
func TestAvailabilityGroupStepMakesTheCLRKeyFromTheAssemblyOnD(t *testing.T) {
	l := newHALab(t, true)
	moveSharedFeaturesToD(l.e, l.env.Answers.MasterHosts()...)
	before := l.snapshot(t)
	s := NewAvailabilityGroupStep()
	applied := l.apply(t, s, nil)
	l.expectDone(t, s)
	want := sharedOnD + `\150\DTS\Binn\` + isServerAssembly
	if got := l.e.Nodes["node2.contoso.com"].SQL.AsymmetricKeys[estate.AssemblyKey]; got != want {
		t.Errorf("the secondary's assembly key comes from %q, want %q", got, want)
	}
	l.undo(t, s, applied)
	if after := l.snapshot(t); after != before {
		t.Errorf("undo did not restore the estate: %s", diffLines(before, after))
	}
}

// TestServerAssemblyWithoutIntegrationServicesSaysSo: a node whose registry names no
// folder for the version and has no assembly at the default path is reported as
// missing Integration Services, with the fix, not sent a CREATE ASYMMETRIC KEY that
// fails on the server.
func TestServerAssemblyWithoutIntegrationServicesSaysSo(t *testing.T) {
	l := newHALab(t, true)
	n := l.e.Nodes["node2.contoso.com"]
	for k := range n.Installed {
		delete(n.Installed, k)
	}
	d := l.detectAll(t, NewAvailabilityGroupStep())["node2.contoso.com"]
	if d.State != StateBlocked || !strings.Contains(d.Reason, "DTSPath") || !strings.Contains(d.Fix, "install Integration Services on node2.contoso.com") {
		t.Fatalf("step 4 on node2: %s %q %q, want blocked naming DTSPath and the fix", d.State, d.Reason, d.Fix)
	}
}

// TestFactsReadTheSettingsFilesOnD: `ssisha facts` shows the first lines of the worker's
// settings file where setup put it, on D:, not "not found" at the default path.
func TestFactsReadTheSettingsFilesOnD(t *testing.T) {
	l := newWorkerLab(t)
	moveSharedFeaturesToD(l.e, "worker1.contoso.com")
	l.apply(t, NewWorkersStep(), func(a Action) {
		if a.ID == "enable" {
			l.d.Advance(2 * time.Minute)
		}
	})
	var worker *NodeFacts
	for _, nf := range ReadFacts(context.Background(), l.env) {
		if nf.Host == "worker1.contoso.com" {
			worker = &nf
		}
	}
	if worker == nil {
		t.Fatal("no facts for worker1")
	}
	head, ok := worker.Facts["settingsFile"].(map[string]any)
	if !ok {
		t.Fatalf("worker1's settings file was not read: %v", worker.NotRead)
	}
	if head["found"] != true || !strings.HasPrefix(Str(head["path"]), sharedOnD) {
		t.Errorf("worker1's settings file: %v, want found under %s", head, sharedOnD)
	}
}

// TestWorkerFactsFallBackToTheRegistryFolder: with no service to lead to it, the
// worker's settings file is looked for in the folder the registry names (DTSPath),
// not under C:\Program Files.
func TestWorkerFactsFallBackToTheRegistryFolder(t *testing.T) {
	l := newWorkerLab(t)
	n := l.e.Nodes["worker1.contoso.com"]
	n.SharedDir = sharedOnD
	n.Installed["IS"] = estate.ProductVersion(2019)
	n.Registry[`HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\150\SSIS\Setup\DTSPath!`] = sharedOnD + `\150\DTS\`
	wf, err := readWorkerFacts(context.Background(), l.env, "worker1.contoso.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := sharedOnD + `\150\DTS\Binn\WorkerSettings.config`; wf.Path != want {
		t.Errorf("the worker's settings path is %q, want %q", wf.Path, want)
	}
}

package lab

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// TestSetupRunsOnAfterItsClientAndASecondOneFails starts SQL Server setup for a worker
// as a client that goes away at once (its request abandoned, no Signal), and checks
// that setup goes on running, that win.inflight.list finds it, that a second setup
// on the node fails as real setup does, and that the first one finishes its work.
func TestSetupRunsOnAfterItsClientAndASecondOneFails(t *testing.T) {
	l := newTestLab(t, nil, Options{Speed: 0.002, Seed: estate.SeedOptions{Masters: 2, Workers: 1}}) // setup: 180 s × 0.002
	user := `CONTOSO\` + estate.AdminAccount
	var workerPassword string
	l.Estate(func(e *estate.Estate) {
		workerPassword = e.Accounts[strings.ToLower(e.Domain+`\`+estate.WorkerServiceAccount)].Password
	})
	// Like the real script, it reads WorkerSettings.config in either format.
	install := script.PowerShell{Op: "worker.install", Body: `$t = Get-Content -LiteralPath $f -Raw
if ($t.TrimStart().StartsWith('<')) { [xml]$s = $t } else { $s = $t | ConvertFrom-Json }`, Params: map[string]any{"setupPath": estate.SetupMediaPath, "account": `CONTOSO\` + estate.WorkerServiceAccount,
		"password": workerPassword, "masterEndpoint": "https://ssislsn.contoso.com:8391", "version": "15.0.2000.5"}}.Render()

	// The first client is gone as soon as it sent the command: its context is never
	// cancelled by a Signal, so the lab goes on.
	first := make(chan psOutcome, 1)
	go func() {
		first <- l.runPowerShell(context.Background(), fxWorker1, user, "S1", install, "powershell.exe")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(l.Running()[fxWorker1]) == 0 {
		select {
		case o := <-first:
			t.Fatalf("worker setup ended before it was seen running: exit %d %s %s", o.Exit, o.ErrorMsg, o.Stdout)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("worker setup never showed as running")
		}
		time.Sleep(time.Millisecond)
	}

	o := l.runPowerShell(context.Background(), fxWorker1, user, "S2", psScript("win.inflight.list", nil), "powershell.exe")
	var list struct {
		Running []struct{ Kind, What, Since string }
	}
	if err := json.Unmarshal(o.Stdout, &list); err != nil || o.Exit != 0 {
		t.Fatalf("win.inflight.list: exit %d %s %q: %v", o.Exit, o.ErrorMsg, o.Stdout, err)
	}
	if len(list.Running) != 1 || list.Running[0].Kind != "setup" || !strings.Contains(list.Running[0].What, "IS_Worker") || list.Running[0].Since == "" {
		t.Errorf("win.inflight.list while setup runs = %+v, want the worker setup", list.Running)
	}

	second := l.runPowerShell(context.Background(), fxWorker1, user, "S3", install, "powershell.exe")
	if second.Exit != 1 || !strings.Contains(second.ErrorMsg, "another instance of SQL Server Setup is already running") {
		t.Errorf("a second setup beside the first: exit %d, %q; want it refused", second.Exit, second.ErrorMsg)
	}

	if o := <-first; o.Exit != 0 {
		t.Fatalf("the first setup failed: %s", o.ErrorMsg)
	}
	l.Estate(func(e *estate.Estate) {
		if e.Nodes[fxWorker1].Installed["IS_Worker"] == "" {
			t.Error("the first setup ended without installing the worker")
		}
	})
	if r := l.Running(); len(r[fxWorker1]) != 0 {
		t.Errorf("still running after setup ended: %v", r)
	}
	o = l.runPowerShell(context.Background(), fxWorker1, user, "S4", psScript("win.inflight.list", nil), "powershell.exe")
	if !strings.Contains(string(o.Stdout), `"running":[]`) {
		t.Errorf("win.inflight.list after setup ended = %s", o.Stdout)
	}
}

// TestLongScriptLeavesAMarkerWhileItRuns runs a worker setup whose script writes a
// marker, as a client that goes away, and checks that the marker is on the node while
// setup runs (alive), that a marker whose process is gone shows as stale and is the
// only one win.inflight.clear removes, and that the marker goes when setup ends.
func TestLongScriptLeavesAMarkerWhileItRuns(t *testing.T) {
	l := newTestLab(t, nil, Options{Speed: 0.002, Seed: estate.SeedOptions{Masters: 2, Workers: 1}})
	user := `CONTOSO\` + estate.AdminAccount
	var workerPassword string
	l.Estate(func(e *estate.Estate) {
		workerPassword = e.Accounts[strings.ToLower(e.Domain+`\`+estate.WorkerServiceAccount)].Password
	})
	marker := map[string]any{"file": "R1-step9-install.json", "runId": "R1", "step": 9, "action": "install", "what": "Install the worker"}
	install := script.PowerShell{Op: "worker.install", Body: "# ssisha-inflight: marker\n$t = Get-Content -LiteralPath $f -Raw\nif ($t.TrimStart().StartsWith('<')) { [xml]$s = $t } else { $s = $t | ConvertFrom-Json }",
		Params: map[string]any{"setupPath": estate.SetupMediaPath, "account": `CONTOSO\` + estate.WorkerServiceAccount, "password": workerPassword,
			"masterEndpoint": "https://ssislsn.contoso.com:8391", "version": "15.0.2000.5", "inflight": marker}}.Render()
	first := make(chan psOutcome, 1)
	go func() {
		first <- l.runPowerShell(context.Background(), fxWorker1, user, "S1", install, "powershell.exe")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(l.Running()[fxWorker1]) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("worker setup never showed as running")
		}
		time.Sleep(time.Millisecond)
	}
	l.Estate(func(e *estate.Estate) {
		e.Nodes[fxWorker1].Files[estate.InflightDir+"R0-step9-install.json"] = `{"runId":"R0","step":9,"action":"install","what":"Install the worker","op":"worker.install","started":"2020-01-01T00:00:00Z","pid":4242,"processStarted":"2020-01-01T00:00:00Z"}`
	})
	type listed struct {
		Markers []struct {
			File, RunID, Action, What, Op, Started string
			Step                                   int
			Alive                                  bool
		}
	}
	list := func() listed {
		o := l.runPowerShell(context.Background(), fxWorker1, user, "S2", psScript("win.inflight.list", nil), "powershell.exe")
		var out listed
		if err := json.Unmarshal(o.Stdout, &out); err != nil || o.Exit != 0 {
			t.Fatalf("win.inflight.list: exit %d %s %q: %v", o.Exit, o.ErrorMsg, o.Stdout, err)
		}
		return out
	}
	got := list().Markers
	if len(got) != 2 || got[0].File != "R0-step9-install.json" || got[0].Alive ||
		got[1].File != "R1-step9-install.json" || !got[1].Alive || got[1].RunID != "R1" || got[1].Step != 9 || got[1].Op != "worker.install" || got[1].Started == "" {
		t.Errorf("markers while setup runs = %+v, want the stale R0 and the live R1", got)
	}
	o := l.runPowerShell(context.Background(), fxWorker1, user, "S3", psScript("win.inflight.clear", map[string]any{"files": []string{"R0-step9-install.json", "R1-step9-install.json"}}), "powershell.exe")
	if !strings.Contains(string(o.Stdout), `"cleared":["R0-step9-install.json"]`) {
		t.Errorf("win.inflight.clear = %s %s, want only the stale marker cleared", o.Stdout, o.ErrorMsg)
	}
	if o := <-first; o.Exit != 0 {
		t.Fatalf("setup failed: %s", o.ErrorMsg)
	}
	if got := list().Markers; len(got) != 0 {
		t.Errorf("markers after setup ended = %+v, want none", got)
	}
}

package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
)

// killPointsFull runs every kill point; CI runs killPointsCI of them.
var killPointsFull = flag.Bool("kill-points-full", false, "kill ssisha at every kill point of a full apply (slow; also SSISHA_SOAK=1)")

// killSpeed is the lab speed of the kill test: slow enough that the long actions are
// still running when ssisha is killed, fast enough for a test.
const killSpeed = 0.05

// killPoint is a moment of a full apply at which ssisha is killed (SIGKILL): when the
// lab starts the nth run of op, or, with mid, once op has run for a while.
type killPoint struct {
	name string
	op   string
	nth  int
	mid  bool
}

// killPoints spread over a full apply, in its order. The mid ones are the long
// actions, which go on running on the node after ssisha dies.
var killPoints = []killPoint{
	{"step1-feature", "win.feature.install", 1, true},
	{"step1-cluster-task", "cluster.create", 1, true},
	{"step2-primary-setup", "master.install", 1, true},
	{"step2-firewall", "win.firewall.add", 1, false},
	{"step3-secondary-setup", "master.install", 2, true},
	{"step3-cert-import", "cert.import", 1, false},
	{"step4-ag-create", "ag.create", 1, true},
	{"step4-catalog", "ssisdb.catalog.create", 1, true},
	{"step5-settings-restart", "settings.master.restart", 1, true},
	{"step6-logging-login", "sql.login.logging.ensure", 1, false},
	{"step7-cluster-role", "cluster.role.create", 1, true},
	{"step8-master-address", "ssisdb.master.address.set", 1, false},
	{"step9-worker-setup", "worker.install", 1, true},
	{"step9-second-worker-setup", "worker.install", 2, true},
	{"step9-worker-restart", "worker.service.restart", 1, true},
}

// killPointsCI are the kill points CI runs: both setups, the cluster task, the
// catalog and a worker install.
var killPointsCI = map[string]bool{"step1-cluster-task": true, "step3-secondary-setup": true, "step4-catalog": true, "step9-worker-setup": true}

// killReference is what a clean full apply runs on each node: per node, how often
// each operation that changes something ran.
type killReference struct {
	changes map[string]map[string]int
}

// referenceApply applies everything once on a fresh lab (speed 0) and counts the
// operations per node that change something: those an apply with nothing left to do
// does not run (detection, the gate's reads, the estate lock), less the checks.
func referenceApply(t *testing.T) *killReference {
	t.Helper()
	r := startLabIn(t, t.TempDir())
	r.lab.ResetStats()
	r.must("apply", "--yes")
	applied := r.lab.Stats()
	r.lab.ResetStats()
	r.must("apply", "--yes")
	detect := r.lab.Stats().Ops
	ref := &killReference{changes: map[string]map[string]int{}}
	for host, n := range applied.Nodes {
		for op, c := range n.Ops {
			// What an apply with nothing to do runs changes nothing (or only its own
			// lock); nor do the checks an action makes first (win.address.check before
			// New-Cluster), which a resumed run may repeat.
			// Exporting the master certificate changes nothing on the primary either
			// (the PFX stays in memory and travels on stdin): an import interrupted
			// before it ran exports it again. The same holds for a worker's
			// certificate, which the trust of step 9 exports before its imports.
			// Nor does reading its public part, which the workers' detection does while
			// the primary's master is not installed. Nor does finding a replica's
			// Integration Services folder, which step 4's detection reads only while
			// Always On support is missing there.
			if detect[op] > 0 || strings.HasSuffix(op, ".check") || op == "cert.export" || op == "worker.cert.export" || op == "is.binn.get" {
				continue
			}
			if ref.changes[host] == nil {
				ref.changes[host] = map[string]int{}
			}
			ref.changes[host][op] = c
		}
	}
	return ref
}

// TestKillDuringLongActions kills ssisha at points spread over a full apply (in the
// middle of both SQL Server setups, the cluster task, the catalog's creation and the
// worker installs among them) against a lab at speed 0.05, and checks that after
// each one apply completes, that no change ran twice on any node, that verify passes
// and that rollback returns the lab to where it started. It waits on the lab's
// scaled operation times for a minute or more, so it is a long test: CI runs it.
func TestKillDuringLongActions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs full applies and rollbacks with ssisha as a process")
	}
	// Not beside the other tests: each kill point's resumed run must start while the
	// long action it interrupted still runs, which a CPU shared with a dozen other labs
	// (under the race detector) can delay past that action's end.
	skipUnlessLong(t, *killPointsFull)
	ref := referenceApply(t)
	full := *killPointsFull || os.Getenv("SSISHA_SOAK") != ""
	var mu sync.Mutex
	resumed, tried := 0, 0
	t.Run("points", func(t *testing.T) {
		for _, kp := range killPoints {
			if !full && !killPointsCI[kp.name] {
				continue
			}
			t.Run(kp.name, func(t *testing.T) {
				t.Parallel()
				runKillPoint(t, ref, kp)
				mu.Lock()
				tried++
				if !t.Failed() {
					resumed++
				}
				mu.Unlock()
			})
		}
	})
	t.Logf("kill points resumed fully: %d of %d", resumed, tried)
}

func runKillPoint(t *testing.T, ref *killReference, kp killPoint) {
	r := startLabAt(t, t.TempDir(), killSpeed)
	seed := r.estateJSON()
	r.lab.ResetStats()
	env := []string{"SSISHA_STATE_DIR=" + filepath.Join(r.dir, "state")}
	first := startProc(t, env, nil, "apply", "--yes", "-f", r.answers, "--secrets", r.secrets, "--journal", r.journalPath())
	killed := false
	for !killed {
		select {
		case <-first.done:
			t.Fatalf("apply ended before the kill point (%s #%d):\n%s", kp.op, kp.nth, first.output())
		case <-time.After(2 * time.Millisecond):
		}
		if r.lab.Stats().Ops[kp.op] < kp.nth {
			continue
		}
		if kp.mid {
			// In the middle: once it has run for a tenth of a second of its (scaled)
			// duration, while it still runs.
			time.Sleep(100 * time.Millisecond)
		}
		_ = first.cmd.Process.Signal(syscall.SIGKILL)
		killed = true
	}
	if code := first.wait(time.Minute); code != -1 {
		t.Fatalf("the apply was to be killed at %s #%d but exited %d:\n%s", kp.op, kp.nth, code, first.output())
	}
	stillRunning := r.lab.Running()
	open := checkJournal(t, readJournal(t, r.journalPath()), false)
	t.Logf("killed at %s #%d: %d open intents, running on the nodes: %v", kp.op, kp.nth, len(open), stillRunning)

	code, out := r.cmd("apply", "--yes")
	if code != 0 {
		t.Fatalf("apply after the kill exited %d:\n%s", code, out)
	}
	if longRunning(stillRunning) && !strings.Contains(out, "resuming: waiting for ") {
		t.Errorf("a long operation was still running when apply resumed, but apply did not say it waits for it:\n%s", out)
	}
	// A long action leaves a marker naming its intent; the resumed run waits for that
	// very intent, and no marker outlives its action.
	if longRunning(stillRunning) && !strings.Contains(out, "an action of the interrupted run ") {
		t.Errorf("a long action was still running when apply resumed, but apply did not find its marker:\n%s", out)
	}
	assertNoMarkers(t, r.lab, "after the resumed apply")
	checkJournal(t, readJournal(t, r.journalPath()), true)
	assertNothingRanTwice(t, ref, r.lab.Stats().Nodes)
	r.assertAllDone("after the resumed apply")
	if code, out := r.cmd("verify"); code != 0 {
		t.Errorf("verify after the resumed apply exited %d:\n%s", code, out)
	}
	if code, out := r.cmd("rollback", "--yes"); code != 0 {
		t.Fatalf("rollback after the resumed apply exited %d:\n%s", code, out)
	}
	r.assertEstate("after rollback", seed)
	checkJournal(t, readJournal(t, r.journalPath()), true)
}

// longRunning reports whether one of the running operations is a long action a
// resume has to wait for.
func longRunning(running map[string][]estate.RunningOp) bool {
	for _, ops := range running {
		for _, r := range ops {
			switch r.Op {
			case "master.install", "worker.install", "cluster.create", "ssisdb.catalog.create":
				return true
			}
		}
	}
	return false
}

// assertNothingRanTwice compares the changes each node saw across the killed apply and
// the resumed one with those of a clean apply.
func assertNothingRanTwice(t *testing.T, ref *killReference, nodes map[string]lab.NodeStats) {
	t.Helper()
	var twice []string
	for host, want := range ref.changes {
		for op, n := range want {
			if got := nodes[host].Ops[op]; got > n {
				twice = append(twice, fmt.Sprintf("%s on %s: %d times (a clean apply: %d)", op, host, got, n))
			}
		}
	}
	sort.Strings(twice)
	if len(twice) > 0 {
		t.Errorf("changes ran more often than in a clean apply:\n  %s", strings.Join(twice, "\n  "))
	}
}

// assertNoMarkers fails when a marker of a long action is left on a node.
func assertNoMarkers(t *testing.T, l *lab.Lab, when string) {
	t.Helper()
	l.Estate(func(e *estate.Estate) {
		for host, n := range e.Nodes {
			for path := range n.Files {
				if strings.HasPrefix(strings.ToLower(path), strings.ToLower(estate.InflightDir)) {
					t.Errorf("%s: marker %s left on %s", when, path, host)
				}
			}
		}
	})
}

package cli

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
)

var soakCycles = flag.Int("soak", 0, "apply/rollback cycles of TestSoak (0: 3, or SSISHA_SOAK)")

// soakFault is one random fault: a kind set on the node of the first target of a step
// when that target starts.
type soakFault struct {
	step  int
	kind  lab.FaultKind
	after int
}

// TestSoak runs apply/rollback cycles against one lab with a random fault in each
// apply (seeded; the seed is logged, SSISHA_SOAK_SEED replays it), and checks that
// nothing leaks or drifts: after each cycle's apply status says every step is done
// and the lab finds the estate healthy, after its rollback the estate is the start,
// and once the lab and the clients are closed the goroutines and open files are back
// where they were. CI runs 3 cycles with a fixed seed; -soak N or SSISHA_SOAK=N more,
// with a random seed.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several full applies and rollbacks")
	}
	cycles, seed := 3, uint64(1)
	if v := os.Getenv("SSISHA_SOAK"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			cycles = n
		} else {
			cycles = 20
		}
		seed = uint64(time.Now().UnixNano())
	}
	if *soakCycles > 0 {
		cycles, seed = *soakCycles, uint64(time.Now().UnixNano())
	}
	if v := os.Getenv("SSISHA_SOAK_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SSISHA_SOAK_SEED=%q: %v", v, err)
		}
		seed = s
	}
	t.Logf("soak: %d cycles, seed %d (replay with SSISHA_SOAK_SEED=%d)", cycles, seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	// Faults that stop a run before the command reaches the node (or that a run
	// survives). A network that drops mid-command is in the long soak only: it can
	// leave a change that the journal never recorded (see TestFaultMatrix).
	kinds := []lab.FaultKind{lab.NodeDown, lab.AuthFailure, lab.SQLReset, lab.Latency}
	if cycles > 3 {
		kinds = append(kinds, lab.Unreachable)
	}

	goroutinesBefore := runtime.NumGoroutine()
	fdsBefore, fdsOK := openFDs()

	func() {
		r := startLabWith(t, labFlags{masters: 2, workers: 2, sqlVersion: 2019, encrypt: "tls"})
		defer func() { _ = r.lab.Close() }()
		seedEstate := r.estateJSON()
		// The kinds take turns from a random start, so that three cycles see three.
		k0 := rng.IntN(len(kinds))
		for c := 1; c <= cycles && !t.Failed(); c++ {
			f := soakFault{step: 1 + rng.IntN(9), kind: kinds[(k0+c)%len(kinds)], after: rng.IntN(3)}
			t.Logf("cycle %d: %s in step %d (after %d requests)", c, f.kind, f.step, f.after)
			soakCycle(t, r, f, seedEstate)
		}
	}()

	// The lab and every client are closed: their goroutines and sockets must go.
	// Closing is asynchronous in places (connection readers notice the close), so
	// the counts are given a moment to settle; a leak never settles.
	const margin = 5
	var goroutinesAfter, fdsAfter int
	for range 100 {
		goroutinesAfter = runtime.NumGoroutine()
		fdsAfter, _ = openFDs()
		if goroutinesAfter <= goroutinesBefore+margin && (!fdsOK || fdsAfter <= fdsBefore+margin) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if goroutinesAfter > goroutinesBefore+margin {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines: %d before the soak, %d after the lab and clients closed:\n%s", goroutinesBefore, goroutinesAfter, buf[:n])
	}
	if fdsOK && fdsAfter > fdsBefore+margin {
		t.Errorf("open files: %d before the soak, %d after the lab and clients closed: connections or files leak", fdsBefore, fdsAfter)
	}
}

// soakCycle is one apply with fault f, apply after it clears, and rollback.
func soakCycle(t *testing.T, r *labRun, f soakFault, start map[string]any) {
	t.Helper()
	var once sync.Once
	w := &lineWatch{}
	w.on = func(line string) {
		m := targetStarted.FindStringSubmatch(line)
		if m == nil || m[1] != strconv.Itoa(f.step) {
			return
		}
		once.Do(func() {
			host := m[2]
			if f.kind == lab.SQLReset && strings.HasPrefix(host, "worker") {
				host = node1
			}
			ft := lab.Fault{Kind: f.kind, Host: host, After: f.after}
			if f.kind == lab.Latency {
				ft.Duration = 2 * time.Millisecond
			}
			mustFault(t, r.lab, ft)
		})
	}
	code := r.run(w, "apply", "--yes")
	if code != 0 && code != ExitStepFailed {
		t.Fatalf("apply with %s in step %d exited %d:\n%s", f.kind, f.step, code, w.String())
	}
	checkJournal(t, readJournal(t, r.journalPath()), true)
	r.lab.ClearFaults()
	if code, out := r.cmd("apply", "--yes"); code != 0 {
		t.Fatalf("apply after %s in step %d cleared exited %d:\n%s", f.kind, f.step, code, out)
	}
	r.assertAllDone(fmt.Sprintf("after %s in step %d and apply again", f.kind, f.step))
	out := r.must("rollback", "--yes")
	r.assertEstate(fmt.Sprintf("after rollback of the cycle with %s in step %d", f.kind, f.step), start)
	checkJournal(t, readJournal(t, r.journalPath()), true)
	if t.Failed() {
		t.Logf("rollback output:\n%s", out)
	}
	// Undoing step 1 removes Failover-Clustering and asks for a restart of each node,
	// which SQL Server setup insists on before the next cycle's step 2: restart them,
	// as the rollback said to.
	r.lab.Estate(func(e *estate.Estate) {
		for _, n := range e.Nodes {
			n.PendingReboot = false
		}
	})
}

// openFDs counts this process's open file descriptors (Linux only).
func openFDs() (int, bool) {
	if runtime.GOOS != "linux" {
		return 0, false
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	return len(entries), true
}

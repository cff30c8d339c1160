package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps/engine"
)

// fullMatrix runs every step against every fault (81 cells, several minutes with
// -race); CI runs a diagonal of it, every step once and every fault once, which keeps
// the cli tests' share of the CI budget small.
var fullMatrix = flag.Bool("fault-matrix-full", false, "run the fault matrix on every step with every fault (slow; also SSISHA_SOAK=1)")

// killed is the matrix column for "ssisha killed between an action's intent and its
// result"; the other columns are the lab's own fault kinds.
const killed lab.FaultKind = "killed"

// matrixKinds are the matrix columns, in the order the issue lists them.
var matrixKinds = []lab.FaultKind{lab.NodeDown, lab.Unreachable, lab.Latency, lab.WinRMFault, lab.AuthFailure,
	lab.SQLReset, lab.AGFailoverAt, lab.MasterFailoverAt, killed}

// journalName is the journal file of the lab's cluster under SSISHA_STATE_DIR.
const journalName = "ssiscl.journal.jsonl"

// journalPath is where a lab run's journal lives; the tests also pass it with
// --journal, so that what they read is what the commands wrote.
func (r *labRun) journalPath() string { return filepath.Join(r.dir, "state", journalName) }

// run runs one ssisha command in process with the journal of this lab, copying its
// output to w as it is written (so a test can react to progress lines).
func (r *labRun) run(w io.Writer, args ...string) int {
	r.t.Helper()
	a := newApp(BuildInfo{Version: "test"}, strings.NewReader(""), w, w, func(k string) string { return r.env[k] })
	a.isTerminal = func() bool { return false }
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	full := append(append([]string(nil), args...), "-f", r.answers, "--secrets", r.secrets, "--journal", r.journalPath())
	return a.run(ctx, full)
}

// cmd runs one command and returns its exit code and output.
func (r *labRun) cmd(args ...string) (int, string) {
	r.t.Helper()
	var out syncBuffer
	code := r.run(&out, args...)
	return code, out.String()
}

func (r *labRun) must(args ...string) string {
	r.t.Helper()
	code, out := r.cmd(args...)
	if code != 0 {
		r.t.Fatalf("ssisha %s exited %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// states returns "step host" -> state from status --output json.
func (r *labRun) states() map[string]string {
	r.t.Helper()
	out := r.must("status", "--output", "json")
	var p planJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		r.t.Fatalf("status --output json is not JSON: %v\n%s", err, out)
	}
	states := map[string]string{}
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			states[fmt.Sprintf("%d %s", s.ID, t.Host)] = t.State
		}
	}
	return states
}

// assertAllDone checks that status reports every step done on every target (two
// masters and two workers: 14 step targets) and that the lab finds the estate healthy.
func (r *labRun) assertAllDone(when string) {
	r.t.Helper()
	states := r.states()
	if len(states) != 14 {
		r.t.Errorf("%s: status lists %d step targets, want 14: %v", when, len(states), states)
	}
	for k, s := range states {
		if s != "done" {
			r.t.Errorf("%s: step %s is %s, want done", when, k, s)
		}
	}
	if p := r.lab.Health(); len(p) > 0 {
		r.t.Errorf("%s: the lab finds the estate unhealthy: %v", when, p)
	}
}

// assertEstate checks the lab's estate against want, modulo estateDiff's ignores.
func (r *labRun) assertEstate(when string, want map[string]any) {
	r.t.Helper()
	for _, d := range estateDiff("", want, r.estateJSON()) {
		r.t.Errorf("%s: the estate differs from the start: %s", when, d)
	}
}

// syncBuffer is a bytes.Buffer safe for the engine's goroutines and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lineWatch keeps the output and calls on for each complete line as it is written.
// The engine writes progress synchronously before it acts, so on runs before the
// remote call that a line announces.
type lineWatch struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	on      func(line string)
}

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if w.on != nil {
			w.on(line)
		}
	}
	return len(p), nil
}

func (w *lineWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// copyTree copies the regular files under src to dst, keeping their modes. ports.json
// is left out so that a lab started from the copy listens on ports of its own.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if rel == "ports.json" || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copying the lab %s to %s: %v", src, dst, err)
	}
}

// startLabFrom starts a Speed 0 lab (two masters, two workers) from a copy of the lab
// directory src (its state, CA and journal), on new ports, with fresh client files.
func startLabFrom(t *testing.T, src string) *labRun {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, src, dir)
	return startLabIn(t, dir)
}

// startLabIn starts a Speed 0 lab in dir (seeding it when dir holds no state).
func startLabIn(t *testing.T, dir string) *labRun {
	t.Helper()
	return startLabAt(t, dir, 0)
}

// startLabAt starts a lab at speed in dir (seeding it when dir holds no state).
func startLabAt(t *testing.T, dir string, speed float64) *labRun {
	t.Helper()
	f := labFlags{dir: dir, masters: 2, workers: 2, sqlVersion: 2019, encrypt: "tls", speed: speed}
	l, err := lab.Start(f.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	ans, sec, err := writeLabClientFiles(l, f)
	if err != nil {
		t.Fatal(err)
	}
	return &labRun{t: t, lab: l, dir: dir, answers: ans, secrets: sec,
		env: map[string]string{"SSISHA_STATE_DIR": filepath.Join(dir, "state")}}
}

// readJournal parses the journal at path line by line, as the engine writes it.
func readJournal(t testing.TB, path string) []engine.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the journal: %v", err)
	}
	var recs []engine.Record
	// A last line without its newline is a write the process died in (SIGKILL); the
	// engine drops it when it next opens the journal.
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec engine.Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("the journal %s does not parse at line %d: %v", path, n, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// recOrigin identifies the action run a record belongs to, as the engine pairs them:
// an intent, its result (written by the same run, or by a later one with Ref) and its
// undo share it.
func recOrigin(r engine.Record) string {
	run := r.RunID
	if r.Ref != "" {
		run = r.Ref
	}
	return fmt.Sprintf("%s|%d|%s|%s", run, r.Step, strings.ToLower(r.Target), r.Action)
}

// checkJournal asserts the journal's invariants: every record is one of the known
// kinds; every result answers an intent written before it, and no intent (or undo
// intent) has more than one result. With settled, no intent is left without a result.
// It returns the intents that are still open.
func checkJournal(t testing.TB, recs []engine.Record, settled bool) []engine.Record {
	t.Helper()
	intents := map[string]engine.Record{}
	results := map[string]int{}
	var order []string
	for i, r := range recs {
		key := recOrigin(r)
		switch r.Kind {
		case engine.KindRunStart, engine.KindRunEnd:
		case engine.KindIntent, engine.KindUndoIntent:
			k := string(r.Kind) + "|" + key
			if _, dup := intents[k]; dup {
				t.Errorf("journal line %d: a second %s for %s", i+1, r.Kind, key)
			}
			intents[k] = r
			order = append(order, k)
		case engine.KindResult, engine.KindUndoResult:
			ik := "intent|" + key
			if r.Kind == engine.KindUndoResult {
				ik = "undo-intent|" + key
			}
			if _, ok := intents[ik]; !ok {
				t.Errorf("journal line %d: %s %s for %s answers no intent before it", i+1, r.Kind, r.Status, key)
			}
			results[ik]++
			if results[ik] > 1 {
				t.Errorf("journal line %d: intent %s has %d results", i+1, key, results[ik])
			}
		default:
			t.Errorf("journal line %d: unknown record kind %q", i+1, r.Kind)
		}
	}
	var open []engine.Record
	for _, k := range order {
		if results[k] == 0 {
			open = append(open, intents[k])
		}
	}
	if settled {
		for _, r := range open {
			t.Errorf("journal: %s of step %d on %s (%s) has no result after a finished run", r.Kind, r.Step, r.Target, r.Action)
		}
	}
	return open
}

// requestTotals sums the lab's WinRM requests and TDS round trips over every node.
func requestTotals(s lab.Stats) (winrm, tds int) {
	for _, n := range s.Nodes {
		winrm += n.WinRMRequests
		tds += n.TDSRoundTrips
	}
	return winrm, tds
}

// matrixFixture is what the fault matrix shares: the starting estate, a lab directory
// per step N with steps 1..N-1 done (state, CA and journal), the operations each step
// runs beyond detection, and what a clean full apply costs in requests.
type matrixFixture struct {
	seed      map[string]any
	snaps     [10]string
	stepOps   [10][]string
	psOps     map[string]bool
	cleanReqs int
}

// prepareMatrix applies the steps one at a time to one lab, copying its directory
// before each step, and learns from the lab's counters which operations each step runs.
func prepareMatrix(t *testing.T) *matrixFixture {
	t.Helper()
	root := t.TempDir()
	fx := &matrixFixture{psOps: map[string]bool{}}
	ps, _ := estate.NewOperations().Names()
	for _, op := range ps {
		fx.psOps[op] = true
	}
	r := startLabIn(t, filepath.Join(root, "work"))
	fx.seed = r.estateJSON()
	r.lab.ResetStats()
	for n := 1; n <= 9; n++ {
		fx.snaps[n] = filepath.Join(root, fmt.Sprintf("before-step-%d", n))
		copyTree(t, r.dir, fx.snaps[n])
		before := r.lab.Stats().Ops
		r.must("apply", "--yes", "--steps", fmt.Sprint(n))
		applied := r.lab.Stats().Ops
		r.must("status")
		detect := r.lab.Stats().Ops
		// What apply ran and a detection of every step does not run: the step's
		// actions and its verification reads.
		for op, c := range applied {
			if c > before[op] && detect[op] == applied[op] {
				fx.stepOps[n] = append(fx.stepOps[n], op)
			}
		}
		sort.Strings(fx.stepOps[n])
		if len(fx.stepOps[n]) == 0 {
			t.Fatalf("step %d ran no operation that detection does not run", n)
		}
	}
	w, q := requestTotals(r.lab.Stats())
	fx.cleanReqs = w + q
	t.Logf("operations per step: %v; a clean apply of every step, one at a time, with status after each: %d requests", fx.stepOps[1:], fx.cleanReqs)
	return fx
}

// matrixCase is one cell: a fault against one step, on the node whose target starts
// first in it, or on host when set.
type matrixCase struct {
	step int
	kind lab.FaultKind
	host string
}

// pinnedCells are cells the diagonal misses and a real estate has shown matter: a
// login failure on the primary while a secondary of step 4 waits for its group and
// its seeding (each read a login attempt: a domain account lockout in the making).
var pinnedCells = []matrixCase{{step: 4, kind: lab.AuthFailure, host: node1}}

// TestFaultMatrix injects each fault into each step of apply and checks what the
// issue asks of every cell: the run stops with an error naming the step, the node and
// what to do (or, for a fault a real estate survives, finishes with a correct result);
// the retries are bounded; the journal stays consistent; apply after the fault clears
// completes the setup; and rollback from there returns the estate to its start.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault matrix runs full applies and rollbacks")
	}
	t.Parallel()
	fx := prepareMatrix(t)
	full := *fullMatrix || os.Getenv("SSISHA_SOAK") != ""
	var cases []matrixCase
	for n := 1; n <= 9; n++ {
		for i, k := range matrixKinds {
			// The diagonal puts the kill in step 7 (a cluster role created and not
			// journaled) and the AG failover in step 5 (after the AG exists).
			if full || (n+1)%len(matrixKinds) == i {
				cases = append(cases, matrixCase{step: n, kind: k})
			}
		}
	}
	cases = append(cases, pinnedCells...)
	cases = append(cases, extraMatrixCells(full)...)
	t.Run("cells", func(t *testing.T) {
		for _, c := range cases {
			name := fmt.Sprintf("step%d/%s", c.step, c.kind)
			if c.host != "" {
				name += "@" + estate.ShortName(c.host)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				runMatrixCase(t, fx, c)
			})
		}
	})
}

// Hosts of the lab's estate.
const (
	node1 = "node1.contoso.com"
	node2 = "node2.contoso.com"
)

var targetStarted = regexp.MustCompile(`^\[step (\d+)\] ([a-z0-9.-]+\.contoso\.com): started$`)

// survivable says which faults a real estate rides through, so that apply may finish:
// added latency well under the client timeout, a connection reset that the client
// retries (read-only and idempotent batches), and failovers that the steps follow
// (they find the primary and go through the listener). The others must stop the run.
func survivable(k lab.FaultKind) bool {
	switch k {
	case lab.Latency, lab.SQLReset, lab.AGFailoverAt, lab.MasterFailoverAt, killed:
		return true
	}
	return false
}

func runMatrixCase(t *testing.T, fx *matrixFixture, c matrixCase) {
	r := startLabFrom(t, fx.snaps[c.step])
	r.lab.ResetStats()

	// The op faults are set before the run: they strike when the step's operation
	// runs. The host faults are set when the step's first target starts, so that they
	// strike in that step rather than in the detection before it.
	ops := fx.stepOps[c.step]
	var onTarget func(host string) lab.Fault
	faultHost := ""
	switch c.kind {
	case lab.SlowOp:
		faultHost = setSlowOpPastLimit(t, r, fx, c.step)
	case lab.WinRMFault:
		op := ""
		for _, o := range ops {
			if fx.psOps[o] {
				op = o
				break
			}
		}
		if op == "" {
			// A WinRM fault on its node would strike first in the next step's detection.
			t.Skipf("step %d changes nothing over WinRM (its operations: %v), so a WinRM fault cannot strike in it", c.step, ops)
		}
		mustFault(t, r.lab, lab.Fault{Kind: lab.WinRMFault, Op: op})
		faultHost = "*"
	case lab.AGFailoverAt, lab.MasterFailoverAt:
		mustFault(t, r.lab, lab.Fault{Kind: c.kind, Host: node2, Op: ops[0]})
		faultHost = node2
	case lab.NodeDown:
		onTarget = func(h string) lab.Fault { return lab.Fault{Kind: lab.NodeDown, Host: h} }
	case lab.Unreachable:
		// It answers one more request (a shell is made, a TDS pre-login passes), then
		// the network goes away in the middle of the command.
		onTarget = func(h string) lab.Fault { return lab.Fault{Kind: lab.Unreachable, Host: h, After: 1} }
	case lab.Latency:
		onTarget = func(h string) lab.Fault { return lab.Fault{Kind: lab.Latency, Host: h, Duration: 3 * time.Millisecond} }
	case lab.AuthFailure:
		onTarget = func(h string) lab.Fault { return lab.Fault{Kind: lab.AuthFailure, Host: h} }
	case lab.SQLReset:
		// Workers have no instance: their steps' T-SQL goes to the primary.
		onTarget = func(h string) lab.Fault {
			if strings.HasPrefix(h, "worker") {
				h = node1
			}
			return lab.Fault{Kind: lab.SQLReset, Host: h}
		}
	}

	var code int
	var out string
	if c.kind == killed {
		code, out = killBetweenIntentAndResult(t, r, c.step)
	} else {
		var once sync.Once
		w := &lineWatch{}
		w.on = func(line string) {
			m := targetStarted.FindStringSubmatch(line)
			if onTarget == nil || m == nil || m[1] != fmt.Sprint(c.step) {
				return
			}
			once.Do(func() {
				h := m[2]
				if c.host != "" {
					h = c.host
				}
				f := onTarget(h)
				faultHost = f.Host
				mustFault(t, r.lab, f)
			})
		}
		code = r.run(w, "apply", "--yes")
		out = w.String()
	}
	stats := r.lab.Stats()
	struck := stats.Faults[c.kind]
	t.Logf("step %d, %s on %s: exit %d, struck %d times", c.step, c.kind, faultHost, code, struck)
	if c.kind != killed && faultHost == "" {
		t.Fatalf("step %d never started a target, so the fault was never set:\n%s", c.step, out)
	}

	// Bounded: a run that retries a dead node in a loop shows in the request counts.
	winrm, tds := requestTotals(stats)
	if winrm+tds > 2*fx.cleanReqs {
		t.Errorf("the faulted run made %d WinRM requests and %d TDS round trips; a clean apply of every step makes %d in all: retries are not bounded",
			winrm, tds, fx.cleanReqs)
	}
	if struck > 40 && c.kind != lab.Latency {
		t.Errorf("the %s fault struck %d times: the client keeps retrying a node that does not answer", c.kind, struck)
	}

	switch {
	case code == 0 && survivable(c.kind):
		// A real estate survives this one: the result must be right all the same.
		r.assertAllDone(fmt.Sprintf("after apply survived %s in step %d", c.kind, c.step))
	case code == 0:
		t.Errorf("apply with %s in step %d exited 0 (the fault struck %d times); it must stop:\n%s", c.kind, c.step, struck, out)
	case code != ExitStepFailed:
		t.Errorf("apply with %s in step %d exited %d, want %d:\n%s", c.kind, c.step, code, ExitStepFailed, out)
	default:
		if struck == 0 && c.kind != killed {
			t.Errorf("apply failed although the %s fault never struck:\n%s", c.kind, out)
		}
		assertFailureNamed(t, out, c.step, faultHost)
		if c.kind == lab.AuthFailure && strings.Contains(out, "did not happen within") {
			t.Errorf("a login failure was waited out to a timeout instead of ending the wait with its cause:\n%s", out)
		}
	}
	checkJournal(t, readJournal(t, r.journalPath()), true)
	if t.Failed() {
		return
	}

	r.lab.ClearFaults()
	if code, out := r.cmd("apply", "--yes"); code != 0 {
		t.Fatalf("apply after the %s fault cleared exited %d:\n%s", c.kind, code, out)
	}
	r.assertAllDone(fmt.Sprintf("after %s in step %d and apply again", c.kind, c.step))
	checkJournal(t, readJournal(t, r.journalPath()), true)

	out = r.must("rollback", "--yes")
	r.assertEstate("after rollback", fx.seed)
	checkJournal(t, readJournal(t, r.journalPath()), true)
	if t.Failed() {
		t.Logf("rollback output:\n%s", out)
	}
}

func mustFault(t *testing.T, l *lab.Lab, f lab.Fault) {
	if err := l.SetFault(f); err != nil {
		t.Errorf("SetFault(%+v): %v", f, err)
	}
}

// assertFailureNamed checks that a failed run's output says, on one line, which step
// failed on which node, why, and what to do.
func assertFailureNamed(t *testing.T, out string, step int, host string) {
	t.Helper()
	prefix := fmt.Sprintf("[step %d] ", step)
	for line := range strings.SplitSeq(out, "\n") {
		if !strings.HasPrefix(line, prefix) || !strings.Contains(line, "fix: ") {
			continue
		}
		if !strings.Contains(line, "failed") && !strings.Contains(line, "blocked") {
			continue
		}
		if host == "*" || host == "" || strings.Contains(line, host) || strings.Contains(line, estate.ShortName(host)) {
			return
		}
	}
	t.Errorf("no line of the output names step %d, the node %s, the cause and a fix:\n%s", step, host, out)
}

// killBetweenIntentAndResult leaves the lab and the journal as a process killed
// between the last action of step N and its result leaves them: the action ran on the
// node, the journal has its intent and nothing after. Then it runs apply, which must
// find the interrupted action, re-detect it and finish.
func killBetweenIntentAndResult(t *testing.T, r *labRun, step int) (int, string) {
	t.Helper()
	r.must("apply", "--yes", "--steps", fmt.Sprint(step))
	path := r.journalPath()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	cut := -1
	for i, l := range lines {
		var rec engine.Record
		if json.Unmarshal(l, &rec) == nil && rec.Kind == engine.KindIntent && rec.Step == step {
			cut = i + 1
		}
	}
	if cut < 0 {
		t.Fatalf("step %d journaled no intent", step)
	}
	if err := os.WriteFile(path, bytes.Join(lines[:cut], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	// Targets run in parallel, so a kill can leave one open intent per target.
	open := checkJournal(t, readJournal(t, path), false)
	if len(open) == 0 {
		t.Fatalf("after the simulated kill the journal has no open intent")
	}
	r.lab.ResetStats()
	code, out := r.cmd("apply", "--yes")
	want := fmt.Sprintf("resuming: step %d on %s was interrupted", step, open[0].Target)
	if !strings.Contains(out, want) {
		t.Errorf("apply after the kill does not say %q:\n%s", want, out)
	}
	if slices.ContainsFunc(checkJournal(t, readJournal(t, path), true), func(engine.Record) bool { return true }) {
		t.Errorf("the interrupted intent is still open after apply resumed")
	}
	return code, out
}

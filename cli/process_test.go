package cli

import (
	"bufio"

	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssisha/ssisha/steps/engine"
)

// proc is ssisha running as a child process: the test binary itself, which TestMain
// turns into ssisha when SSISHA_TEST_AS_MAIN=1.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder // stdout and stderr, for failure messages
	done chan struct{}
	err  error
}

// startProc starts ssisha with args and env (added to this process's environment);
// each stdout line goes to onLine as it arrives.
func startProc(t *testing.T, env []string, onLine func(string), args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "SSISHA_TEST_AS_MAIN=1"), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.out.Write(b)
		return len(b), nil
	})
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting ssisha %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			p.mu.Unlock()
			if onLine != nil {
				onLine(line)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// wait waits for the process to exit and returns its exit code (-1 when a signal
// ended it).
func (p *proc) wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("ssisha %s did not finish within %s:\n%s", strings.Join(p.cmd.Args[1:], " "), within, p.output())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatalf("ssisha %s: %v", strings.Join(p.cmd.Args[1:], " "), p.err)
	}
	return 0
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// serveLab starts `ssisha lab serve` in dir and waits until it says it is serving.
func serveLab(t *testing.T, dir string) *proc {
	t.Helper()
	ready := make(chan struct{})
	var once sync.Once
	p := startProc(t, nil, func(line string) {
		if strings.HasPrefix(line, "Ctrl-C stops the lab") {
			once.Do(func() { close(ready) })
		}
	}, "lab", "serve", "--dir", dir, "--speed", "0.01")
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("ssisha lab serve exited before serving:\n%s", p.output())
	case <-time.After(2 * time.Minute):
		t.Fatalf("ssisha lab serve did not start serving:\n%s", p.output())
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets.env")); err != nil {
		t.Fatalf("lab serve is serving but wrote no secrets.env: %v", err)
	}
	return p
}

// stopLab interrupts lab serve and checks that it stops cleanly and keeps its state.
func stopLab(t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(time.Minute); code != 0 {
		t.Errorf("lab serve exited %d on SIGINT, want 0:\n%s", code, p.output())
	}
	if !strings.Contains(p.output(), "state kept in") {
		t.Errorf("lab serve did not say that it kept its state:\n%s", p.output())
	}
}

// event is the part of an --output json event line the test reads.
type event struct {
	Kind    engine.EventKind `json:"kind"`
	Step    int              `json:"step"`
	Target  string           `json:"target"`
	Action  string           `json:"action"`
	Message string           `json:"message"`
}

// TestKillBetweenIntentAndResult kills ssisha (SIGKILL, as a crash or a closed
// terminal would) while an action of step 4 runs against a lab in another process,
// and checks that the next apply re-detects the interrupted action, finishes the
// setup without running any finished action twice, and that the lab keeps its state
// across its own restart.
func TestKillBetweenIntentAndResult(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ssisha and the lab as processes")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGINT cannot be sent to a child process on Windows")
	}
	t.Parallel()
	dir := t.TempDir()
	lab := serveLab(t, dir)
	stateDir := filepath.Join(dir, "state")
	env := []string{"SSISHA_STATE_DIR=" + stateDir}
	args := []string{"-f", filepath.Join(dir, "answers.yaml"), "--secrets", filepath.Join(dir, "secrets.env")}
	apply := append([]string{"apply", "--yes", "--output", "json"}, args...)

	// The first run: killed as soon as step 4 has journaled its first intent.
	const killStep = 4
	var killed sync.Once
	var victim event
	var first *proc
	// finished are the actions the first run reported ended: none of them may be
	// left open in the journal. Other steps' actions may run beside step 4's, since
	// a step starts as soon as what it needs is done.
	var finMu sync.Mutex
	finished := map[string]bool{}
	started := make(chan struct{})
	first = startProc(t, env, func(line string) {
		<-started
		var ev event
		if json.Unmarshal([]byte(line), &ev) != nil {
			return
		}
		if ev.Kind == engine.ActionFinished {
			finMu.Lock()
			finished[fmt.Sprintf("%d %s %s", ev.Step, ev.Target, ev.Action)] = true
			finMu.Unlock()
		}
		if ev.Kind != engine.ActionStarted || ev.Step != killStep {
			return
		}
		killed.Do(func() {
			victim = ev
			_ = first.cmd.Process.Signal(syscall.SIGKILL)
		})
	}, apply...)
	close(started)
	if code := first.wait(3 * time.Minute); code != -1 {
		t.Fatalf("the first apply was to be killed in step %d but exited %d:\n%s", killStep, code, first.output())
	}
	journal := filepath.Join(stateDir, journalName)
	open := checkJournal(t, readJournal(t, journal), false)
	if len(open) == 0 {
		t.Fatalf("after SIGKILL during %s on %s the journal has no open intent", victim.Action, victim.Target)
	}
	finMu.Lock()
	for _, r := range open {
		if finished[fmt.Sprintf("%d %s %s", r.Step, r.Target, r.Action)] {
			t.Errorf("open intent in step %d (%s on %s), which the run reported finished", r.Step, r.Action, r.Target)
		}
	}
	finMu.Unlock()

	// The second run resumes.
	var evMu sync.Mutex
	var notices []string
	second := startProc(t, env, func(line string) {
		var ev event
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Kind == engine.Notice {
			evMu.Lock()
			notices = append(notices, ev.Message)
			evMu.Unlock()
		}
	}, apply...)
	if code := second.wait(5 * time.Minute); code != 0 {
		t.Fatalf("apply after the kill exited %d:\n%s", code, second.output())
	}
	evMu.Lock()
	for _, r := range open {
		want := fmt.Sprintf("resuming: step %d on %s was interrupted", r.Step, r.Target)
		found := false
		for _, n := range notices {
			found = found || strings.HasPrefix(n, want)
		}
		if !found {
			t.Errorf("the second run did not say %q; its notices: %q", want, notices)
		}
	}
	evMu.Unlock()

	// No finished action ran twice: an action has at most one intent, except one
	// that was interrupted, which may run once more.
	recs := readJournal(t, journal)
	checkJournal(t, recs, true)
	interrupted := map[string]bool{}
	for _, r := range open {
		interrupted[fmt.Sprintf("%d|%s|%s", r.Step, strings.ToLower(r.Target), r.Action)] = true
	}
	runs := map[string]int{}
	for _, r := range recs {
		if r.Kind == engine.KindIntent {
			runs[fmt.Sprintf("%d|%s|%s", r.Step, strings.ToLower(r.Target), r.Action)]++
		}
	}
	for k, n := range runs {
		limit := 1
		if interrupted[k] {
			limit = 2
		}
		if n > limit {
			t.Errorf("action %s ran %d times across the two runs (at most %d)", k, n, limit)
		}
	}

	status := append([]string{"status", "--output", "json"}, args...)
	assertProcStatusDone(t, env, status, "after the resumed apply")

	// The lab stops on SIGINT, keeps its state, and serves it again on restart.
	stopLab(t, lab)
	lab = serveLab(t, dir)
	assertProcStatusDone(t, env, status, "after the lab restarted")
	stopLab(t, lab)
}

// assertProcStatusDone runs status as a process and checks every step is done on
// every target.
func assertProcStatusDone(t *testing.T, env, status []string, when string) {
	t.Helper()
	p := startProc(t, env, nil, status...)
	if code := p.wait(2 * time.Minute); code != 0 {
		t.Fatalf("%s: status exited %d:\n%s", when, code, p.output())
	}
	var plan planJSON
	out := p.output()
	if i := strings.IndexByte(out, '{'); i >= 0 {
		out = out[i:]
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&plan); err != nil {
		t.Fatalf("%s: status --output json: %v\n%s", when, err, p.output())
	}
	n := 0
	for _, s := range plan.Steps {
		for _, tg := range s.Targets {
			n++
			if tg.State != "done" {
				t.Errorf("%s: step %d on %s is %s, want done", when, s.ID, tg.Host, tg.State)
			}
		}
	}
	if n != 14 {
		t.Errorf("%s: status lists %d step targets, want 14", when, n)
	}
}

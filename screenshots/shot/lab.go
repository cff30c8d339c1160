package shot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/ssisha/ssisha/cli"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/ui/uitest"
)

// LabSpeed is the lab speed of the pictures: slow enough that a run is caught with
// more than one node at work, fast enough that the whole tour takes seconds.
const LabSpeed = 0.02

// failOp and failHost are where the run of the pictures fails: creating the master's
// cluster role (step 7) on the first master, over WinRM, as a real estate fails when
// a node's WinRM service errs. The fault is lifted before the retry.
const (
	failOp   = "cluster.role.create"
	failHost = "node1.contoso.com"
)

// slowOp is step 5's change on each master, held up for slowFor so that the picture of
// the run catches both masters at work: at the lab's speed the step takes less than a
// glance, but on a real estate rewriting the settings and restarting the service does
// not.
const (
	slowOp  = "settings.master.set"
	slowFor = 3 * time.Second
)

// LabScreens drives the real wizard, with the real backend, against a lab started in
// this process (2 masters, 1 worker, at speed) on a TrueColor terminal emulator of
// width x height, and captures each screen of Names on the way: the start, every
// question group with a mistake typed, preflight, the plan with a script open, a run
// with two nodes at work, a failure, the summary after the retry, and the steps. It
// fails rather than return a picture that shows one of the lab's secrets.
func LabScreens(ctx context.Context, width, height int, speed float64) ([]Screen, error) {
	return labScreens(ctx, width, height, speed, nil)
}

// labScreens is LabScreens with a look at the lab before the wizard starts, for tests.
func labScreens(ctx context.Context, width, height int, speed float64, onLab func(*lab.Lab)) (screens []Screen, err error) {
	o := Options()
	// The start screen names the answer file; the lab's own is in a temporary
	// directory whose name changes on every run. The tour never saves.
	o.AnswersPath = "answers.yaml"
	w, err := cli.NewLabWizard(cli.LabWizardOptions{Masters: 2, Workers: 1, Speed: speed, UI: o})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if onLab != nil {
		onLab(w.Lab)
	}
	secrets := w.Lab.Secrets()
	// Computed before the program starts: the wizard writes what is typed into its
	// answers, from its own goroutine.
	var mistakes []uitest.Mistake
	var questions []string
	for _, n := range Names {
		if !strings.HasPrefix(n, "questions-") {
			continue
		}
		mk, ok := uitest.QuestionMistake(len(questions), w.Answers, w.Secrets)
		if !ok {
			return nil, fmt.Errorf("%s: the question group has no mistake to show", n)
		}
		questions = append(questions, n)
		mistakes = append(mistakes, mk)
	}

	tb := &captureTB{}
	tm := teatest.NewTestModel(tb, w.Model, teatest.WithInitialTermSize(width, height),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor)))
	term := newTerminal(width, height)
	followed := make(chan struct{})
	go func() { defer close(followed); term.follow(ctx, tm.Output()) }()
	d := &labDriver{ctx: ctx, tm: tm, term: term, tb: tb, shots: map[string]Screen{}}
	defer func() {
		// However the tour ended, the program must stop before the lab does: the
		// wizard may be waiting on it.
		_ = tm.Quit()
		tm.WaitFinished(tb, teatest.WithFinalTimeout(30*time.Second), teatest.WithTimeoutFn(func(testing.TB) {
			err = errors.Join(err, errors.New("the wizard did not quit within 30s"))
		}))
		term.close()
		<-followed
		if err == nil {
			err = tb.failure()
		}
	}()

	if err := d.tour(w.Lab, questions, mistakes); err != nil {
		return nil, err
	}
	for _, n := range Names {
		s, ok := d.shots[n]
		if !ok {
			return nil, fmt.Errorf("the tour of the lab captured no %q screen", n)
		}
		for k, v := range secrets {
			if v != "" && (strings.Contains(s.ANSI, v) || strings.Contains(s.Text, v)) {
				return nil, fmt.Errorf("%s shows the value of %s", n, k)
			}
		}
		screens = append(screens, s)
	}
	return screens, nil
}

// labDriver types into the wizard and waits for what the emulated screen shows.
type labDriver struct {
	ctx   context.Context
	tm    *teatest.TestModel
	term  *terminal
	tb    *captureTB
	shots map[string]Screen
}

// tour walks the wizard from the start screen to the steps screen, capturing on the way.
func (d *labDriver) tour(l *lab.Lab, questions []string, mistakes []uitest.Mistake) error {
	if err := d.waitFor("the start screen", has("Answer the questions")); err != nil {
		return err
	}
	d.capture("start")

	// The second item asks the questions page by page (the first reviews the lab's
	// answers at once).
	d.press(runeKey('j'), enter)
	for g, name := range questions {
		header := fmt.Sprintf("Questions %d/%d", g+1, len(questions))
		// The prefilled network facts are checked when a group opens; the picture is
		// of the group with those answers in.
		if err := d.waitFor(header, all(has(header), not(has("checking…")))); err != nil {
			return err
		}
		mk := mistakes[g]
		before := strings.Count(d.term.text(), failMark)
		// The form moves the focus with a command of its own, after the key: each move
		// must be drawn before the next key, or that key lands in the field left.
		for range mk.Moves {
			d.press(tab)
			if err := d.settle(); err != nil {
				return err
			}
		}
		d.press(mk.Keys...)
		// A syntax check shows at once, a network check once typing pauses.
		flagged := func(s string) bool { return strings.Count(s, failMark) > before && !strings.Contains(s, "checking…") }
		if err := d.waitFor(name+" with its mistake flagged", flagged); err != nil {
			return err
		}
		d.capture(name)
		d.press(mk.Undo...)
		if err := d.waitFor(name+" with its mistake undone", func(s string) bool { return strings.Count(s, failMark) == before }); err != nil {
			return err
		}
		// Enter moves one field on, and past the group's last to the next group (or,
		// after the last group, to preflight). Each press moves once, however fast they
		// come, so they go together.
		for range mk.Fields - mk.Moves {
			d.press(enter)
		}
		if err := d.waitFor("the questions after "+name, not(has(header))); err != nil {
			return err
		}
	}

	// After the last question, the review of every answer; n runs preflight.
	if err := d.waitFor("the review", has("enter changes one")); err != nil {
		return err
	}
	d.press(runeKey('n'))
	if err := d.waitFor("preflight's results", all(has(" success"), not(has("Waiting for the first results")))); err != nil {
		return err
	}
	if err := d.settle(); err != nil {
		return err
	}
	// The cursor starts on a failed check, if any: its name is what skipping it takes.
	failed := ""
	if m := failedCheck.FindStringSubmatch(d.term.text()); m != nil {
		failed = m[1]
	}
	// The cursor on the first warning, whose details and fix then show below the grid.
	if err := d.downUntil(": ⚠ Warning", "preflight has no warning to show"); err != nil {
		return err
	}
	d.capture("preflight")

	// A failed check holds the way on until it is skipped by name: the lab's clock runs
	// ahead of this machine's by the inverse of its speed, so a tour slowed down (by
	// the race detector) finds the clock check failed, and the rest of the tour does
	// not depend on it.
	if failed != "" {
		d.press(runeKey('s'))
		if err := d.waitFor("the skip prompt", has("Skip a failed check")); err != nil {
			return err
		}
		for _, r := range failed {
			d.press(runeKey(r))
		}
		d.press(enter)
	}
	d.press(enter)
	if err := d.waitFor("the plan", has("fingerprint")); err != nil {
		return err
	}
	// The cursor on the first action, whose scripts then show beside the plan.
	if err := d.downUntil("# on ", "no action of the plan shows a script"); err != nil {
		return err
	}
	d.capture("plan")

	for _, f := range []lab.Fault{
		{Kind: lab.SlowOp, Op: slowOp, Duration: slowFor},
		{Kind: lab.WinRMFault, Op: failOp, Host: failHost},
	} {
		if err := l.SetFault(f); err != nil {
			return err
		}
	}
	d.press(runeKey('a'))
	if err := d.waitFor("the apply confirmation", has("Apply the plan?")); err != nil {
		return err
	}
	d.press(runeKey('y'))
	// Step 5 runs on both masters at once, with four steps done before it; a second
	// in, so the elapsed time shows it is live.
	busy := func(s string) bool { return strings.Count(s, "running • step 5 1s") >= 2 }
	if err := d.waitFor("step 5 running on both masters", busy); err != nil {
		return err
	}
	d.capture("run")

	if err := d.waitFor("the failure", has("r retry the step")); err != nil {
		return err
	}
	d.capture("run-failed")

	l.ClearFaults()
	d.press(runeKey('r'))
	if err := d.waitFor("the retry confirmation", has("Retry step")); err != nil {
		return err
	}
	d.press(runeKey('y'))
	if err := d.waitFor("the summary", has("Verification")); err != nil {
		return err
	}
	d.capture("summary")

	d.press(runeKey('t'))
	if err := d.waitFor("the steps screen", all(has("what is done on each node"), not(has("detecting")))); err != nil {
		return err
	}
	for range 3 {
		d.press(runeKey('j'))
	}
	if err := d.settle(); err != nil {
		return err
	}
	d.capture("steps")
	return nil
}

// downUntil moves the cursor down one row at a time until the screen shows text,
// or fails with missing after 60 moves.
func (d *labDriver) downUntil(text, missing string) error {
	for i := 0; !strings.Contains(d.term.text(), text); i++ {
		if i > 60 {
			return fmt.Errorf("%s; the screen:\n%s", missing, d.term.text())
		}
		d.press(runeKey('j'))
		if err := d.settle(); err != nil {
			return err
		}
	}
	return nil
}

// failedCheck finds the name of the failed check under preflight's cursor.
var failedCheck = regexp.MustCompile(`• (.+): ✗ Failed`)

// failMark is how the checks beside the questions mark a failure.
const failMark = "✗"

var (
	enter = tea.KeyPressMsg{Code: tea.KeyEnter}
	tab   = tea.KeyPressMsg{Code: tea.KeyTab}
)

func runeKey(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

// press sends keys to the wizard in order.
func (d *labDriver) press(keys ...tea.KeyPressMsg) {
	for _, k := range keys {
		d.tm.Send(k)
	}
}

func has(s string) func(string) bool { return func(t string) bool { return strings.Contains(t, s) } }

func not(f func(string) bool) func(string) bool { return func(t string) bool { return !f(t) } }

func all(fs ...func(string) bool) func(string) bool {
	return func(t string) bool {
		for _, f := range fs {
			if !f(t) {
				return false
			}
		}
		return true
	}
}

// waitTimeout bounds each wait of the tour; a step of the run at the pictures' speed
// takes seconds.
const waitTimeout = 90 * time.Second

// waitFor waits until the screen shows what cond looks for, two looks in a row, so
// that a frame the terminal has only half received is not taken for it.
func (d *labDriver) waitFor(what string, cond func(screen string) bool) error {
	deadline := time.Now().Add(waitTimeout)
	seen := 0
	for {
		if err := d.tb.failure(); err != nil {
			return err
		}
		if cond(d.term.text()) {
			seen++
			if seen == 2 {
				return nil
			}
		} else {
			seen = 0
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the wizard never showed %s within %s; the screen:\n%s", what, waitTimeout, d.term.text())
		}
		select {
		case <-d.ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, d.ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settle waits until the screen has not changed for a moment: the keys sent so far
// are handled and drawn.
func (d *labDriver) settle() error {
	const quiet = 80 * time.Millisecond
	last, since := d.term.text(), time.Now()
	deadline := time.Now().Add(waitTimeout)
	for time.Since(since) < quiet {
		if time.Now().After(deadline) {
			return errors.New("the screen never stopped changing")
		}
		select {
		case <-d.ctx.Done():
			return d.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if now := d.term.text(); now != last {
			last, since = now, time.Now()
		}
	}
	return nil
}

// capture keeps the screen as it is now under name.
func (d *labDriver) capture(name string) {
	a, t := d.term.snapshot()
	d.shots[name] = Screen{Name: name, ANSI: a, Text: t}
}

// terminal replays the wizard's output into a terminal emulator: the renderer sends
// only what changed since the last frame, so a screen exists only as the sum of them.
type terminal struct {
	mu      sync.Mutex
	emu     *vt.Emulator
	drained chan struct{}
	closed  chan struct{}
}

func newTerminal(width, height int) *terminal {
	t := &terminal{emu: vt.NewEmulator(width, height), drained: make(chan struct{}), closed: make(chan struct{})}
	// The emulator answers terminal queries on its input pipe, and a write blocks until
	// someone reads the answer; the wizard here has no terminal to read them from.
	go func() {
		defer close(t.drained)
		_, _ = io.Copy(io.Discard, t.emu)
	}()
	// LNM: a bare newline also returns the carriage, as the renderer assumes.
	_, _ = t.emu.WriteString("\x1b[20h")
	return t
}

// follow copies r, the program's output, into the emulator until ctx ends or the
// terminal is closed. r is a buffer that reports EOF whenever it is empty for now.
func (t *terminal) follow(ctx context.Context, r io.Reader) {
	// Large enough that a whole frame arrives in one read and is applied at once.
	buf := make([]byte, 1<<20)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			t.mu.Lock()
			_, _ = t.emu.Write(buf[:n])
			t.mu.Unlock()
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return
		}
		if n == 0 {
			select {
			case <-ctx.Done():
				return
			case <-t.closed:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// text is the screen without styles.
func (t *terminal) text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emu.String()
}

// snapshot is the screen as ANSI for freeze and as text.
func (t *terminal) snapshot() (ansiScreen, text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return cells(t.emu), t.emu.String()
}

// close stops follow and the emulator's answers.
func (t *terminal) close() {
	close(t.closed)
	// Closing the pipe's writing end (rather than emu.Close) ends the copy without the
	// reader and closer touching the emulator's closed flag at the same time.
	if c, ok := t.emu.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
	<-t.drained
}

// captureTB is the testing.TB teatest reports to. teatest takes one only to fail a
// test when the program ends with an error (and to log an interrupt); outside a test
// that error ends the capture instead. The embedded TB is nil: teatest calls nothing
// but the methods below, and anything else would be a bug to find at once.
type captureTB struct {
	testing.TB
	mu  sync.Mutex
	err error
}

func (c *captureTB) Helper() {}

func (c *captureTB) Log(args ...any) {}

func (c *captureTB) Fatal(args ...any) { c.fail(errors.New(fmt.Sprint(args...))) }

func (c *captureTB) Fatalf(format string, args ...any) { c.fail(fmt.Errorf(format, args...)) }

func (c *captureTB) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

// failure is the first error teatest reported, or nil.
func (c *captureTB) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

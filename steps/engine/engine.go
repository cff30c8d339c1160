package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

// Options is everything an Engine needs; the CLI and the wizard build it.
type Options struct {
	Steps []steps.Step
	Env   *steps.Env
	// Journal records every remote action; Apply and Rollback need it, plan and status
	// do not.
	Journal *Journal
	// Parallel bounds how many targets run at once (and how many detections run at
	// once); 0 means all. With 1, Apply runs one action at a time in the documented
	// order.
	Parallel int
	// StrictOrder makes Apply keep the documented order, with a barrier between steps
	// (`apply --order strict`); otherwise a step's targets start as soon as what they
	// need is made (steps.Needs).
	StrictOrder bool
	// Subscribers receive every event, serialised, after redaction.
	Subscribers []Subscriber
	// AllowOutOfOrder lets Apply run a step whose predecessors are not done, and
	// Rollback undo a step while later steps are still applied.
	AllowOutOfOrder bool
	// Heartbeat is how often an action that is still running says so (SQL Server
	// setup runs for many minutes without a word); 0 means once a minute, a negative
	// value never.
	Heartbeat time.Duration
}

// Engine plans, applies, verifies and rolls back steps. It is safe to call one method
// at a time; the methods themselves run targets concurrently.
type Engine struct {
	steps    []steps.Step
	env      *steps.Env
	journal  *Journal
	parallel int
	subs     []Subscriber
	anyOrder bool
	strict   bool
	beat     time.Duration // 0: no heartbeat

	subMu sync.Mutex // serialises subscribers

	outMu   sync.Mutex
	current map[string]running // host -> what runs there now, for action output
}

// running is the step and action a host is busy with, so that a step's progress lines
// can be attributed to its action.
type running struct {
	step   int
	action string
	runID  string
}

// New returns an Engine for opts. The steps are run in ID order whatever their order
// in opts.
func New(opts Options) *Engine {
	ss := append([]steps.Step(nil), opts.Steps...)
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].ID() < ss[j].ID() })
	e := &Engine{
		steps:    ss,
		env:      opts.Env,
		journal:  opts.Journal,
		parallel: opts.Parallel,
		subs:     append([]Subscriber(nil), opts.Subscribers...),
		anyOrder: opts.AllowOutOfOrder,
		strict:   opts.StrictOrder,
		beat:     opts.Heartbeat,
		current:  map[string]running{},
	}
	if e.beat == 0 {
		e.beat = time.Minute
	}
	if e.beat < 0 {
		e.beat = 0
	}
	if e.journal != nil && opts.Env != nil {
		e.journal.UseRedactor(opts.Env.Redactor)
	}
	return e
}

// Targets lists where a step of scope s runs, from the answers. The first master is
// the initial primary; cluster-wide steps run on it.
func Targets(a *answers.Answers, s steps.Scope) []steps.Target {
	if a == nil {
		return nil
	}
	var out []steps.Target
	switch s {
	case steps.EachMaster:
		for i, m := range a.Masters {
			out = append(out, steps.Target{Host: m.Host, Role: masterRole(i)})
		}
	case steps.Primary:
		if len(a.Masters) > 0 {
			out = append(out, steps.Target{Host: a.Masters[0].Host, Role: "primary"})
		}
	case steps.EachSecondary:
		for i, m := range a.Masters {
			if i > 0 {
				out = append(out, steps.Target{Host: m.Host, Role: "secondary"})
			}
		}
	case steps.ClusterOnce:
		if len(a.Masters) > 0 {
			out = append(out, steps.Target{Host: a.Masters[0].Host, Role: "cluster"})
		}
	case steps.EachWorker:
		for _, w := range a.Workers {
			out = append(out, steps.Target{Host: w.Host, Role: "worker"})
		}
	}
	return out
}

func masterRole(i int) string {
	if i == 0 {
		return "primary"
	}
	return "secondary"
}

// Interrupted returns the actions a previous run started and never recorded a result
// for, so the CLI and the wizard can offer to resume; when there are none but the
// last apply stopped before it finished, the one run-end record that says so (Step 0).
func (e *Engine) Interrupted() []Record {
	if e.journal == nil {
		return nil
	}
	return e.journal.Interrupted()
}

func (e *Engine) targets(s steps.Step) []steps.Target {
	if e.env == nil {
		return nil
	}
	return Targets(e.env.Answers, s.Scope())
}

func (e *Engine) redactor() *script.Redactor {
	if e.env == nil {
		return nil
	}
	return e.env.Redactor
}

func (e *Engine) redact(s string) string { return e.redactor().Redact(s) }

func (e *Engine) now() time.Time {
	if e.env != nil && e.env.Now != nil {
		return e.env.Now()
	}
	return time.Now()
}

// check refuses to run without the parts every method needs.
func (e *Engine) check() error {
	if e.env == nil {
		return errors.New("the engine has no environment (answers, secrets, remote); this is a wiring error in ssisha")
	}
	if e.env.Answers == nil {
		return errors.New("the engine has no answers; load an answer file or finish the wizard first")
	}
	return nil
}

// selectSteps returns the steps named by only (all when only is empty), in ID order.
func (e *Engine) selectSteps(only []int) ([]steps.Step, error) {
	if len(only) == 0 {
		return e.steps, nil
	}
	want := map[int]bool{}
	for _, id := range only {
		if e.stepByID(id) == nil {
			return nil, fmt.Errorf("step %d does not exist; the steps are %s: check --steps", id, e.idRange())
		}
		want[id] = true
	}
	var out []steps.Step
	for _, s := range e.steps {
		if want[s.ID()] {
			out = append(out, s)
		}
	}
	return out, nil
}

func (e *Engine) stepByID(id int) steps.Step {
	for _, s := range e.steps {
		if s.ID() == id {
			return s
		}
	}
	return nil
}

func (e *Engine) idRange() string {
	if len(e.steps) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d-%d", e.steps[0].ID(), e.steps[len(e.steps)-1].ID())
}

// runEnv is a copy of the environment whose Output turns a step's progress lines into
// events attributed to the action running on that host.
func (e *Engine) runEnv() *steps.Env {
	env := *e.env
	orig := e.env.Output
	env.Output = func(host, line string) {
		e.outMu.Lock()
		cur := e.current[host]
		e.outMu.Unlock()
		e.emit(Event{Kind: ActionOutput, RunID: cur.runID, Step: cur.step, Target: host, Action: cur.action, Message: line})
		if orig != nil {
			orig(host, e.redact(line))
		}
	}
	return &env
}

func (e *Engine) setRunning(host string, r running) {
	e.outMu.Lock()
	defer e.outMu.Unlock()
	if r.action == "" {
		delete(e.current, host)
		return
	}
	e.current[host] = r
}

// fanOut runs job(i) for every i below n, started in order and at most Parallel at a
// time. Before each start it checks ctx and stop; once either says no, the remaining
// jobs are not started and skip(i) reports each instead. It returns when every
// started job has finished, which is what makes a step a barrier.
func (e *Engine) fanOut(ctx context.Context, n int, stop func() bool, job, skip func(i int)) {
	e.fanOutBounded(ctx, n, e.parallel, stop, job, skip)
}

// fanOutBounded is fanOut with bound jobs at a time at most (0: all).
func (e *Engine) fanOutBounded(ctx context.Context, n, bound int, stop func() bool, job, skip func(i int)) {
	sem := limit(n, bound)
	var wg sync.WaitGroup
	for i := range n {
		acquired := false
		select {
		case sem <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if !acquired || ctx.Err() != nil || (stop != nil && stop()) {
			if acquired {
				<-sem
			}
			if skip != nil {
				skip(i)
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			job(i)
		})
	}
	wg.Wait()
}

// limit returns a semaphore sized by Parallel for n jobs.
func limit(n, bound int) chan struct{} {
	size := bound
	if size <= 0 || size > n {
		size = n
	}
	if size < 1 {
		size = 1
	}
	return make(chan struct{}, size)
}

func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// heartbeat emits ActionRunning for ev's action every e.beat, with the time since
// heartbeat was called, until the returned function is called.
func (e *Engine) heartbeat(ev Event) (stop func()) {
	if e.beat <= 0 {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(e.beat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				beat := ev
				beat.Kind, beat.Script, beat.Elapsed = ActionRunning, "", time.Since(start)
				e.emit(beat)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

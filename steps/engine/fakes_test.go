package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

// canary is a password that must never appear in anything a person or a file sees.
const canary = "Canary-P@ss-0"

// recordingRemote is a fake remote.Remote that records every call, secrets revealed,
// as a node would receive them.
type recordingRemote struct {
	mu    sync.Mutex
	calls []string // "host op"
	sent  []string // rendered text
}

func (r *recordingRemote) PowerShell(_ context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, host+" "+s.Op)
	r.sent = append(r.sent, s.Render(), string(s.InputBytes()))
	return json.RawMessage(`{}`), nil
}

func (r *recordingRemote) SQL(_ context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, host+" "+b.Op)
	r.sent = append(r.sent, b.Statement())
	return &script.ResultSet{}, nil
}

func (r *recordingRemote) Close() error { return nil }

func (r *recordingRemote) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// trace is an ordered log shared by the fake steps of one test, to check barriers and
// undo order.
type trace struct {
	mu    sync.Mutex
	lines []string
}

func (t *trace) add(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, fmt.Sprintf(format, args...))
}

func (t *trace) all() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}

// gate holds Apply calls to observe how many run at once. With want > 0 each call
// waits until want calls are inside together (proving they run in parallel); with a
// release channel each call waits until the test closes it.
type gate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	cur     int
	max     int
	entered int
	want    int
	release chan struct{}
}

func newGate(want int) *gate {
	g := &gate{want: want}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gate) enter(ctx context.Context) error {
	g.mu.Lock()
	g.cur++
	g.entered++
	g.max = max(g.max, g.cur)
	g.cond.Broadcast()
	stop := context.AfterFunc(ctx, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.cond.Broadcast()
	})
	defer stop()
	for g.want > 0 && g.entered < g.want && ctx.Err() == nil {
		g.cond.Wait()
	}
	g.mu.Unlock()
	if g.release != nil {
		select {
		case <-g.release:
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}

func (g *gate) leave() {
	g.mu.Lock()
	g.cur--
	g.mu.Unlock()
}

// waitEntered blocks until n calls have entered.
func (g *gate) waitEntered(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.entered < n {
		g.cond.Wait()
	}
}

func (g *gate) stats() (cur, maxSeen int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cur, g.max
}

// fakeStep is a step whose targets become done once Apply ran each of its actions.
type fakeStep struct {
	id    int
	scope steps.Scope
	acts  []string
	tr    *trace
	gate  *gate
	// actGate, when set, holds only the actions it names, each at its own gate.
	actGate map[string]*gate

	// irreversible marks actions the plan says cannot be undone; undoRefuses marks
	// actions whose Undo reports ErrIrreversible.
	irreversible map[string]string
	undoRefuses  map[string]bool
	failOn       map[string]bool // host -> Apply fails
	// failAfterChange marks actions that fail after making their change (a dropped
	// connection, a setup that errs once installed).
	failAfterChange map[string]bool
	blocked         map[string]bool // host -> Detect says blocked
	verifyFails     map[string]bool // host -> a Failed check
	secret          script.Secret
	// onUndo, when set, replaces the fake's undo of every action.
	onUndo func(t steps.Target) error

	mu      sync.Mutex
	applied map[string]bool // host|action
	detects int
}

func newFakeStep(id int, scope steps.Scope, tr *trace, acts ...string) *fakeStep {
	return &fakeStep{id: id, scope: scope, tr: tr, acts: acts, applied: map[string]bool{}}
}

func (f *fakeStep) ID() int            { return f.id }
func (f *fakeStep) Title() string      { return fmt.Sprintf("Fake step %d", f.id) }
func (f *fakeStep) Scope() steps.Scope { return f.scope }

func (f *fakeStep) isApplied(host, act string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied[host+"|"+act]
}

func (f *fakeStep) setApplied(host, act string, v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied[host+"|"+act] = v
}

func (f *fakeStep) action(host, act string) steps.Action {
	params := map[string]any{"host": host}
	if !f.secret.IsZero() {
		params["password"] = f.secret
	}
	return steps.Action{
		ID: act, Summary: fmt.Sprintf("do %s of step %d", act, f.id), Kind: steps.KindChange,
		Irreversible: f.irreversible[act],
		Commands: []steps.Command{
			{Host: host, PS: &script.PowerShell{Op: fmt.Sprintf("fake-%d-%s", f.id, act), Params: params, Body: "@{} | ConvertTo-Json"}},
			{Host: host, SQL: &script.TSQL{Op: fmt.Sprintf("fake-sql-%d-%s", f.id, act), Text: "SELECT 1;", Params: []script.Param{{Name: "Password", Value: f.secret}}}},
		},
	}
}

func (f *fakeStep) Detect(_ context.Context, _ *steps.Env, t steps.Target) (steps.Detection, error) {
	f.mu.Lock()
	f.detects++
	f.mu.Unlock()
	if f.blocked[t.Host] {
		return steps.Detection{State: steps.StateBlocked, Reason: "the node is not ready (" + f.secret.Reveal() + ")", Fix: "make it ready"}, nil
	}
	d := steps.Detection{State: steps.StateDone, Facts: map[string]any{}}
	for _, a := range f.acts {
		done := f.isApplied(t.Host, a)
		d.Facts[a] = done
		if !done {
			d.State = steps.StatePending
			d.Actions = append(d.Actions, f.action(t.Host, a))
		}
	}
	return d, nil
}

// fakeUndo is the fake's undo data: the old value, and a secret a careless step leaked.
type fakeUndo struct {
	Leak string `json:"leak,omitempty"`
	Old  string `json:"old"`
}

// undoData decodes journaled undo data of the fake, or of any test.
func undoData(u steps.Undo) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(u, &m)
	return m
}

// Actions declares one action per name in acts, all applied and undone by the fake.
func (f *fakeStep) Actions() []steps.ActionType {
	var out []steps.ActionType
	for _, act := range f.acts {
		out = append(out, &steps.ActionDef[fakeUndo]{
			ActionInfo: steps.ActionInfo{ID: act, Kind: steps.KindChange, Irreversible: f.irreversible[act]},
			Run: func(ctx context.Context, env *steps.Env, t steps.Target, a steps.Action, _ fakeUndo) (*fakeUndo, error) {
				return f.apply(ctx, env, t, a)
			},
			Reverse: func(ctx context.Context, env *steps.Env, t steps.Target, u fakeUndo) error {
				if f.onUndo != nil {
					return f.onUndo(t)
				}
				return f.undo(t, act, u)
			},
		})
	}
	return out
}

func (f *fakeStep) apply(ctx context.Context, env *steps.Env, t steps.Target, a steps.Action) (*fakeUndo, error) {
	f.tr.add("start s%d %s %s", f.id, t.Host, a.ID)
	defer f.tr.add("end s%d %s %s", f.id, t.Host, a.ID)
	for _, g := range []*gate{f.gate, f.actGate[a.ID]} {
		if g == nil {
			continue
		}
		err := g.enter(ctx)
		defer g.leave()
		if err != nil {
			return nil, err
		}
	}
	for _, c := range a.Commands {
		var err error
		if c.PS != nil {
			_, err = env.Remote.PowerShell(ctx, c.Host, *c.PS)
		} else {
			_, err = env.Remote.SQL(ctx, c.Host, *c.SQL)
		}
		if err != nil {
			return nil, err
		}
	}
	if env.Output != nil {
		env.Output(t.Host, "progress of "+a.ID+" with "+f.secret.Reveal())
	}
	if f.failOn[t.Host] {
		return nil, fmt.Errorf("login failed for password %s", f.secret.Reveal())
	}
	f.setApplied(t.Host, a.ID, true)
	if f.failAfterChange[a.ID] {
		return nil, fmt.Errorf("the connection to %s dropped", t.Host)
	}
	// A careless step leaking a secret into undo data: the journal must still be clean.
	return &fakeUndo{Old: "before-" + a.ID, Leak: f.secret.Reveal()}, nil
}

func (f *fakeStep) Verify(_ context.Context, _ *steps.Env, t steps.Target) ([]steps.Check, error) {
	if f.verifyFails[t.Host] {
		return []steps.Check{{Name: "state", Status: steps.CheckFailed, Detail: "read back differs " + f.secret.Reveal(), Fix: "look at the node"}}, nil
	}
	return []steps.Check{{Name: fmt.Sprintf("step %d state", f.id), Status: steps.CheckSuccess, Detail: "as expected"}}, nil
}

func (f *fakeStep) undo(t steps.Target, actionID string, data fakeUndo) error {
	if f.undoRefuses[actionID] {
		return fmt.Errorf("%w: the old value was never recorded", steps.ErrIrreversible)
	}
	if data.Old != "before-"+actionID {
		return errors.New("undo data lost")
	}
	f.tr.add("undo s%d %s %s", f.id, t.Host, actionID)
	f.setApplied(t.Host, actionID, false)
	return nil
}

// world is one test's estate: answers with three masters, a fake remote, steps, a
// journal and captured events.
type world struct {
	t       *testing.T
	answers *answers.Answers
	remote  *recordingRemote
	env     *steps.Env
	journal *Journal
	tr      *trace
	events  *eventLog
	json    *bytes.Buffer
	text    *bytes.Buffer
}

type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) sub(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.evs...)
}

func (l *eventLog) kinds(k EventKind) []Event {
	var out []Event
	for _, e := range l.all() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func newWorld(t *testing.T, masters int) *world {
	t.Helper()
	a := &answers.Answers{Cluster: answers.Cluster{Name: "SSISCL"}}
	for i := 1; i <= masters; i++ {
		a.Masters = append(a.Masters, answers.Master{Host: fmt.Sprintf("node%d.contoso.com", i)})
	}
	a.Workers = []answers.Worker{{Host: "worker1.contoso.com"}}
	secret := script.NewSecret("master-key-password", canary)
	j, err := OpenJournal(t.TempDir() + "/state/ssiscl.journal.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	rr := &recordingRemote{}
	w := &world{
		t: t, answers: a, remote: rr, journal: j, tr: &trace{}, events: &eventLog{},
		json: &bytes.Buffer{}, text: &bytes.Buffer{},
		env: &steps.Env{
			Answers:  a,
			Secrets:  &answers.Secrets{MasterKeyPassword: secret},
			Remote:   rr,
			Redactor: script.NewRedactor(secret),
			Now:      func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) },
		},
	}
	return w
}

func (w *world) secret() script.Secret { return w.env.Secrets.MasterKeyPassword }

func (w *world) engine(parallel int, ss ...steps.Step) *Engine {
	return w.engineWith(Options{Parallel: parallel}, ss...)
}

func (w *world) engineWith(o Options, ss ...steps.Step) *Engine {
	o.Steps, o.Env, o.Journal = ss, w.env, w.journal
	o.Subscribers = append(o.Subscribers, w.events.sub, JSONLines(w.json), TextLines(w.text))
	return New(o)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func statusOf(rep *Report, step int, host string) Status {
	for _, r := range rep.Results {
		if r.Step == step && r.Target == host {
			return r.Status
		}
	}
	return ""
}

func indexOf(lines []string, prefix string) []int {
	var out []int
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, i)
		}
	}
	return out
}

func mustNotContain(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, canary) {
		t.Errorf("the canary secret appears in %s", what)
	}
}

package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// Plan is what every step found on every target, and what it would change. It is tied
// to the facts it was computed from by Fingerprint; Apply refuses it once they change.
type Plan struct {
	// Fingerprint is a sha256 over the canonical JSON of every detection: state,
	// facts, action IDs and their commands' displayed text.
	Fingerprint string     `json:"fingerprint"`
	Steps       []PlanStep `json:"steps"`
	Created     time.Time  `json:"created"`
}

// PlanStep is one step of a plan with its targets.
type PlanStep struct {
	ID      int          `json:"id"`
	Title   string       `json:"title"`
	Scope   string       `json:"scope"`
	Targets []PlanTarget `json:"targets"`
}

// PlanTarget is what Detect found on one target; Err is set when Detect failed.
type PlanTarget struct {
	Target    steps.Target    `json:"target"`
	Detection steps.Detection `json:"detection"`
	Err       string          `json:"error,omitempty"`
	// Predicted says the detection was made on the projected estate: the one earlier
	// steps' planned actions leave (see plan_forward.go), not the estate as it is.
	Predicted bool `json:"predicted,omitempty"`
	// WaitsFor, when set, names the earlier blocked step this target waits for: the
	// plan cannot look past it, so this detection is of the estate as it is.
	WaitsFor string `json:"waitsFor,omitempty"`
}

// Plan detects every step (or those in only) on every target, in parallel within the
// Parallel bound, and plans each step after the first change on the estate the
// planned actions leave (plan_forward.go). A detection that fails is kept in the plan
// with its error; Plan itself fails only for bad input or cancellation.
func (e *Engine) Plan(ctx context.Context, only []int) (*Plan, error) {
	return e.plan(ctx, only, func(ctx context.Context, runID string, sel []steps.Step) *Plan {
		// The plan an apply follows is made once a killed run's long actions have
		// ended (inflight.go); status shows the nodes as they are.
		_, _ = e.awaitInFlight(ctx, runID)
		return e.planForward(ctx, runID, sel)
	})
}

// Status detects every step on every target as the estate is now, named for `ssisha
// status`: no step is predicted.
func (e *Engine) Status(ctx context.Context) (*Plan, error) {
	return e.plan(ctx, nil, e.detect)
}

func (e *Engine) plan(ctx context.Context, only []int, detect func(context.Context, string, []steps.Step) *Plan) (*Plan, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	sel, err := e.selectSteps(only)
	if err != nil {
		return nil, err
	}
	runID := newRunID(e.now())
	e.emit(Event{Kind: RunStarted, RunID: runID, Mode: "plan"})
	p := detect(ctx, runID, sel)
	status := StatusSucceeded
	if ctx.Err() != nil {
		status = StatusCancelled
	}
	e.emit(Event{Kind: RunFinished, RunID: runID, Mode: "plan", Status: status})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("planning was cancelled: %w", err)
	}
	return p, nil
}

// detect runs Detect for every step and target of sel, all at once within the bound,
// since detection only reads.
func (e *Engine) detect(ctx context.Context, runID string, sel []steps.Step) *Plan {
	return e.detectWith(ctx, runID, sel, steps.NewReadCache())
}

// detectWith is detect sharing the reads of cache, a round's: what was read in it
// must still be the estate the detections are to see.
func (e *Engine) detectWith(ctx context.Context, runID string, sel []steps.Step, cache *steps.ReadCache) *Plan {
	p := &Plan{Created: e.now()}
	type job struct{ si, ti int }
	var jobs []job
	for si, s := range sel {
		ps := PlanStep{ID: s.ID(), Title: s.Title(), Scope: s.Scope().String()}
		for ti, t := range e.targets(s) {
			ps.Targets = append(ps.Targets, PlanTarget{Target: t})
			jobs = append(jobs, job{si, ti})
		}
		p.Steps = append(p.Steps, ps)
	}
	env := e.runEnv()
	// One round of detections reads one moment of the estate, so facts many targets
	// need (the primary's, for every worker) are read once for all of them.
	env.Reads = cache
	e.fanOut(ctx, len(jobs), nil, func(i int) {
		jb := jobs[i]
		e.detectOne(ctx, runID, env, sel[jb.si], &p.Steps[jb.si].Targets[jb.ti])
	}, func(i int) {
		jb := jobs[i]
		p.Steps[jb.si].Targets[jb.ti].Err = fmt.Sprintf("detection was cancelled: %v", ctx.Err())
	})
	p.Fingerprint = fingerprint(p)
	return p
}

func (e *Engine) detectOne(ctx context.Context, runID string, env *steps.Env, s steps.Step, pt *PlanTarget) {
	host := pt.Target.Host
	e.emit(Event{Kind: DetectStarted, RunID: runID, Step: s.ID(), Title: s.Title(), Target: host})
	start := time.Now()
	if !e.detectInto(ctx, env, s, pt) {
		e.emit(Event{Kind: DetectFinished, RunID: runID, Step: s.ID(), Title: s.Title(), Target: host,
			Status: StatusFailed, Error: pt.Err, Fix: genericFix(s.ID()), Elapsed: time.Since(start)})
		return
	}
	d := pt.Detection
	e.emit(Event{Kind: DetectFinished, RunID: runID, Step: s.ID(), Title: s.Title(), Target: host,
		State: string(d.State), Message: d.Reason, Fix: d.Fix, Elapsed: time.Since(start)})
}

// detectInto runs s's Detect for pt's target and keeps what it found, redacted, in
// pt; false when Detect failed (pt.Err says why).
func (e *Engine) detectInto(ctx context.Context, env *steps.Env, s steps.Step, pt *PlanTarget) bool {
	d, err := s.Detect(ctx, env, pt.Target)
	r := e.redactor()
	if err != nil {
		pt.Err = r.Redact(err.Error())
		return false
	}
	d.Reason = steps.ShowPlaceholders(r.Redact(d.Reason))
	d.Fix = r.Redact(d.Fix)
	d.Facts = redactMap(r, d.Facts)
	for i := range d.Actions {
		d.Actions[i].Summary = steps.ShowPlaceholders(d.Actions[i].Summary)
	}
	pt.Detection = d
	return true
}

// canonTarget is what the fingerprint covers for one target.
type canonTarget struct {
	Step    int            `json:"step"`
	Host    string         `json:"host"`
	Role    string         `json:"role"`
	State   steps.State    `json:"state"`
	Failed  bool           `json:"failed,omitempty"`
	Facts   map[string]any `json:"facts,omitempty"`
	Actions []canonAction  `json:"actions,omitempty"`
}

type canonAction struct {
	ID       string   `json:"id"`
	Commands []string `json:"commands,omitempty"`
}

func canonical(p *Plan) []canonTarget {
	var out []canonTarget
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			out = append(out, canonOf(s.ID, t))
		}
	}
	return out
}

func canonOf(step int, t PlanTarget) canonTarget {
	c := canonTarget{Step: step, Host: t.Target.Host, Role: t.Target.Role, State: t.Detection.State,
		Failed: t.Err != "", Facts: t.Detection.Facts}
	for _, a := range t.Detection.Actions {
		ca := canonAction{ID: a.ID}
		for _, cmd := range a.Commands {
			ca.Commands = append(ca.Commands, cmd.Host+"\n"+cmd.Display())
		}
		c.Actions = append(c.Actions, ca)
	}
	return c
}

// fingerprint hashes the canonical JSON; encoding/json sorts map keys, which makes it
// canonical for the plain values facts hold.
func fingerprint(p *Plan) string {
	b, err := json.Marshal(canonical(p))
	if err != nil {
		// Facts a step cannot encode still have to change the hash when they change.
		b = fmt.Appendf(nil, "%#v", canonical(p))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// subsetPlan keeps the steps of p that sel names, so that `apply --steps 5` can be
// checked against a plan of every step.
func subsetPlan(p *Plan, sel []steps.Step) *Plan {
	want := map[int]bool{}
	for _, s := range sel {
		want[s.ID()] = true
	}
	out := &Plan{Created: p.Created}
	for _, s := range p.Steps {
		if want[s.ID] {
			out.Steps = append(out.Steps, s)
		}
	}
	return out
}

// planFingerprint is p's fingerprint, or that of its part covering sel when only part
// of it is applied.
func planFingerprint(p *Plan, part bool, sel []steps.Step) string {
	if !part {
		return p.Fingerprint
	}
	return fingerprint(subsetPlan(p, sel))
}

// diffPlans says, in the DBA's words, what differs between the approved plan and a
// fresh detection; it is empty when nothing relevant differs.
func diffPlans(old, fresh *Plan) []string {
	type key struct {
		step int
		host string
	}
	before := map[key]canonTarget{}
	var order []key
	for _, c := range canonical(old) {
		k := key{c.Step, c.Host}
		before[k] = c
		order = append(order, k)
	}
	var changes []string
	seen := map[key]bool{}
	for _, c := range canonical(fresh) {
		k := key{c.Step, c.Host}
		seen[k] = true
		b, ok := before[k]
		if !ok {
			changes = append(changes, fmt.Sprintf("step %d on %s is not in the plan", c.Step, c.Host))
			continue
		}
		changes = append(changes, diffTarget(b, c)...)
	}
	for _, k := range order {
		if !seen[k] {
			changes = append(changes, fmt.Sprintf("step %d on %s was planned but is no longer a target", k.step, k.host))
		}
	}
	return changes
}

func diffTarget(b, c canonTarget) []string {
	where := fmt.Sprintf("step %d on %s", c.Step, c.Host)
	var out []string
	if b.Failed != c.Failed {
		if c.Failed {
			out = append(out, where+": detection now fails")
		} else {
			out = append(out, where+": detection failed when planned and works now")
		}
	}
	if b.State != c.State {
		out = append(out, fmt.Sprintf("%s: state was %s, is %s", where, orNone(string(b.State)), orNone(string(c.State))))
	}
	if keys := changedKeys(b.Facts, c.Facts); len(keys) > 0 {
		out = append(out, fmt.Sprintf("%s: facts changed: %v", where, keys))
	}
	ba, _ := json.Marshal(b.Actions)
	ca, _ := json.Marshal(c.Actions)
	if string(ba) != string(ca) {
		out = append(out, where+": the actions or their scripts changed")
	}
	return out
}

func changedKeys(a, b map[string]any) []string {
	var keys []string
	seen := map[string]bool{}
	for k, v := range a {
		seen[k] = true
		w, ok := b[k]
		if !ok || !sameJSON(v, w) {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// AwaitsEarlierSteps reports whether step index si of the plan comes after a step that
// is blocked (or whose detection failed) on some target. The plan looks forward only
// as far as that step (see plan_forward.go): what comes after it is the estate as it
// is now, and its blocked targets wait for that fix rather than being faults of their
// own.
func (p *Plan) AwaitsEarlierSteps(si int) bool {
	if si <= 0 || si > len(p.Steps) {
		return false
	}
	for _, s := range p.Steps[:si] {
		for _, t := range s.Targets {
			if t.Err != "" || t.Detection.State == steps.StateBlocked {
				return true
			}
		}
	}
	return false
}

// Blocked counts the targets that are blocked now and wait for no earlier step of the
// plan: those stop an apply.
func (p *Plan) Blocked() int {
	n := 0
	for si, s := range p.Steps {
		if p.AwaitsEarlierSteps(si) {
			// So do all the steps after it.
			break
		}
		for _, t := range s.Targets {
			if t.Err != "" || t.Detection.State == steps.StateBlocked {
				n++
			}
		}
	}
	return n
}

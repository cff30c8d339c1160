// Package fake is the estate the wizard's tests, its pictures and the benchmarks run
// the wizard against: a backend whose plan, preflight checks, verification and field
// checks are what the real steps and engine find on a lab estate run in process
// (remote/lab's Direct), so that it cannot drift from the procedure, and whose runs
// replay the plan's actions deterministically, with one failure, a delay or a hold on
// request. It imports nothing of the wizard, so that the wizard's own tests can use it.
package fake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// Backend simulates an estate of the answers' shape (their masters and workers) for
// tests, pictures and benchmarks. Its zero value is ready to use; it is deterministic
// for a fixed clock.
type Backend struct {
	// Delay is slept before each action (0 in tests).
	Delay time.Duration
	// FailStep and FailHost make that step fail on that host, FailTimes times: its
	// last action there fails, after the earlier ones changed the node (as an install
	// that fails leaves the certificate made before it).
	FailStep  int
	FailHost  string
	FailTimes int
	// Hold, when above 0, stops Apply at that step once each of its targets has
	// started its first action and said so, until Apply's context ends: a run caught
	// in the middle, for pictures and benchmarks. Held reports it.
	Hold int
	// Now is the clock stamped on events; nil means time.Now.
	Now func() time.Time
	// Records are returned by Interrupted.
	Records []engine.Record

	mu      sync.Mutex
	applied map[int]bool
	// journaled are the steps with succeeded actions not undone since, as the
	// journal holds them.
	journaled map[int]bool
	calls     []string
	held      bool
	// checks are the lab estates field checks read, by shape, made on first use.
	checks map[shape]*labEstate
}

func (f *Backend) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Backend) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

// Calls lists the backend calls made, in order, for tests.
func (f *Backend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Held reports whether Apply is holding at Hold.
func (f *Backend) Held() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.held
}

// CheckField runs the steps' own check of the field against a lab estate of the
// answers' shape (with as many hosts as a list being checked names); a list of hosts
// is checked host by host, as the session does.
func (f *Backend) CheckField(ctx context.Context, a *answers.Answers, s *answers.Secrets, field, value string) app.FieldCheck {
	sh := shape{len(a.Masters), len(a.Workers)}
	switch field {
	case "masters":
		sh.masters = max(sh.masters, len(answers.SplitList(value)))
	case "workers":
		sh.workers = max(sh.workers, len(answers.SplitList(value)))
	}
	f.mu.Lock()
	le := f.checks[sh]
	if le == nil {
		var err error
		if le, err = newLabEstate(sh.masters, sh.workers); err != nil {
			f.mu.Unlock()
			return app.FieldCheck{Message: "cannot check yet: " + err.Error()}
		}
		if f.checks == nil {
			f.checks = map[shape]*labEstate{}
		}
		f.checks[sh] = le
	}
	env := *le.env
	f.mu.Unlock()
	env.Answers = a
	if field != "masters" && field != "workers" {
		ok, warn, msg := steps.CheckField(ctx, &env, field, value)
		return app.FieldCheck{OK: ok, Warning: warn, Message: msg}
	}
	res := app.FieldCheck{OK: true}
	var problems []string
	hosts := answers.SplitList(value)
	for i, h := range hosts {
		ok, warn, msg := steps.CheckField(ctx, &env, fmt.Sprintf("%s[%d].host", field, i), h)
		if !ok || warn {
			problems = append(problems, h+": "+msg)
		}
		res.OK, res.Warning = res.OK && ok, res.Warning || warn
	}
	res.Message = fmt.Sprintf("%d host(s) resolve and answer WinRM", len(hosts))
	if len(problems) > 0 {
		res.Message = strings.Join(problems, "; ")
	}
	return res
}

// facts are the lab's facts for an estate of the answers' shape.
func (f *Backend) facts(a *answers.Answers) (*estateFacts, error) {
	return factsFor(len(a.Masters), len(a.Workers))
}

// Preflight reports the checks the engine ran on a fresh lab estate.
func (f *Backend) Preflight(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) error {
	f.record("preflight")
	lf, err := f.facts(a)
	if err != nil {
		return err
	}
	hosts := hostMap(lf.ans, a)
	for _, c := range lf.preflight {
		r := engine.CheckResult{Name: c.Check.Name, Status: string(c.Check.Status), Detail: c.Check.Detail, Fix: c.Check.Fix}
		emit(engine.Event{Time: f.now(), Kind: engine.CheckFinished, Step: c.Step, Target: hosts.of(c.Target), Check: &r})
	}
	return ctx.Err()
}

// Plan is the plan the engine made on a fresh lab estate, with the steps applied
// since shown as done.
func (f *Backend) Plan(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	f.record("plan")
	lf, err := f.facts(a)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &engine.Plan{Fingerprint: lf.plan.Fingerprint, Created: f.now()}
	for _, st := range steps.All() {
		ps := engine.PlanStep{ID: st.ID(), Title: st.Title(), Scope: st.Scope().String()}
		var lab []engine.PlanTarget
		for _, ls := range lf.plan.Steps {
			if ls.ID == ps.ID {
				lab = ls.Targets
			}
		}
		for i, t := range engine.Targets(a, st.Scope()) {
			emit(engine.Event{Time: f.now(), Kind: engine.DetectStarted, Step: ps.ID, Target: t.Host})
			pt := engine.PlanTarget{Detection: steps.Detection{State: steps.StatePending}}
			if lt, ok := labTarget(lab, t.Host, i); ok {
				pt = lt
			}
			pt.Target = t
			if f.applied[ps.ID] {
				pt = engine.PlanTarget{Target: t, Detection: steps.Detection{State: steps.StateDone}}
			}
			ps.Targets = append(ps.Targets, pt)
			emit(engine.Event{Time: f.now(), Kind: engine.DetectFinished, Step: ps.ID, Target: t.Host, State: string(pt.Detection.State)})
		}
		p.Steps = append(p.Steps, ps)
	}
	return p, ctx.Err()
}

// labTarget is the lab plan's target for host: the same host, or the one at the same
// place when the answers name other hosts.
func labTarget(ts []engine.PlanTarget, host string, i int) (engine.PlanTarget, bool) {
	for _, t := range ts {
		if strings.EqualFold(t.Target.Host, host) {
			return t, true
		}
	}
	if i < len(ts) {
		return ts[i], true
	}
	return engine.PlanTarget{}, false
}

// Apply runs the plan's pending actions, emitting the events a run emits: each step's
// targets start together, then run their actions.
func (f *Backend) Apply(ctx context.Context, a *answers.Answers, s *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	f.record(fmt.Sprintf("apply %v", only))
	if p == nil {
		return nil, errors.New("apply: no plan; compute the plan first")
	}
	rep := &engine.Report{RunID: "run-fake", Status: engine.StatusSucceeded}
	emit(engine.Event{Time: f.now(), Kind: engine.RunStarted, Mode: "apply"})
	for _, ps := range p.Steps {
		if len(only) > 0 && !slices.Contains(only, ps.ID) {
			continue
		}
		if ctx.Err() != nil {
			rep.Status = engine.StatusCancelled
			return rep, nil
		}
		emit(engine.Event{Time: f.now(), Kind: engine.StepStarted, Step: ps.ID, Title: ps.Title})
		for _, t := range ps.Targets {
			emit(engine.Event{Time: f.now(), Kind: engine.TargetStarted, Step: ps.ID, Target: t.Target.Host})
		}
		if ps.ID == f.Hold {
			f.hold(ctx, ps, emit)
			rep.Status = engine.StatusCancelled
			return rep, nil
		}
		stepStatus := engine.StatusSucceeded
		for _, t := range ps.Targets {
			tr := f.applyTarget(ctx, ps, t, emit)
			rep.Results = append(rep.Results, tr)
			if tr.Status == engine.StatusFailed {
				stepStatus = engine.StatusFailed
			}
		}
		emit(engine.Event{Time: f.now(), Kind: engine.StepFinished, Step: ps.ID, Status: stepStatus})
		if stepStatus == engine.StatusFailed {
			rep.Status = engine.StatusFailed
			emit(engine.Event{Time: f.now(), Kind: engine.RunFinished, Status: engine.StatusFailed})
			return rep, nil
		}
		f.mu.Lock()
		if f.applied == nil {
			f.applied = map[int]bool{}
		}
		f.applied[ps.ID] = true
		f.mu.Unlock()
	}
	emit(engine.Event{Time: f.now(), Kind: engine.RunFinished, Status: rep.Status})
	return rep, nil
}

// applyTarget runs one target's actions of a step.
func (f *Backend) applyTarget(ctx context.Context, ps engine.PlanStep, t engine.PlanTarget, emit func(engine.Event)) engine.TargetResult {
	host := t.Target.Host
	tr := engine.TargetResult{Step: ps.ID, Title: ps.Title, Target: host, Status: engine.StatusSucceeded}
	if len(t.Detection.Actions) == 0 {
		tr.Status, tr.Note = engine.StatusSkipped, "already done"
	}
	for i, act := range t.Detection.Actions {
		f.startAction(ps.ID, host, act, emit)
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-ctx.Done():
			}
		}
		// A failure hits the target's last action, after the earlier ones changed
		// the node, as a failed install leaves its certificate.
		if i == len(t.Detection.Actions)-1 && f.fail(ps.ID, host) {
			tr.Status, tr.Err, tr.Fix = engine.StatusFailed, "the service did not start within 60s (Event ID 7000)", "check the master service account's password and the 'Log on as a service' right, then retry"
			emit(engine.Event{Time: f.now(), Kind: engine.ActionFinished, Step: ps.ID, Target: host, Action: act.ID, Status: engine.StatusFailed, Error: tr.Err})
			break
		}
		f.journal(ps.ID, true)
		emit(engine.Event{Time: f.now(), Kind: engine.ActionOutput, Step: ps.ID, Target: host, Action: act.ID, Message: "done: " + act.Summary})
		emit(engine.Event{Time: f.now(), Kind: engine.ActionFinished, Step: ps.ID, Target: host, Action: act.ID, Status: engine.StatusSucceeded})
	}
	emit(engine.Event{Time: f.now(), Kind: engine.TargetFinished, Step: ps.ID, Target: host, Status: tr.Status, Error: tr.Err, Fix: tr.Fix})
	return tr
}

// startAction says that an action starts on host, with its first script and a line of
// its output.
func (f *Backend) startAction(step int, host string, act steps.Action, emit func(engine.Event)) {
	first, op := "", "no script"
	if len(act.Commands) > 0 {
		first, op = act.Commands[0].Display(), act.Commands[0].Op()
	}
	emit(engine.Event{Time: f.now(), Kind: engine.ActionStarted, Step: step, Target: host, Action: act.ID, Summary: act.Summary, Script: first})
	emit(engine.Event{Time: f.now(), Kind: engine.ActionOutput, Step: step, Target: host, Action: act.ID, Message: "running " + op})
}

// hold starts the first action of each target of the step and waits for ctx.
func (f *Backend) hold(ctx context.Context, ps engine.PlanStep, emit func(engine.Event)) {
	for _, t := range ps.Targets {
		if len(t.Detection.Actions) > 0 {
			f.startAction(ps.ID, t.Target.Host, t.Detection.Actions[0], emit)
		}
	}
	f.mu.Lock()
	f.held = true
	f.mu.Unlock()
	<-ctx.Done()
	f.mu.Lock()
	f.held = false
	f.mu.Unlock()
}

func (f *Backend) fail(step int, host string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.FailTimes > 0 && step == f.FailStep && host == f.FailHost {
		f.FailTimes--
		return true
	}
	return false
}

// Rollback marks the steps undone, in reverse.
func (f *Backend) Rollback(ctx context.Context, a *answers.Answers, s *answers.Secrets, only []int, emit func(engine.Event)) (*engine.Report, error) {
	f.record(fmt.Sprintf("rollback %v", only))
	rep := &engine.Report{RunID: "undo-fake", Status: engine.StatusSucceeded}
	all := steps.All()
	for j := len(all) - 1; j >= 0; j-- {
		st := all[j]
		i := st.ID()
		if len(only) > 0 && !slices.Contains(only, i) {
			continue
		}
		emit(engine.Event{Time: f.now(), Kind: engine.StepStarted, Step: i, Title: st.Title()})
		for _, t := range engine.Targets(a, st.Scope()) {
			emit(engine.Event{Time: f.now(), Kind: engine.TargetStarted, Step: i, Target: t.Host})
			emit(engine.Event{Time: f.now(), Kind: engine.TargetFinished, Step: i, Target: t.Host, Status: engine.StatusUndone})
			rep.Results = append(rep.Results, engine.TargetResult{Step: i, Title: st.Title(), Target: t.Host, Status: engine.StatusUndone})
		}
		emit(engine.Event{Time: f.now(), Kind: engine.StepFinished, Step: i, Status: engine.StatusUndone})
		f.mu.Lock()
		delete(f.applied, i)
		f.mu.Unlock()
		f.journal(i, false)
	}
	return rep, ctx.Err()
}

// Verify reports, for each step applied, the checks the engine read back from a lab
// estate with every step applied.
func (f *Backend) Verify(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.VerifyReport, error) {
	f.record("verify")
	lf, err := f.facts(a)
	if err != nil {
		return nil, err
	}
	hosts := hostMap(lf.ans, a)
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &engine.VerifyReport{}
	for _, c := range lf.verify.Checks {
		if f.applied[c.Step] {
			c.Target = hosts.of(c.Target)
			r.Checks = append(r.Checks, c)
		}
	}
	return r, ctx.Err()
}

// journal notes that step has succeeded actions (or has none left, undone).
func (f *Backend) journal(step int, done bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.journaled == nil {
		f.journaled = map[int]bool{}
	}
	if done {
		f.journaled[step] = true
	} else {
		delete(f.journaled, step)
	}
}

// Undoable lists the steps with succeeded actions not undone since.
func (f *Backend) Undoable(a *answers.Answers) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int
	for _, st := range steps.All() {
		if f.journaled[st.ID()] {
			ids = append(ids, st.ID())
		}
	}
	return ids
}

// Interrupted returns the configured records.
func (f *Backend) Interrupted(a *answers.Answers) []engine.Record { return f.Records }

// WriteBundle writes one file per action's script.
func (f *Backend) WriteBundle(p *engine.Plan, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			for _, a := range t.Detection.Actions {
				name := fmt.Sprintf("%02d-%s-%s.txt", s.ID, shortHost(t.Target.Host), a.ID)
				var scripts []string
				for _, c := range a.Commands {
					scripts = append(scripts, c.Display())
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(scripts, "\n\n")), 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// hosts maps the lab's host names to the answers' by place (masters to masters,
// workers to workers); the same names map to themselves.
type hosts map[string]string

func hostMap(lab, a *answers.Answers) hosts {
	m := hosts{}
	pair := func(labHosts, aHosts []string) {
		for i, h := range labHosts {
			switch {
			case slices.ContainsFunc(aHosts, func(x string) bool { return strings.EqualFold(x, h) }):
				m[strings.ToLower(h)] = h
			case i < len(aHosts):
				m[strings.ToLower(h)] = aHosts[i]
			}
		}
	}
	pair(lab.MasterHosts(), a.MasterHosts())
	pair(lab.WorkerHosts(), a.WorkerHosts())
	return m
}

// of is the answers' name of the lab's host h.
func (m hosts) of(h string) string {
	if to, ok := m[strings.ToLower(h)]; ok {
		return to
	}
	return h
}

// shortHost is the first label of a host name.
func shortHost(h string) string {
	short, _, _ := strings.Cut(h, ".")
	return short
}

// Package uitest is what the wizard's tests, its screenshots and the benchmarks run
// the wizard against instead of an estate: a fake backend. It imports nothing of the
// wizard, so that the wizard's own tests can use it.
package uitest

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
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// FakeBackend simulates an estate for tests and screenshots: nodes from the answers,
// the nine steps with their actions and scripts, delays, one injectable failure, and
// network checks from a table of names. It is deterministic for a fixed clock.
type FakeBackend struct {
	// Delay is slept before each action (0 in tests).
	Delay time.Duration
	// FailStep and FailHost make that step fail on that host, FailTimes times.
	FailStep  int
	FailHost  string
	FailTimes int
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
}

// fakeActions say, per step ID, what the fake's one action on each target does. The
// steps themselves (IDs, titles, scopes) and their targets are the real ones, from
// steps.All() and engine.Targets, so the fake cannot drift from the procedure.
var fakeActions = map[int]struct {
	kind steps.ActionKind
	op   string
	what string
}{
	1: {steps.KindChange, "add-cluster-node", "Join the node to failover cluster %s"},
	2: {steps.KindCreate, "install-scale-out-master", "Install SSIS Scale Out Master with certificate CN=%s"},
	3: {steps.KindCreate, "install-scale-out-master", "Install SSIS Scale Out Master and import the certificate for %s"},
	4: {steps.KindCreate, "join-availability-group", "Join the replica to availability group %s with SSISDB"},
	5: {steps.KindChange, "set-master-settings", "Set SqlServerName to %s in MasterSettings.config"},
	6: {steps.KindChange, "set-logging-password", "Set the logging login password for %s"},
	7: {steps.KindCreate, "add-cluster-role", "Create the Generic Service role %s"},
	8: {steps.KindChange, "set-master-address", "Set MASTER_ADDRESS to %s"},
	9: {steps.KindCreate, "register-worker", "Register the worker with %s"},
}

func (f *FakeBackend) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *FakeBackend) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

// Calls lists the backend calls made, in order, for tests.
func (f *FakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// fakeKnownNames resolve in the simulated DNS; anything else is free.
var fakeKnownNames = map[string]string{
	"node1.contoso.com": "10.0.0.11", "node2.contoso.com": "10.0.0.12", "node3.contoso.com": "10.0.0.13",
	"worker1.contoso.com": "10.0.0.21", "worker2.contoso.com": "10.0.0.22",
}

// CheckField answers from the simulated DNS and AD.
func (f *FakeBackend) CheckField(ctx context.Context, a *answers.Answers, s *answers.Secrets, field, value string) app.FieldCheck {
	switch field {
	case "masters", "workers":
		var msgs []string
		for _, h := range splitList(value) {
			ip, ok := fakeKnownNames[strings.ToLower(h)]
			if !ok {
				return app.FieldCheck{Message: h + " does not resolve; check the name or DNS"}
			}
			msgs = append(msgs, shortHost(h)+" "+ip)
		}
		return app.FieldCheck{OK: true, Message: "WinRM answers on " + strings.Join(msgs, ", ")}
	case "masterService.dnsName", "availabilityGroup.listener.dnsName":
		if _, ok := fakeKnownNames[strings.ToLower(value)]; ok {
			return app.FieldCheck{Message: value + " is a node's name; the role needs a new name"}
		}
		return app.FieldCheck{OK: true, Message: "free in DNS and AD"}
	case "masterService.staticAddress", "availabilityGroup.listener.staticAddress", "cluster.staticAddress":
		return app.FieldCheck{OK: true, Message: "no host answers at " + strings.SplitN(value, "/", 2)[0]}
	case "masterService.account":
		return app.FieldCheck{OK: true, Message: "account found in AD"}
	case "cluster.name":
		return app.FieldCheck{OK: true, Message: "cluster " + value + " holds every master node"}
	case "cluster.witness":
		server, _, _ := strings.Cut(strings.TrimPrefix(value, `\\`), `\`)
		if _, ok := fakeKnownNames[strings.ToLower(server)]; ok {
			return app.FieldCheck{Message: server + " is a node; the witness belongs on a server outside the cluster"}
		}
		return app.FieldCheck{OK: true, Message: server + " answers SMB"}
	case "masterService.certificate.thumbprint":
		return app.FieldCheck{Warning: true, Message: "certificate not found on the primary; step 2 will generate one"}
	case "masterService.port", "availabilityGroup.endpointPort":
		return app.FieldCheck{OK: true, Message: "port " + value + " is free on every node"}
	}
	return app.FieldCheck{OK: true, Message: "ok"}
}

// Preflight reports a fixed grid: everything passes but one warning on the last master.
func (f *FakeBackend) Preflight(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) error {
	f.record("preflight")
	checks := []struct{ name, detail string }{
		{"WinRM reachable", "WinRM over HTTPS answered"},
		{"SQL Server version", "SQL Server 2019 (15.0.4316)"},
		{"Scale Out Master installed", "SSISScaleOutMaster150 present"},
		{"Failover cluster member", "member of SSISCL"},
		{"Firewall port 8391", "inbound rule allows 8391"},
	}
	hosts := a.MasterHosts()
	for _, c := range checks {
		for i, h := range hosts {
			r := engine.CheckResult{Name: c.name, Status: "Success", Detail: c.detail}
			if c.name == "Firewall port 8391" && i == len(hosts)-1 {
				r = engine.CheckResult{Name: c.name, Status: "Warning", Detail: "no inbound rule for 8391", Fix: "step 2 adds the rule; or add it yourself: New-NetFirewallRule -LocalPort 8391"}
			}
			emit(engine.Event{Time: f.now(), Kind: engine.CheckFinished, Target: h, Check: &r})
		}
	}
	return ctx.Err()
}

// Plan builds the nine steps; steps applied earlier show as done.
func (f *FakeBackend) Plan(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	f.record("plan")
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &engine.Plan{Fingerprint: "5f1c0a9e7b2d4c3e8a6f", Created: f.now()}
	for _, st := range steps.All() {
		id := st.ID()
		ps := engine.PlanStep{ID: id, Title: st.Title(), Scope: st.Scope().String()}
		for _, t := range engine.Targets(a, st.Scope()) {
			emit(engine.Event{Time: f.now(), Kind: engine.DetectStarted, Step: id, Target: t.Host})
			d := steps.Detection{State: steps.StatePending}
			if f.applied[id] {
				d.State = steps.StateDone
			} else {
				d.Actions = f.actions(a, id, t)
			}
			ps.Targets = append(ps.Targets, engine.PlanTarget{Target: t, Detection: d})
			emit(engine.Event{Time: f.now(), Kind: engine.DetectFinished, Step: id, Target: t.Host, State: string(d.State)})
		}
		p.Steps = append(p.Steps, ps)
	}
	return p, ctx.Err()
}

func (f *FakeBackend) actions(a *answers.Answers, id int, t steps.Target) []steps.Action {
	fa := fakeActions[id]
	arg := map[int]string{1: a.Cluster.Name, 2: a.MasterService.DNSName, 3: a.MasterService.DNSName, 4: a.AvailabilityGroup.Name,
		5: a.AvailabilityGroup.Listener.DNSName + "," + fmt.Sprint(a.AvailabilityGroup.Listener.Port), 6: "##MS_SSISLogDBWorkerAgentLogin##",
		7: a.MasterService.DNSName, 8: a.MasterAddress(), 9: a.MasterAddress()}[id]
	ps := &script.PowerShell{Op: fa.op, Params: map[string]any{"Host": t.Host, "Value": arg}}
	if id == 6 {
		ps.Params["Password"] = script.NewSecret("logging-password", "fake-logging-value")
	}
	act := steps.Action{ID: fmt.Sprintf("step%d-action", id), Summary: fmt.Sprintf(fa.what, arg), Kind: fa.kind,
		Commands: []steps.Command{{Host: t.Host, PS: ps}}}
	if id == 6 {
		act.Irreversible = "the logging login's original random password cannot be recovered"
	}
	return []steps.Action{act}
}

// Apply runs the plan's pending actions, emitting the events a real run emits.
func (f *FakeBackend) Apply(ctx context.Context, a *answers.Answers, s *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
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
		stepStatus := engine.StatusSucceeded
		for _, t := range ps.Targets {
			host := t.Target.Host
			emit(engine.Event{Time: f.now(), Kind: engine.TargetStarted, Step: ps.ID, Target: host})
			tr := engine.TargetResult{Step: ps.ID, Title: ps.Title, Target: host, Status: engine.StatusSucceeded}
			if len(t.Detection.Actions) == 0 {
				tr.Status, tr.Note = engine.StatusSkipped, "already done"
			}
			for i, act := range t.Detection.Actions {
				emit(engine.Event{Time: f.now(), Kind: engine.ActionStarted, Step: ps.ID, Target: host, Action: act.ID, Summary: act.Summary, Script: act.Commands[0].Display()})
				if f.Delay > 0 {
					select {
					case <-time.After(f.Delay):
					case <-ctx.Done():
					}
				}
				emit(engine.Event{Time: f.now(), Kind: engine.ActionOutput, Step: ps.ID, Target: host, Action: act.ID, Message: "running " + act.Commands[0].Op()})
				// A failure hits the target's last action, after the earlier ones
				// changed the node, as a failed install leaves its certificate.
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

func (f *FakeBackend) fail(step int, host string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.FailTimes > 0 && step == f.FailStep && host == f.FailHost {
		f.FailTimes--
		return true
	}
	return false
}

// Rollback marks the steps undone, in reverse.
func (f *FakeBackend) Rollback(ctx context.Context, a *answers.Answers, s *answers.Secrets, only []int, emit func(engine.Event)) (*engine.Report, error) {
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

// Verify reports one check per step and target.
func (f *FakeBackend) Verify(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.VerifyReport, error) {
	f.record("verify")
	r := &engine.VerifyReport{}
	for _, st := range steps.All() {
		for _, t := range engine.Targets(a, st.Scope()) {
			r.Checks = append(r.Checks, engine.VerifyCheck{Step: st.ID(), Title: st.Title(), Target: t.Host,
				Check: steps.Check{Name: st.Title(), Status: steps.CheckSuccess, Detail: "read back as expected"}})
		}
	}
	return r, ctx.Err()
}

// journal notes that step has succeeded actions (or has none left, undone).
func (f *FakeBackend) journal(step int, done bool) {
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
func (f *FakeBackend) Undoable(a *answers.Answers) []int {
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
func (f *FakeBackend) Interrupted(a *answers.Answers) []engine.Record { return f.Records }

// WriteBundle writes one file per action's script.
func (f *FakeBackend) WriteBundle(p *engine.Plan, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			for _, a := range t.Detection.Actions {
				name := fmt.Sprintf("%02d-%s-%s.ps1", s.ID, shortHost(t.Target.Host), a.ID)
				if err := os.WriteFile(filepath.Join(dir, name), []byte(a.Commands[0].Display()), 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// splitList splits a list of hosts as the wizard's fields take them.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

// shortHost is the first label of a host name.
func shortHost(h string) string {
	short, _, _ := strings.Cut(h, ".")
	return short
}

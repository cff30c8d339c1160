package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/steps"
)

// VerifyReport is every check of every step on every target, in step and target order.
type VerifyReport struct {
	Checks []VerifyCheck `json:"checks"`
}

// VerifyCheck is one check on one target.
type VerifyCheck struct {
	Step   int    `json:"step"`
	Title  string `json:"title"`
	Target string `json:"target"`
	steps.Check
}

// Failed reports whether any check failed.
func (r *VerifyReport) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == steps.CheckFailed {
			return true
		}
	}
	return false
}

// Verify runs every step's Verify on every target in parallel within the Parallel
// bound. A Verify that cannot run becomes a Failed check saying why, so the report
// always covers every target.
func (e *Engine) Verify(ctx context.Context) (*VerifyReport, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	runID := newRunID(e.now())
	e.emit(Event{Kind: RunStarted, RunID: runID, Mode: "verify"})
	env := e.runEnv()
	type job struct {
		s steps.Step
		t steps.Target
	}
	var jobs []job
	for _, s := range e.steps {
		for _, t := range e.targets(s) {
			jobs = append(jobs, job{s, t})
		}
	}
	found := make([][]VerifyCheck, len(jobs))
	e.fanOut(ctx, len(jobs), nil, func(i int) {
		found[i] = e.verifyOne(ctx, runID, env, jobs[i].s, jobs[i].t)
	}, nil)
	rep := &VerifyReport{}
	for _, cs := range found {
		rep.Checks = append(rep.Checks, cs...)
	}
	status := StatusSucceeded
	if rep.Failed() {
		status = StatusFailed
	}
	if err := ctx.Err(); err != nil {
		e.emit(Event{Kind: RunFinished, RunID: runID, Mode: "verify", Status: StatusCancelled})
		return rep, fmt.Errorf("verification was cancelled: %w", err)
	}
	e.emit(Event{Kind: RunFinished, RunID: runID, Mode: "verify", Status: status})
	return rep, nil
}

func (e *Engine) verifyOne(ctx context.Context, runID string, env *steps.Env, s steps.Step, t steps.Target) []VerifyCheck {
	checks, err := s.Verify(ctx, env, t)
	if err != nil {
		checks = []steps.Check{{Name: s.Title(), Status: steps.CheckFailed,
			Detail: "verification could not run: " + err.Error(), Fix: "check that the node answers (WinRM and SQL), then run `ssisha verify` again"}}
	}
	out := make([]VerifyCheck, 0, len(checks))
	for _, c := range checks {
		c.Name, c.Detail, c.Fix = e.redact(c.Name), e.redact(c.Detail), e.redact(c.Fix)
		out = append(out, VerifyCheck{Step: s.ID(), Title: s.Title(), Target: t.Host, Check: c})
		e.emit(Event{Kind: CheckFinished, RunID: runID, Step: s.ID(), Title: s.Title(), Target: t.Host,
			Check: &CheckResult{Name: c.Name, Status: string(c.Status), Detail: c.Detail, Fix: c.Fix}})
	}
	return out
}

// Markdown renders the report as a table per step: node, check, status, detail, fix.
func (r *VerifyReport) Markdown() string {
	var b strings.Builder
	counts := map[steps.CheckStatus]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
	}
	fmt.Fprintf(&b, "# ssisha verification\n\n%d checks: %d Success, %d Warning, %d Failed, %d Skipped.\n",
		len(r.Checks), counts[steps.CheckSuccess], counts[steps.CheckWarning], counts[steps.CheckFailed], counts[steps.CheckSkipped])
	last := -1
	for _, c := range r.Checks {
		if c.Step != last {
			last = c.Step
			fmt.Fprintf(&b, "\n## Step %d: %s\n\n| Node | Check | Status | Detail | Fix |\n|---|---|---|---|---|\n", c.Step, mdCell(c.Title))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(c.Target), mdCell(c.Name), c.Status, mdCell(c.Detail), mdCell(c.Fix))
	}
	return b.String()
}

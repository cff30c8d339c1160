package engine

import (
	"fmt"
	"strings"
	"time"
)

// Report is what an apply or a rollback did, per step and target, in run order.
type Report struct {
	RunID   string         `json:"runId"`
	Results []TargetResult `json:"results"`
	Status  Status         `json:"status"`
	// Deviations are where the run differed from its plan: actions it ran that the
	// plan did not hold, planned ones that were not needed, scripts that differed
	// beyond the plan's placeholders (see plan_actual.go).
	Deviations []Deviation `json:"deviations,omitempty"`
}

// TargetResult is one step on one target.
type TargetResult struct {
	Step    int            `json:"step"`
	Title   string         `json:"title"`
	Target  string         `json:"target"`
	Status  Status         `json:"status"`
	Actions []ActionResult `json:"actions,omitempty"`
	// Note says why a target was skipped or not started ("already done").
	Note     string        `json:"note,omitempty"`
	Err      string        `json:"error,omitempty"`
	Fix      string        `json:"fix,omitempty"`
	Duration time.Duration `json:"durationNs"`

	err error // the failure as an error value, for Apply's returned error
}

// ActionResult is one action (or its undo) on one target.
type ActionResult struct {
	ID       string        `json:"id"`
	Summary  string        `json:"summary"`
	Status   Status        `json:"status"`
	Err      string        `json:"error,omitempty"`
	Duration time.Duration `json:"durationNs"`
	// irreversible marks an undo skipped because the step says the change cannot be
	// reversed (it was there before ssisha), which leaves nothing of ssisha's behind.
	irreversible bool
}

// Recap is the one-line count of the run, as the summary screen and logs show it:
// "3 of 4 targets succeeded, 1 failed".
func (r *Report) Recap() string {
	counts := map[Status]int{}
	for _, t := range r.Results {
		counts[t.Status]++
	}
	// A skipped target (nothing to do there, or nothing it can undo) had no work: it
	// is counted once, as skipped, and neither as succeeded nor in the total of
	// targets that had work.
	skipped := counts[StatusSkipped]
	worked := len(r.Results) - skipped
	if worked == 0 && skipped > 0 {
		return fmt.Sprintf("nothing to do: all %d targets skipped", skipped)
	}
	// A rollback's targets succeed by being undone: it says so once.
	ok, verb, more := counts[StatusSucceeded], "succeeded", []Status{StatusSkipped, StatusUndone, StatusFailed, StatusBlocked, StatusCancelled}
	if ok == 0 && counts[StatusUndone] > 0 {
		ok, verb, more = counts[StatusUndone], "undone", []Status{StatusSkipped, StatusFailed, StatusBlocked, StatusCancelled}
	}
	s := fmt.Sprintf("%d of %d targets %s", ok, worked, verb)
	for _, st := range more {
		if n := counts[st]; n > 0 {
			s += fmt.Sprintf(", %d %s", n, st)
		}
	}
	return s
}

// Markdown renders the report as one table per step, for `--report` exports and
// tickets.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# ssisha run %s: %s\n\n%s.\n", r.RunID, r.Status, r.Recap())
	last := -1
	for _, t := range r.Results {
		if t.Step != last {
			last = t.Step
			fmt.Fprintf(&b, "\n## Step %d: %s\n\n", t.Step, mdCell(t.Title))
			b.WriteString("| Node | Status | Actions | Duration | Detail | Fix |\n|---|---|---|---|---|---|\n")
		}
		var acts []string
		for _, a := range t.Actions {
			acts = append(acts, fmt.Sprintf("%s: %s", a.Summary, a.Status))
		}
		detail := t.Err
		if detail == "" {
			detail = t.Note
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdCell(t.Target), t.Status, mdCell(strings.Join(acts, "; ")),
			t.Duration.Round(100*time.Millisecond), mdCell(detail), mdCell(t.Fix))
	}
	return b.String()
}

// mdCell keeps a value inside its table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", "<br>")
	return strings.ReplaceAll(s, "\n", "<br>")
}

package engine

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ssisha/ssisha/steps"
)

// Plan against actual: apply detects each step again on the real estate when its turn
// comes, and compares what it is about to run with what the plan held for that step. A
// placeholder of the plan stands for any value, so a thumbprint known only now is not a
// difference; an action the plan did not hold, one it held that is not needed any more,
// or a script that differs elsewhere, is a Deviation.

// Deviation kinds.
const (
	DeviationUnplanned = "unplanned" // the run needs an action the plan did not hold
	DeviationUnneeded  = "unneeded"  // the plan held an action the estate no longer needs
	DeviationChanged   = "changed"   // the action's scripts differ beyond the placeholders
)

// Deviation is one difference between the plan and what apply found it had to do.
type Deviation struct {
	Step   int    `json:"step"`
	Target string `json:"target"`
	Action string `json:"action"`
	Kind   string `json:"kind"`
	// Summary is the action's summary, from the run when it ran, else from the plan.
	Summary string `json:"summary"`
}

// String says the deviation in the DBA's words.
func (d Deviation) String() string {
	where := fmt.Sprintf("step %d on %s", d.Step, d.Target)
	switch d.Kind {
	case DeviationUnplanned:
		return fmt.Sprintf("%s: %q runs but was not in the plan", where, d.Summary)
	case DeviationUnneeded:
		return fmt.Sprintf("%s: %q was planned but is not needed", where, d.Summary)
	}
	return fmt.Sprintf("%s: the scripts of %q differ from the plan's beyond its placeholders", where, d.Summary)
}

// deviations compares the actions of one step as planned with those apply detected
// for it now. A target the plan did not reach (it waited for a blocked step) is not
// compared: the plan made no promise for it.
func deviations(planned, actual PlanStep) []Deviation {
	before := map[string]PlanTarget{}
	for _, t := range planned.Targets {
		before[strings.ToLower(t.Target.Host)] = t
	}
	var out []Deviation
	for _, t := range actual.Targets {
		pt, ok := before[strings.ToLower(t.Target.Host)]
		if !ok || pt.WaitsFor != "" || pt.Err != "" {
			continue
		}
		out = append(out, targetDeviations(planned.ID, t.Target.Host, pt.Detection.Actions, t.Detection.Actions)...)
	}
	return out
}

func targetDeviations(step int, host string, planned, actual []steps.Action) []Deviation {
	want := map[string]steps.Action{}
	for _, a := range planned {
		want[a.ID] = a
	}
	var out []Deviation
	seen := map[string]bool{}
	for _, a := range actual {
		seen[a.ID] = true
		p, ok := want[a.ID]
		switch {
		case !ok:
			out = append(out, Deviation{Step: step, Target: host, Action: a.ID, Kind: DeviationUnplanned, Summary: a.Summary})
		case !sameCommands(p.Commands, a.Commands):
			out = append(out, Deviation{Step: step, Target: host, Action: a.ID, Kind: DeviationChanged, Summary: a.Summary})
		}
	}
	for _, a := range planned {
		if !seen[a.ID] {
			out = append(out, Deviation{Step: step, Target: host, Action: a.ID, Kind: DeviationUnneeded, Summary: a.Summary})
		}
	}
	return out
}

// sameCommands reports whether the run's commands are the plan's, where each
// placeholder of the plan matches any text.
func sameCommands(planned, actual []steps.Command) bool {
	if len(planned) != len(actual) {
		return false
	}
	for i := range planned {
		if !strings.EqualFold(planned[i].Host, actual[i].Host) || !matchesPlanned(planned[i].Display(), actual[i].Display()) {
			return false
		}
	}
	return true
}

var placeholderInText = regexp.MustCompile(`<after apply: [^<>]*>`)

// matchesPlanned reports whether text is planned with its placeholders filled in.
func matchesPlanned(planned, text string) bool {
	if planned == text {
		return true
	}
	parts := placeholderInText.Split(planned, -1)
	if len(parts) == 1 {
		return false
	}
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re, err := regexp.Compile(`(?s)\A` + strings.Join(parts, `.*?`) + `\z`)
	return err == nil && re.MatchString(text)
}

// compareWithPlan compares the step apply detected now with the plan's, and emits
// each deviation.
func (e *Engine) compareWithPlan(run *runState, p *Plan, det PlanStep) []Deviation {
	for _, ps := range p.Steps {
		if ps.ID != det.ID {
			continue
		}
		devs := deviations(ps, det)
		for _, d := range devs {
			e.emit(Event{Kind: PlanDeviation, RunID: run.id, Step: d.Step, Title: det.Title, Target: d.Target, Action: d.Action,
				Summary: d.Summary, Message: d.String()})
		}
		return devs
	}
	return nil
}

// deviationError stops a run that follows a reviewed plan: the stale-plan guard for the
// steps the plan predicted.
func deviationError(devs []Deviation) error {
	changes := make([]string, len(devs))
	for i, d := range devs {
		changes[i] = d.String()
	}
	return &StalePlanError{Changes: changes}
}

// ActionsRun counts the actions of the report that ran and succeeded.
func (r *Report) ActionsRun() int {
	n := 0
	for _, t := range r.Results {
		for _, a := range t.Actions {
			if a.Status == StatusSucceeded {
				n++
			}
		}
	}
	return n
}

package engine

import (
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/steps"
)

// PlanCounts is what a plan will do, as the apply confirmation says it. The command
// line and the wizard both take it from Plan.Counts, so they cannot disagree.
type PlanCounts struct {
	// Actions is the number of actions on every target of every step.
	Actions int `json:"actions"`
	// Targets is the number of step targets with at least one action.
	Targets int `json:"targets"`
	// Irreversible is the number of actions that cannot be undone.
	Irreversible int `json:"irreversible"`
	// SQLRestarts is the number of actions that restart a SQL Server database engine.
	SQLRestarts int `json:"sqlRestarts"`
	// SetupRuns is the number of actions that run SQL Server setup.
	SetupRuns int `json:"setupRuns"`
	// Placeholders is the number of actions whose scripts hold a value known only
	// after apply.
	Placeholders int `json:"placeholders"`
	// Blocked is the number of targets blocked by something other than an earlier
	// step (Plan.Blocked): those stop an apply.
	Blocked int `json:"blocked"`
}

// Counts counts what the plan will do.
func (p *Plan) Counts() PlanCounts {
	c := PlanCounts{Blocked: p.Blocked()}
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			if len(t.Detection.Actions) > 0 {
				c.Targets++
			}
			for _, a := range t.Detection.Actions {
				c.Actions++
				if a.Irreversible != "" {
					c.Irreversible++
				}
				if steps.RestartsSQLServer(a) {
					c.SQLRestarts++
				}
				if steps.RunsSetup(a) {
					c.SetupRuns++
				}
				if len(actionPlaceholders(a)) > 0 {
					c.Placeholders++
				}
			}
		}
	}
	return c
}

// actionPlaceholders lists the placeholders in an action's summary and scripts.
func actionPlaceholders(a steps.Action) []string {
	text := a.Summary
	for _, c := range a.Commands {
		text += "\n" + c.Display()
	}
	return steps.Placeholders(text)
}

// Symbol is an action's mark in the plan: + create, ~ change, - delete, @ restart,
// ! cannot be undone. ASCII, so that any terminal and any log shows it.
func Symbol(a steps.Action) string {
	if a.Irreversible != "" {
		return "!"
	}
	switch a.Kind {
	case steps.KindCreate:
		return "+"
	case steps.KindChange:
		return "~"
	case steps.KindDelete:
		return "-"
	case steps.KindRestart:
		return "@"
	}
	return "*"
}

// CountsText says the counts in one line, the same for the command line's
// confirmation and the wizard's: "40 actions on 14 targets (1 cannot be undone, 2
// restarts of SQL Server, 4 setup runs)".
func CountsText(c PlanCounts) string {
	s := fmt.Sprintf("%s on %s", plural(c.Actions, "action"), plural(c.Targets, "target"))
	var extra []string
	if c.Irreversible > 0 {
		extra = append(extra, fmt.Sprintf("%d cannot be undone", c.Irreversible))
	}
	if c.SQLRestarts > 0 {
		extra = append(extra, plural(c.SQLRestarts, "restart")+" of SQL Server")
	}
	if c.SetupRuns > 0 {
		extra = append(extra, plural(c.SetupRuns, "setup run"))
	}
	if c.Placeholders > 0 {
		extra = append(extra, fmt.Sprintf("%d with values known only after apply", c.Placeholders))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

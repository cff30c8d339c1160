package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ssisha/ssisha/steps/engine"
)

// printPlan writes the plan as a DBA reads it: per step and target, the state and
// what will change. A step planned on the estate the earlier steps leave is marked
// with *, and a target behind a blocked step says what it waits for.
func printPlan(w io.Writer, p *engine.Plan, verbose bool) {
	predicted := false
	for _, st := range p.Steps {
		mark := ""
		if st.Predicted() {
			mark, predicted = " *", true
		}
		fmt.Fprintf(w, "Step %d  %s  (%s)%s\n", st.ID, st.Title, st.Scope, mark)
		for _, t := range st.Targets {
			d := t.Detection
			state := string(d.State)
			if t.Err != "" {
				state = "error"
			}
			if t.WaitsFor != "" && len(d.Actions) == 0 {
				fmt.Fprintf(w, "  %-28s waits for %s (now: %s)\n", t.Target.Host, t.WaitsFor, orDash(firstOf(t.Err, d.Reason, state)))
				continue
			}
			fmt.Fprintf(w, "  %-28s %s\n", t.Target.Host, state)
			if t.Err != "" {
				fmt.Fprintf(w, "      %s\n", t.Err)
			}
			if d.Reason != "" {
				fmt.Fprintf(w, "      why: %s\n", d.Reason)
			}
			if d.Fix != "" {
				fmt.Fprintf(w, "      fix: %s\n", d.Fix)
			}
			for _, a := range d.Actions {
				fmt.Fprintf(w, "      %s %s\n", engine.Symbol(a), a.Summary)
				if a.Irreversible != "" {
					fmt.Fprintf(w, "        irreversible: %s\n", a.Irreversible)
				}
				if verbose {
					for _, c := range a.Commands {
						fmt.Fprintf(w, "        on %s:\n", c.Host)
						for _, line := range strings.Split(strings.TrimRight(c.Display(), "\n"), "\n") {
							fmt.Fprintf(w, "          %s\n", line)
						}
					}
				}
			}
		}
	}
	c := p.Counts()
	fmt.Fprintf(w, "\n%s.\n", engine.CountsText(c))
	fmt.Fprintf(w, "Legend: + create  ~ change  - delete  @ restart  ! irreversible\n")
	if predicted {
		fmt.Fprintf(w, "* planned on the estate the steps before it leave; <after apply: …> is a value known only once they have run\n")
	}
	fmt.Fprintf(w, "Plan fingerprint: %s\n", p.Fingerprint)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// planJSON is the plan as --output json shows it (engine.PlanDoc documents it).
type planJSON = engine.PlanDoc

func writePlanJSON(w io.Writer, doc engine.PlanDoc) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Scripts and placeholders stay readable: <after apply: …>, not \u003c.
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// printStatus writes one line per step and target.
func printStatus(w io.Writer, p *engine.Plan) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTITLE\tTARGET\tSTATE\tDETAIL")
	for _, st := range p.Steps {
		for _, t := range st.Targets {
			state := string(t.Detection.State)
			detail := t.Detection.Reason
			if t.Err != "" {
				state, detail = "error", t.Err
			} else if n := len(t.Detection.Actions); n > 0 && detail == "" {
				detail = fmt.Sprintf("%d action(s) to apply", n)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", st.ID, st.Title, t.Target.Host, state, detail)
		}
	}
	_ = tw.Flush()
}

// printRecap writes the end of a run: per target, what happened, then the run's
// recap and the actions that could not be undone, each counted once.
func printRecap(w io.Writer, r *engine.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTARGET\tRESULT\tDETAIL")
	var notUndone []string
	for _, t := range r.Results {
		detail := t.Err
		if detail == "" {
			detail = t.Note
		}
		if t.Fix != "" {
			detail += " (fix: " + t.Fix + ")"
		}
		for _, a := range t.Actions {
			if a.Status == engine.StatusSkipped && a.Err != "" {
				notUndone = append(notUndone, fmt.Sprintf("step %d on %s: %s: %s", t.Step, t.Target, a.Summary, a.Err))
			}
		}
		fmt.Fprintf(tw, "%d %s\t%s\t%s\t%s\n", t.Step, t.Title, t.Target, t.Status, detail)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%s\n", r.Recap())
	if len(notUndone) > 0 {
		fmt.Fprintf(w, "%d action(s) could not be undone; check them by hand:\n", len(notUndone))
		for _, l := range notUndone {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// printDeviations writes, after an apply's recap, where the run differed from its plan.
func printDeviations(w io.Writer, r *engine.Report) {
	if len(r.Deviations) == 0 {
		return
	}
	fmt.Fprintf(w, "\nThe run differed from the plan (%d):\n", len(r.Deviations))
	for _, d := range r.Deviations {
		fmt.Fprintf(w, "  %s\n", d)
	}
}

// planAgainstActual is the last line of `apply --output json`: how many actions the
// plan listed, how many the run ran, and where it differed.
type planAgainstActual struct {
	Kind       string             `json:"kind"` // plan-against-actual
	Planned    int                `json:"planned"`
	Ran        int                `json:"ran"`
	Deviations []engine.Deviation `json:"deviations"`
}

func writePlanAgainstActual(w io.Writer, c engine.PlanCounts, r *engine.Report) error {
	out := planAgainstActual{Kind: "plan-against-actual", Planned: c.Actions, Ran: r.ActionsRun(), Deviations: r.Deviations}
	if out.Deviations == nil {
		out.Deviations = []engine.Deviation{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// glyphs used in plain output; ASCII only so any terminal and any log shows them.
func actionSymbol(a steps.Action) string {
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

// printPlan writes the plan as a DBA reads it: per step and target, the state and
// what will change.
func printPlan(w io.Writer, p *engine.Plan, verbose bool) {
	for si, st := range p.Steps {
		fmt.Fprintf(w, "Step %d  %s  (%s)\n", st.ID, st.Title, st.Scope)
		waiting := p.AwaitsEarlierSteps(si)
		for _, t := range st.Targets {
			d := t.Detection
			state := string(d.State)
			if t.Err != "" {
				state = "error"
			}
			if d.State == steps.StateBlocked && waiting {
				fmt.Fprintf(w, "  %-28s after earlier steps (now: %s)\n", t.Target.Host, d.Reason)
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
				fmt.Fprintf(w, "      %s %s\n", actionSymbol(a), a.Summary)
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
	fmt.Fprintf(w, "\nLegend: + create  ~ change  - delete  @ restart  ! irreversible\nPlan fingerprint: %s\n", p.Fingerprint)
}

// planCounts returns how many actions and how many targets with actions a plan has,
// and how many targets are blocked by something other than earlier steps.
func planCounts(p *engine.Plan) (actions, targets, blocked int) {
	blocked = p.Blocked()
	for _, st := range p.Steps {
		for _, t := range st.Targets {
			if n := len(t.Detection.Actions); n > 0 {
				actions += n
				targets++
			}
		}
	}
	return
}

// planJSON is the plan as --output json shows it: scripts as displayed text only.
type planJSON struct {
	Fingerprint string         `json:"fingerprint"`
	Steps       []planStepJSON `json:"steps"`
}

type planStepJSON struct {
	ID      int              `json:"id"`
	Title   string           `json:"title"`
	Scope   string           `json:"scope"`
	Targets []planTargetJSON `json:"targets"`
}

type planTargetJSON struct {
	Host    string           `json:"host"`
	Role    string           `json:"role"`
	State   string           `json:"state"`
	Reason  string           `json:"reason,omitempty"`
	Fix     string           `json:"fix,omitempty"`
	Error   string           `json:"error,omitempty"`
	Actions []planActionJSON `json:"actions,omitempty"`
}

type planActionJSON struct {
	ID           string        `json:"id"`
	Summary      string        `json:"summary"`
	Kind         string        `json:"kind"`
	Irreversible string        `json:"irreversible,omitempty"`
	Commands     []commandJSON `json:"commands"`
}

type commandJSON struct {
	Host   string `json:"host"`
	Op     string `json:"op"`
	Script string `json:"script"`
}

func writePlanJSON(w io.Writer, p *engine.Plan) error {
	out := planJSON{Fingerprint: p.Fingerprint}
	for _, st := range p.Steps {
		ps := planStepJSON{ID: st.ID, Title: st.Title, Scope: st.Scope}
		for _, t := range st.Targets {
			pt := planTargetJSON{Host: t.Target.Host, Role: t.Target.Role, State: string(t.Detection.State), Reason: t.Detection.Reason, Fix: t.Detection.Fix, Error: t.Err}
			for _, a := range t.Detection.Actions {
				pa := planActionJSON{ID: a.ID, Summary: a.Summary, Kind: string(a.Kind), Irreversible: a.Irreversible}
				for _, c := range a.Commands {
					pa.Commands = append(pa.Commands, commandJSON{Host: c.Host, Op: c.Op(), Script: c.Display()})
				}
				pt.Actions = append(pt.Actions, pa)
			}
			ps.Targets = append(ps.Targets, pt)
		}
		out.Steps = append(out.Steps, ps)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
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

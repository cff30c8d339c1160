package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ssisha/ssisha/steps"
)

// A rollback undoes what the journal says succeeded. An action that failed, or was
// interrupted and never resolved, has nothing for rollback to undo, yet the node may
// hold its change: a setup that failed after installing, a resumed setup that met the
// first one's install. Rollback must not report such a target undone. So, before it
// undoes anything of a target, it re-detects the target and checks that each such
// action is to do; one that is not is still on the node, and rollback says so and
// fails, leaving that target as it is (apply adopts such a change, see adoptFailed,
// so that a rollback after it undoes it).

// leftovers returns, per lower-case host, the actions of step whose last outcome in
// the journal is not a success nor an undo: failed, interrupted without a resolution,
// or started and never answered. Oldest first.
func leftovers(recs []Record, step int) map[string][]Record {
	type key struct{ host, action string }
	last := map[key]Record{}
	var order []key
	for _, r := range recs {
		if r.Step != step || r.Target == "" || r.Action == "" {
			continue
		}
		k := key{strings.ToLower(r.Target), r.Action}
		switch r.Kind {
		case KindIntent, KindResult, KindUndoResult:
		default:
			continue
		}
		if _, seen := last[k]; !seen {
			order = append(order, k)
		}
		last[k] = r
	}
	out := map[string][]Record{}
	for _, k := range order {
		r := last[k]
		suspect := false
		switch r.Kind {
		case KindIntent:
			suspect = true
		case KindResult:
			suspect = r.Status == StatusFailed || (r.Status == StatusInterrupted && r.Resolution != ResolvedDone)
		}
		if suspect {
			out[k.host] = append(out[k.host], r)
		}
	}
	return out
}

// stillThere re-detects t and returns, of the suspect actions, those the node still
// holds: Detect no longer lists them as to do. A detection that fails or is blocked
// proves nothing either way; its reason comes back instead.
func (e *Engine) stillThere(ctx context.Context, run *runState, s steps.Step, t steps.Target, suspect []Record) (left []Record, unsure string) {
	if len(suspect) == 0 {
		return nil, ""
	}
	pt := PlanTarget{Target: t}
	if !e.detectInto(ctx, run.env, s, &pt) {
		return nil, pt.Err
	}
	if pt.Detection.State == steps.StateBlocked {
		return nil, orText(pt.Detection.Reason, "the step is blocked")
	}
	for _, r := range suspect {
		if !listsAction(pt.Detection, r.Action) {
			left = append(left, r)
		}
	}
	return left, ""
}

// leftError is the error of a target rollback could not bring back: what stays on the
// node, from which run, and what to do.
func leftError(s steps.Step, t steps.Target, left []Record) *TargetError {
	var what []string
	for _, r := range left {
		how := "failed"
		switch {
		case r.Kind == KindIntent:
			how = "was interrupted"
		case r.Status == StatusInterrupted:
			how = "was interrupted and could not be checked"
		}
		what = append(what, fmt.Sprintf("%s (%s in run %s)", orText(r.Summary, r.Action), how, r.originRun()))
	}
	slices.Sort(what)
	return &TargetError{Step: s.ID(), Title: s.Title(), Target: t.Host, Action: "rollback",
		Err: fmt.Errorf("not undone: %s; the journal has no record of a success to undo, yet re-detection finds the change still on %s", strings.Join(what, "; "), t.Host),
		Fix: fmt.Sprintf("run `ssisha apply --steps %d`, which records a change it finds done so that rollback can undo it, then `ssisha rollback` again; or reverse it on %s by hand", s.ID(), t.Host)}
}

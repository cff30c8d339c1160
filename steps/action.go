package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrIrreversible is what an undo wraps when an action cannot be reversed; the engine
// reports such actions as skipped, with the reason, instead of failing the rollback.
var ErrIrreversible = errors.New("this action cannot be undone")

// Undo is what an action recorded for its undo, as the journal holds it: the JSON of
// the action's own undo struct (old values, which objects it created). Empty means
// nothing was recorded. It is written to the journal, so it holds no secrets.
type Undo = json.RawMessage

// ActionType is one action a step declares: what the plan and the journal say about
// it, and how to apply and undo it. ActionDef is the one implementation.
type ActionType interface {
	// Info is the action's declaration without its functions.
	Info() ActionInfo
	// Apply runs a (an action Detect listed with this ID) and returns what undo needs.
	Apply(ctx context.Context, env *Env, t Target, a Action) (Undo, error)
	// Undo reverses the action from what the journal recorded for it. It returns
	// ErrIrreversible (wrapped, with the reason) when it cannot.
	Undo(ctx context.Context, env *Env, t Target, data Undo) error
	// Absorbed is what the journal records for an action that runs again after an
	// interrupted run of it that resume found not done: result (the re-run's hint or
	// undo data) joined with interrupted (the interrupted intent's hint), so that
	// rollback also undoes what the interrupted run made before it died. Without the
	// action's hook, or when either is unreadable, it is result.
	Absorbed(interrupted, result Undo) Undo
	reencode(data Undo) (Undo, error)
}

// ActionInfo is the declaration of an action, as the plan and the journal use it.
type ActionInfo struct {
	// ID is stable across runs and versions (for example "set-sqlservername"): the
	// journal records it, and rollback finds the action's undo by it.
	ID string
	// Summary says what the action does in general; each planned Action says it with
	// its values.
	Summary string
	Kind    ActionKind
	// Irreversible, when not empty, says why the action cannot be undone.
	Irreversible string
	// Installer marks an action that runs the node's installer (SQL Server setup, a
	// Windows feature): those serialise on a node, so one runs there at a time.
	Installer bool
}

// ActionDef declares one action of a step with its undo data U, a JSON-tagged struct:
// Detect plans it with New, the engine applies it with Apply and, from the journal,
// undoes it with Undo.
type ActionDef[U any] struct {
	ActionInfo
	// Run applies the action; hint is what Detect recorded for its undo (the zero
	// value when none). It returns what Undo needs, or nil when there is nothing to
	// undo.
	Run func(ctx context.Context, env *Env, t Target, a Action, hint U) (*U, error)
	// Reverse undoes the action from what Run (or, when the run died, Detect's hint)
	// recorded; u is the zero value when nothing was.
	Reverse func(ctx context.Context, env *Env, t Target, u U) error
	// Absorb, when not nil, joins what an interrupted run of the action may have made
	// (its intent's hint) with what the run that repeats it records: an action whose
	// hint lists several things (a certificate imported on each master node, a rule
	// per port) can die after making some, and the re-run's Detect no longer lists
	// those. Reverse must then treat the joined data as it treats a hint: removing
	// what is absent changes nothing. Without it the re-run's record stands alone.
	Absorb func(interrupted, result U) U
}

// Info returns the declaration.
func (d *ActionDef[U]) Info() ActionInfo { return d.ActionInfo }

// New plans the action on a target: summary with its values, the commands Apply runs,
// and the undo hint (nil for none) that the journal keeps with the intent.
func (d *ActionDef[U]) New(summary string, commands []Command, hint *U) Action {
	return Action{ID: d.ID, Summary: summary, Kind: d.Kind, Commands: commands, Irreversible: d.Irreversible, UndoHint: encodeUndo(hint)}
}

// Apply decodes a's hint, runs the action and encodes what undo needs.
func (d *ActionDef[U]) Apply(ctx context.Context, env *Env, t Target, a Action) (Undo, error) {
	var hint U
	if err := decodeUndo(a.UndoHint, &hint); err != nil {
		return nil, fmt.Errorf("%s on %s: the plan's undo hint is not readable: %w", d.ID, t.Host, err)
	}
	u, err := d.Run(ctx, env, t, a, hint)
	return encodeUndo(u), err
}

// Undo decodes the journaled data into U and reverses the action.
func (d *ActionDef[U]) Undo(ctx context.Context, env *Env, t Target, data Undo) error {
	var u U
	if err := decodeUndo(data, &u); err != nil {
		return fmt.Errorf("%s on %s: the journal's undo record is not readable (%w); check the change by hand", d.ID, t.Host, err)
	}
	err := d.Reverse(ctx, env, t, u)
	// An undo's errors name the action they undo.
	var ae *ActionError
	if errors.As(err, &ae) && ae.Action == "" {
		ae.Action = "undo " + d.ID
	}
	return err
}

// Absorbed decodes both records and joins them with the action's Absorb hook (see
// ActionType).
func (d *ActionDef[U]) Absorbed(interrupted, result Undo) Undo {
	if d.Absorb == nil || len(bytes.TrimSpace(interrupted)) == 0 {
		return result
	}
	var in, out U
	if decodeUndo(interrupted, &in) != nil || decodeUndo(result, &out) != nil {
		return result
	}
	joined := d.Absorb(in, out)
	return encodeUndo(&joined)
}

// unionNames is a followed by the names of b it lacks, compared without case (host
// names, rule names): what an Absorb hook joins lists of created things with.
func unionNames(a, b []string) []string {
	out := slices.Clone(a)
	for _, n := range b {
		if !slices.ContainsFunc(out, func(m string) bool { return strings.EqualFold(m, n) }) {
			out = append(out, n)
		}
	}
	return out
}

// unionList is unionNames over comma-separated lists (setup's features, SQL object
// names), as the undo structs that keep them so hold them.
func unionList(a, b string) string {
	split := func(s string) []string {
		var out []string
		for _, v := range strings.Split(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	return strings.Join(unionNames(split(a), split(b)), ",")
}

// encodeUndo is u's JSON; nil for no data, so that an empty record is not taken for one.
func encodeUndo[U any](u *U) Undo {
	if u == nil {
		return nil
	}
	b, err := json.Marshal(u)
	if err != nil || bytes.Equal(b, []byte("{}")) || bytes.Equal(b, []byte("null")) {
		return nil
	}
	return b
}

func decodeUndo(data Undo, into any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return json.Unmarshal(data, into)
}

// FindAction returns the action of s with the given ID, and false when s declares
// none, which happens only for a journal or a plan written by another version.
func FindAction(s Step, id string) (ActionType, bool) {
	for _, a := range s.Actions() {
		if a.Info().ID == id {
			return a, true
		}
	}
	return nil, false
}

// reencode decodes data into U and encodes it again: what a journal record written by
// an earlier version reads as now.
func (d *ActionDef[U]) reencode(data Undo) (Undo, error) {
	var u U
	if err := decodeUndo(data, &u); err != nil {
		return nil, err
	}
	return encodeUndo(&u), nil
}

package engine

import (
	"errors"
	"fmt"
	"strings"
)

// ErrStalePlan says the estate changed since the plan was made; the plan must be made
// and reviewed again. Test for it with errors.Is; errors.As gives a *StalePlanError
// with the changes.
var ErrStalePlan = errors.New("the plan is stale")

// ErrOutOfOrder says a step was asked to run (or be undone) before the steps it
// depends on. errors.As gives an *OutOfOrderError.
var ErrOutOfOrder = errors.New("steps out of order")

// StalePlanError lists what differs between the approved plan and the estate now.
type StalePlanError struct {
	Changes []string
}

// Error says what changed and what to do.
func (e *StalePlanError) Error() string {
	return fmt.Sprintf("the plan is stale: the estate changed since it was made (%s); run `ssisha plan` again, review it, then apply it",
		strings.Join(e.Changes, "; "))
}

// Unwrap lets errors.Is find ErrStalePlan.
func (e *StalePlanError) Unwrap() error { return ErrStalePlan }

// OutOfOrderError names the step that has to come first.
type OutOfOrderError struct {
	// Step is the step asked for; Needs is the one that is not done (for apply) or
	// still applied (for rollback).
	Step, Needs int
	Title       string // Needs' title
	Target      string
	State       string
	Rollback    bool
}

// Error says which step is in the way and how to proceed.
func (e *OutOfOrderError) Error() string {
	if e.Rollback {
		return fmt.Sprintf("cannot undo step %d while step %d (%s) is still applied; undo it first with `ssisha rollback --steps %d`, or include it: `ssisha rollback --steps %d-%d`",
			e.Step, e.Needs, e.Title, e.Needs, e.Needs, e.Step)
	}
	where := ""
	if e.Target != "" {
		where = " on " + e.Target
	}
	return fmt.Sprintf("cannot run step %d: step %d (%s) is not done%s (%s); run it first with `ssisha apply --steps %d`",
		e.Step, e.Needs, e.Title, where, e.State, e.Needs)
}

// Unwrap lets errors.Is find ErrOutOfOrder.
func (e *OutOfOrderError) Unwrap() error { return ErrOutOfOrder }

// TargetError is a step that failed on one target: which step, which node, why, and
// what to do next.
type TargetError struct {
	Step   int
	Title  string
	Target string
	// Action is the action that failed, empty when detection or verification failed.
	Action string
	Err    error
	Fix    string
}

// Error names the step, the node and the cause; Fix is kept apart for the screen.
func (e *TargetError) Error() string {
	what := ""
	if e.Action != "" {
		what = " during " + e.Action
	}
	return fmt.Sprintf("step %d (%s) failed on %s%s: %v", e.Step, e.Title, e.Target, what, e.Err)
}

// Unwrap returns the cause.
func (e *TargetError) Unwrap() error { return e.Err }

// genericFix is the advice when a step gives none of its own.
func genericFix(step int) string {
	return fmt.Sprintf("fix the cause, then run `ssisha apply --steps %d` again; `ssisha rollback --steps %d` undoes it", step, step)
}

package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/ssisha/ssisha/steps"
)

// Steps build on each other: a re-run of one step needs the steps before it done, and
// undoing one needs the steps after it undone. These checks say which step is in the
// way; Options.AllowOutOfOrder skips them.

// checkOrder refuses to run the selected steps while a step before them, not
// selected, is not done.
func (e *Engine) checkOrder(ctx context.Context, runID string, sel []steps.Step) error {
	chosen := map[int]bool{}
	maxID := 0
	for _, s := range sel {
		chosen[s.ID()] = true
		maxID = max(maxID, s.ID())
	}
	var preds []steps.Step
	for _, s := range e.steps {
		if s.ID() < maxID && !chosen[s.ID()] {
			preds = append(preds, s)
		}
	}
	if len(preds) == 0 {
		return nil
	}
	p := e.detect(ctx, runID, preds)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply was cancelled before it changed anything: %w", err)
	}
	for _, ps := range p.Steps {
		for _, t := range ps.Targets {
			if t.Err == "" && t.Detection.State == steps.StateDone {
				continue
			}
			state := string(t.Detection.State)
			if t.Err != "" {
				state = "detection failed: " + t.Err
			}
			next := 0
			for _, s := range sel {
				if s.ID() > ps.ID {
					next = s.ID()
					break
				}
			}
			return &OutOfOrderError{Step: next, Needs: ps.ID, Title: ps.Title, Target: t.Target.Host, State: state}
		}
	}
	return nil
}

// checkUndoOrder refuses to undo a step while a later step, not selected, is still
// applied: the later one was built on it.
func (e *Engine) checkUndoOrder(recs []Record, sel []steps.Step) error {
	chosen := map[int]bool{}
	minID := 0
	for i, s := range sel {
		chosen[s.ID()] = true
		if i == 0 || s.ID() < minID {
			minID = s.ID()
		}
	}
	for _, s := range slices.Backward(e.steps) {
		if s.ID() <= minID || chosen[s.ID()] || len(applied(recs, s.ID(), "")) == 0 {
			continue
		}
		step := minID
		for _, c := range sel {
			if c.ID() < s.ID() {
				step = c.ID()
			}
		}
		return &OutOfOrderError{Step: step, Needs: s.ID(), Title: s.Title(), Rollback: true}
	}
	return nil
}

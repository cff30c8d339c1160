// Package ui is the full-screen wizard: one root model that routes messages, focus and
// layout; screens for start, questions, preflight, plan, run, summary and steps; small
// widgets that render to a width. All work with the estate goes through a Backend, in
// commands, so Update never blocks.
package ui

import (
	"context"

	"github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// Backend is everything the wizard asks of the rest of the program: the application
// layer's session (app.Session) is one; tests, screenshots and the benchmarks use
// the lab-backed fake of package ui/uitest/fake.
type Backend interface {
	// CheckField checks a network fact behind one answer (the name resolves or is free,
	// the port answers, the certificate carries the master's DNS name). The UI calls it
	// in the background and caches the result per (field, value).
	CheckField(ctx context.Context, a *answers.Answers, s *answers.Secrets, field, value string) FieldCheck
	// Preflight runs the read-only checks on every node, reporting each as a
	// CheckFinished event.
	Preflight(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) error
	// Plan detects what is done and what would change, per step and target.
	Plan(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error)
	// Apply runs the plan (all steps, or the ones in only). Cancelling ctx stops it after
	// the actions already running.
	Apply(ctx context.Context, a *answers.Answers, s *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error)
	// Rollback undoes what runs did, for the steps in only (all when empty), in reverse.
	Rollback(ctx context.Context, a *answers.Answers, s *answers.Secrets, only []int, emit func(engine.Event)) (*engine.Report, error)
	// Verify reads back every step's outcome on every target.
	Verify(ctx context.Context, a *answers.Answers, s *answers.Secrets, emit func(engine.Event)) (*engine.VerifyReport, error)
	// Interrupted returns the journal records of actions interrupted mid-run, for the
	// resume offer.
	Interrupted(a *answers.Answers) []engine.Record
	// Undoable returns the steps whose changes the journal holds and a rollback would
	// reverse, whatever their detection says now (a failed run may leave a step
	// pending with some of its actions done).
	Undoable(a *answers.Answers) []int
	// WriteBundle writes the reviewable scripts of the plan, with a manifest, into dir.
	WriteBundle(p *engine.Plan, dir string) error
}

// FieldCheck is the result of one background network check.
type FieldCheck = app.FieldCheck

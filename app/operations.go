package app

import (
	"context"
	"fmt"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// Preflight runs the read-only checks on every node, at most Parallel at once,
// reporting each as a CheckFinished event.
func (s *Session) Preflight(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) error {
	_, err := s.PreflightChecks(ctx, ans, sec, emit)
	return err
}

// PreflightChecks is Preflight that also returns the checks, in check order, then
// target order.
func (s *Session) PreflightChecks(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) ([]engine.VerifyCheck, error) {
	return withEngine(ctx, s, ans, sec, false, emit, func(e *engine.Engine) ([]engine.VerifyCheck, error) {
		return e.Preflight(ctx)
	})
}

// Plan detects what is done and what would change, per step and target (the steps
// of Options.Steps, or all).
func (s *Session) Plan(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	// After an interrupted run the plan reads the journal, to wait first for the long
	// actions it left running on the nodes.
	resuming := len(s.Interrupted(ans)) > 0
	return withEngine(ctx, s, ans, sec, resuming, emit, func(e *engine.Engine) (*engine.Plan, error) {
		return e.Plan(ctx, s.opts.Steps)
	})
}

// Status detects every step on every target, as the status command shows it.
func (s *Session) Status(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	return withEngine(ctx, s, ans, sec, false, emit, func(e *engine.Engine) (*engine.Plan, error) {
		return e.Status(ctx)
	})
}

// Apply runs the plan (all steps, or the ones in only), journaling every action.
// Cancelling ctx stops it after the actions already running.
func (s *Session) Apply(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	stop := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			close(stop)
		case <-done:
		}
	}()
	return s.ApplyUntil(ActionsContext(ctx), stop, ans, sec, p, only, emit)
}

// ApplyUntil is Apply for a caller that tells a graceful stop from a hard one:
// closing stop lets the running actions finish and starts nothing new; cancelling
// ctx cancels the running actions too.
func (s *Session) ApplyUntil(ctx context.Context, stop <-chan struct{}, ans *answers.Answers, sec *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	defer s.begin()()
	return withEngine(ctx, s, ans, sec, true, emit, func(e *engine.Engine) (*engine.Report, error) {
		return e.ApplyWith(ctx, p, only, engine.ApplyOptions{Stop: stop, AllowOutOfOrder: s.opts.OutOfOrder})
	})
}

// Rollback undoes what runs did, for the steps in only (all when empty), in reverse,
// journaling every undo.
func (s *Session) Rollback(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, only []int, emit func(engine.Event)) (*engine.Report, error) {
	defer s.begin()()
	return withEngine(ctx, s, ans, sec, true, emit, func(e *engine.Engine) (*engine.Report, error) {
		return e.Rollback(ctx, only)
	})
}

// Verify reads back every step's outcome on every target.
func (s *Session) Verify(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) (*engine.VerifyReport, error) {
	return withEngine(ctx, s, ans, sec, false, emit, func(e *engine.Engine) (*engine.VerifyReport, error) {
		return e.Verify(ctx)
	})
}

// FailoverTest moves the availability group and the master role to every other
// master node and back, verifying every step at each stop.
func (s *Session) FailoverTest(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) ([]engine.VerifyCheck, error) {
	return withEngine(ctx, s, ans, sec, false, emit, func(e *engine.Engine) ([]engine.VerifyCheck, error) {
		return e.FailoverTest(ctx)
	})
}

// CheckJournal opens and closes the journal and the log file of the answers'
// cluster, so that a command that changes things fails before it asks anything when
// they cannot be written.
func (s *Session) CheckJournal(ctx context.Context, ans *answers.Answers, sec *answers.Secrets) error {
	r, err := s.engine(ctx, ans, sec, true, nil)
	if err != nil {
		return err
	}
	r.close()
	return nil
}

// Interrupted returns the journal records of actions interrupted mid-run in the
// answers' cluster, for the resume offer.
func (s *Session) Interrupted(ans *answers.Answers) []engine.Record {
	path, err := s.JournalFile(ans.Cluster.Name)
	if err != nil {
		return nil
	}
	j, err := engine.OpenJournal(path)
	if err != nil {
		return nil
	}
	defer j.Close()
	return j.Interrupted()
}

// WriteBundle writes the reviewable scripts of the plan, with a manifest, into dir.
func (s *Session) WriteBundle(p *engine.Plan, dir string) error {
	s.mu.Lock()
	c := s.c
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("no plan has been made yet")
	}
	eng := engine.New(engine.Options{Steps: steps.All(), Env: c.env, Parallel: s.opts.Parallel})
	return eng.WriteBundle(p, dir)
}

// withEngine runs fn on an engine for these answers (see Session.engine), and
// releases what the engine opened when fn returns.
func withEngine[T any](ctx context.Context, s *Session, ans *answers.Answers, sec *answers.Secrets, journal bool, emit func(engine.Event), fn func(*engine.Engine) (T, error)) (T, error) {
	r, err := s.engine(ctx, ans, sec, journal, emit)
	if err != nil {
		var zero T
		return zero, err
	}
	defer r.close()
	return fn(r.eng)
}

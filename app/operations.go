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
// ctx cancels the running actions too. Before anything changes it passes the gate
// (see Gate), unless the gate already passed for these answers and secrets.
func (s *Session) ApplyUntil(ctx context.Context, stop <-chan struct{}, ans *answers.Answers, sec *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	defer s.begin()()
	release, err := s.Lock(ctx, ans, sec, "apply")
	if err != nil {
		return nil, err
	}
	defer release()
	if err := s.gate(ctx, ans, sec, emit); err != nil {
		return nil, err
	}
	skipped, _ := s.skipChecks(ctx)
	return withEngine(ctx, s, ans, sec, true, emit, func(e *engine.Engine) (*engine.Report, error) {
		return e.ApplyWith(ctx, p, only, engine.ApplyOptions{Stop: stop, AllowOutOfOrder: s.opts.OutOfOrder, FollowPlan: s.opts.FollowPlan, SkippedChecks: skipped})
	})
}

// Rollback undoes what runs did, for the steps in only (all when empty), in reverse,
// journaling every undo.
func (s *Session) Rollback(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, only []int, emit func(engine.Event)) (*engine.Report, error) {
	defer s.begin()()
	release, err := s.Lock(ctx, ans, sec, "rollback")
	if err != nil {
		return nil, err
	}
	defer release()
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
	return readJournal(s, ans, (*engine.Journal).Interrupted)
}

// readJournal opens the journal of the answers' cluster, reads it with read and
// closes it; a journal that cannot be opened reads as empty.
func readJournal[T any](s *Session, ans *answers.Answers, read func(*engine.Journal) T) T {
	var zero T
	path, err := s.JournalFile(ans.Cluster.Name)
	if err != nil {
		return zero
	}
	j, err := engine.OpenJournal(path)
	if err != nil {
		return zero
	}
	defer j.Close()
	return read(j)
}

// Undoable returns the steps, in order, whose changes the journal of the answers'
// cluster holds and a rollback would reverse: succeeded actions not undone since.
// A step can have some even while it detects as pending, as after a failed run that
// created the master's certificate and stopped before the install.
func (s *Session) Undoable(ans *answers.Answers) []int {
	return readJournal(s, ans, func(j *engine.Journal) []int {
		var ids []int
		for _, st := range steps.All() {
			if len(j.Applied(st.ID(), "")) > 0 {
				ids = append(ids, st.ID())
			}
		}
		return ids
	})
}

// WriteBundle writes the reviewable scripts of the plan, with a manifest, into dir.
func (s *Session) WriteBundle(p *engine.Plan, dir string) error {
	eng, err := s.planEngine()
	if err != nil {
		return err
	}
	return eng.WriteBundle(p, dir)
}

// PlanDoc is the plan as data, as `plan --output json` writes it.
func (s *Session) PlanDoc(p *engine.Plan) (engine.PlanDoc, error) {
	eng, err := s.planEngine()
	if err != nil {
		return engine.PlanDoc{}, err
	}
	return eng.Doc(p), nil
}

// planEngine is an engine over the session's connection, for what is derived from a
// plan made before.
func (s *Session) planEngine() (*engine.Engine, error) {
	s.mu.Lock()
	c := s.c
	s.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("no plan has been made yet")
	}
	return engine.New(engine.Options{Steps: steps.All(), Env: c.env, Parallel: s.opts.Parallel}), nil
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

// Facts reads the raw facts of every node, as the steps detect them; it changes
// nothing and journals nothing.
func (s *Session) Facts(ctx context.Context, ans *answers.Answers, sec *answers.Secrets) ([]steps.NodeFacts, error) {
	c, err := s.conn(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	env := *c.env
	env.Reads = steps.NewReadCache()
	return steps.ReadFacts(ctx, &env), nil
}

// RedactText removes the secrets of the current connection from text.
func (s *Session) RedactText(text string) string {
	s.mu.Lock()
	c := s.c
	s.mu.Unlock()
	if c == nil {
		return text
	}
	return c.red.Redact(text)
}

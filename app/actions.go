package app

import "context"

// actionsKey carries, in an operation's context, the context its running remote
// actions run with.
type actionsKey struct{}

// WithActions returns ctx carrying actions: the context Apply runs its remote actions
// with. Cancelling ctx then only stops the run after the running actions (nothing new
// starts); cancelling actions cancels the running actions too. The wizard uses it for
// its first and second Ctrl-C.
func WithActions(ctx, actions context.Context) context.Context {
	return context.WithValue(ctx, actionsKey{}, actions)
}

// ActionsContext is the context an operation's running actions run with: the one
// WithActions put in ctx, else ctx with its cancellation removed, so that cancelling
// an operation never cuts a remote action in half.
func ActionsContext(ctx context.Context) context.Context {
	if a, ok := ctx.Value(actionsKey{}).(context.Context); ok {
		return a
	}
	return context.WithoutCancel(ctx)
}

// skippedKey carries, in an apply's context, the failed preflight checks the person
// chose to skip by name in the wizard.
type skippedKey struct{}

// WithSkippedChecks returns ctx carrying the names of failed preflight checks to skip
// for this apply, as --skip-check does for the command line: the gate lets them fail
// and the journal records the run that skipped them.
func WithSkippedChecks(ctx context.Context, names []string) context.Context {
	return context.WithValue(ctx, skippedKey{}, append([]string(nil), names...))
}

// skipChecks are the checks an apply skips: the session's (--skip-check) and the
// ones its context names (the wizard's).
func (s *Session) skipChecks(ctx context.Context) ([]string, error) {
	names := append([]string(nil), s.opts.SkipChecks...)
	if more, ok := ctx.Value(skippedKey{}).([]string); ok {
		names = append(names, more...)
	}
	return skipList(names)
}

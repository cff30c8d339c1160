package steps

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ActionError is an action of a step that failed on a node: what, where, why (Err)
// and what to do next (Fix).
type ActionError struct {
	Step   int
	Host   string
	Action string
	Err    error
	Fix    string
}

func (e *ActionError) Error() string {
	msg := fmt.Sprintf("step %d on %s: %s: %v", e.Step, e.Host, e.Action, e.Err)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

func (e *ActionError) Unwrap() error { return e.Err }

// ErrTimedOut is what a bounded wait for the estate wraps when it gives up.
var ErrTimedOut = errors.New("timed out")

// irreversible wraps ErrIrreversible with the reason an action cannot be undone.
func irreversible(reason string) error {
	return fmt.Errorf("%s: %w", reason, ErrIrreversible)
}

// pollUntil asks ready until it says yes, waiting interval (scaled by env.Wait)
// between attempts, and gives up after timeout worth of attempts. It counts attempts
// rather than reading a clock, so a lab that runs faster than real time waits the
// same number of rounds as a real cluster.
func pollUntil(ctx context.Context, env *Env, timeout, interval time.Duration, what string, ready func() (bool, error)) error {
	attempts := int(timeout/interval) + 1
	for i := 0; i < attempts; i++ {
		ok, err := ready()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if i == attempts-1 {
			break
		}
		if err := env.Wait(ctx, interval); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
	}
	return fmt.Errorf("%s did not happen within %s (%d attempts): %w", what, timeout, attempts, ErrTimedOut)
}

package cli

import (
	"context"
	"errors"
	"fmt"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps"
)

// gate runs the session's gate before a command changes anything: a refusal of the
// input exits 2, a failed preflight check 1; skipped checks are named as a warning.
func (a *app) gate(ctx context.Context, s *openSession) error {
	checks, err := s.Gate(ctx, s.ans, s.sec, nil)
	if err != nil {
		var ie *ssisha.InputError
		if errors.As(err, &ie) {
			return invalidErr(err)
		}
		return failed(s.Redact(err))
	}
	for _, c := range checks {
		if c.Status == steps.CheckFailed {
			fmt.Fprintf(a.errOut, "warning: preflight check %q failed on %s and is skipped as asked: %s\n", c.Name, c.Target, c.Detail)
		}
	}
	return nil
}

package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ssisha/ssisha/ui"
)

// TestAccessibleExitCodes: the wizard's invalid input exits 2 and its declined apply
// exits 3, however the error is wrapped on its way out.
func TestAccessibleExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{&ui.ExitError{Code: ExitInvalid, Err: errors.New("no valid answer")}, ExitInvalid},
		{fmt.Errorf("wizard: %w", &ui.ExitError{Code: ExitAborted, Err: errors.New("declined")}), ExitAborted},
		{errors.New("step 7 failed"), ExitStepFailed},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

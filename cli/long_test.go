package cli

import (
	"os"
	"testing"
)

// longTestsEnv turns on the long end-to-end tests: those whose wall time is a minute
// or more of the lab's scaled operation times rather than work. The README's test
// command leaves them out to stay quick; CI sets it for its race-detector run (see
// .ci/run), so they run on every change.
const longTestsEnv = "SSISHA_LONG_TESTS"

// skipUnlessLong skips a long test unless SSISHA_LONG_TESTS=1, SSISHA_SOAK or full
// asks for it.
func skipUnlessLong(t *testing.T, full bool) {
	t.Helper()
	if full || os.Getenv(longTestsEnv) == "1" || os.Getenv("SSISHA_SOAK") != "" {
		return
	}
	t.Skipf("a long end-to-end test; %s=1 runs it (CI does)", longTestsEnv)
}

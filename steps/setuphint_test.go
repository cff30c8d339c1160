package steps

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
)

// After setup failed, the hint fits the failure: fix what setup named when it ran
// and said so; wait for setup when the connection dropped and it may still run.
func TestSetupFailureHint(t *testing.T) {
	ran := fmt.Errorf("step 2: %w", &remote.ScriptError{Host: "node1", Op: "master.install", ExitCode: 1, Message: "setup failed"})
	if h := setupFailureHint("node1", ran); !strings.Contains(h, "fix the cause setup names") {
		t.Errorf("a script error: hint %q", h)
	}
	dropped := fmt.Errorf("node1: connection reset by peer")
	if h := setupFailureHint("node1", dropped); strings.Contains(h, "fix the cause setup names") || !strings.Contains(h, "may still be running") {
		t.Errorf("a dropped connection: hint %q", h)
	}
}

package cli

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// When the WinRM session cannot query Active Directory (no delegation: the second
// hop), the AD checks say they were not checked and why; none passes.
func TestADChecksThatCannotRunAreNotPasses(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	r.lab.Estate(func(e *estate.Estate) {
		e.ADFromSessionFails = `Exception calling "FindOne" with "0" argument(s): "An operations error occurred."`
	})
	_, out := r.cmd("validate")
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.Contains(line, "Service accounts in Active Directory"):
			if !strings.HasPrefix(line, "Warning") || !strings.Contains(line, "not checked, because") || !strings.Contains(line, "operations error") {
				t.Errorf("the account check does not say it was not checked, and why: %s", line)
			}
		case strings.Contains(line, "masterService.account"):
			if !strings.HasPrefix(line, "warn") || !strings.Contains(line, "not checked, because") {
				t.Errorf("the live account check does not say it was not checked: %s", line)
			}
		case strings.HasPrefix(line, "ok") && strings.Contains(line, "dnsName"):
			t.Errorf("a name is reported free although AD was not searched: %s", line)
		}
	}
	if !strings.Contains(out, "not checked in Active Directory") {
		t.Errorf("the name checks do not say AD was not searched:\n%s", out)
	}
}

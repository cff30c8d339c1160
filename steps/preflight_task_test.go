package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// TestPasswordStorageCheck: the policy that forbids storing passwords fails the
// named check on the master node that has it, says which policy and what it breaks,
// and leaves the other nodes passing; the check runs on every master node, where
// steps 1 and 7 run their one-shot task.
func TestPasswordStorageCheck(t *testing.T) {
	var registered bool
	for _, c := range PreflightChecks() {
		if c.Name == checkNamePasswordStorage {
			registered = registered || c.Scope == EachMaster
		}
	}
	if !registered {
		t.Fatalf("%q is not a preflight check on every master node", checkNamePasswordStorage)
	}
	for _, tc := range []struct {
		name  string
		value string // "" leaves the value absent
		want  CheckStatus
	}{
		{"absent", "", CheckSuccess},
		{"off", "0", CheckSuccess},
		{"on", "1", CheckFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newWinLab(t)
			if tc.value != "" {
				l.node("node2.contoso.com").Registry[estate.DisableDomainCredsKey] = tc.value
			}
			c := checkPasswordStorage(context.Background(), l.env, Target{Host: "node2.contoso.com"})
			if c.Status != tc.want || c.Name != checkNamePasswordStorage {
				t.Fatalf("got %s %q %q, want %s", c.Status, c.Name, c.Detail, tc.want)
			}
			if tc.want == CheckFailed && (!strings.Contains(c.Detail, "Do not allow storage of passwords") || !strings.Contains(c.Detail, "DisableDomainCreds = 1") || !strings.Contains(c.Detail, "steps 1 and 7") || c.Fix == "") {
				t.Errorf("the failure does not explain itself: %q (fix %q)", c.Detail, c.Fix)
			}
			if other := checkPasswordStorage(context.Background(), l.env, Target{Host: "node1.contoso.com"}); other.Status != CheckSuccess {
				t.Errorf("node1, without the policy: %s %q", other.Status, other.Detail)
			}
		})
	}
}

package cli

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/steps/answers"
)

// plan and status exit 1 when a target could not be detected, naming the reason for
// each: a report of an estate half seen is not a success.
func TestPlanAndStatusFailWhenATargetIsNotDetected(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	// With the version given, the commands do not stop at detecting it.
	ans, err := answers.Load(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	ans.SQLVersion = 2019
	if err := answers.Save(r.answers, ans); err != nil {
		t.Fatal(err)
	}
	mustFault(t, r.lab, lab.Fault{Kind: lab.NodeDown, Host: "node2.contoso.com"})
	for _, args := range [][]string{{"plan"}, {"status"}, {"status", "--output", "json"}} {
		code, out := r.cmd(args...)
		if code != ExitStepFailed || !strings.Contains(out, "could not be detected") || !strings.Contains(out, "step 1 on node2.contoso.com: ") {
			t.Errorf("%v with a node down exited %d, want 1 with the reason per target:\n%s", args, code, out)
		}
	}
}

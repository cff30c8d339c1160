package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps"
)

// facts shows, per node, what the steps read, changes nothing, and holds no secret,
// in text and in JSON, before and after apply.
func TestFactsShowsEachNodeWithoutSecrets(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	before := r.estateJSON()
	out := r.must("facts")
	r.assertNoSecretIn(out)
	for _, want := range []string{"node1.contoso.com (master)", "node2.contoso.com (master)", "worker1.contoso.com (worker)", "sqlServer.", "master.", "node."} {
		if !strings.Contains(out, want) {
			t.Errorf("facts does not show %q:\n%s", want, out)
		}
	}
	if d := estateDiff("", before, r.estateJSON()); len(d) > 0 {
		t.Errorf("facts changed the estate: %v", d)
	}
	r.must("apply", "--yes")
	for _, args := range [][]string{{"facts"}, {"facts", "--output", "json"}} {
		out := r.must(args...)
		r.assertNoSecretIn(out)
		if args[len(args)-1] != "json" {
			for _, want := range []string{"settingsFile.lines", "certificates[0].thumbprint", "availabilityGroup.", "master.binding.certificateHash", "worker."} {
				if !strings.Contains(out, want) {
					t.Errorf("facts after apply does not show %q:\n%s", want, out)
				}
			}
			continue
		}
		var nodes []steps.NodeFacts
		if err := json.Unmarshal([]byte(out), &nodes); err != nil || len(nodes) != 3 {
			t.Fatalf("facts --output json: %d nodes, %v:\n%s", len(nodes), err, out)
		}
		for _, n := range nodes {
			if len(n.NotRead) > 0 {
				t.Errorf("%s: sections not read: %v", n.Host, n.NotRead)
			}
		}
	}
}

// A secret a node echoes back (planted here in a settings file) is still kept out.
func TestFactsRedactsASecretANodeEchoes(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 0)
	r.must("apply", "--yes", "--steps", "1-5")
	canary := r.lab.Secrets()["SSISHA_LOGGING_PASSWORD"]
	r.lab.Estate(func(e *estate.Estate) {
		n := e.Nodes["node1.contoso.com"]
		for path, content := range n.Files {
			if strings.HasSuffix(strings.ToLower(path), "mastersettings.config") {
				n.Files[path] = "canary: " + canary + "\n" + content
			}
		}
	})
	for _, args := range [][]string{{"facts"}, {"facts", "--output", "json"}} {
		out := r.must(args...)
		if !strings.Contains(out, "canary: ") {
			t.Fatalf("the planted line is not among the facts:\n%s", out)
		}
		r.assertNoSecretIn(out)
	}
}

// assertNoSecretIn checks that no secret of the lab appears in text.
func (r *labRun) assertNoSecretIn(text string) {
	r.t.Helper()
	for name, v := range r.lab.Secrets() {
		if strings.Contains(text, v) {
			r.t.Errorf("the value of %s appears in the output", name)
		}
	}
}

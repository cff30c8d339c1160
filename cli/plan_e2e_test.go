package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps/engine"
)

// planDoc runs plan --output json and decodes it.
func (r *labRun) planDoc(args ...string) engine.PlanDoc {
	r.t.Helper()
	out := r.must(append([]string{"plan", "--output", "json"}, args...)...)
	var doc engine.PlanDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		r.t.Fatalf("plan --output json is not one JSON object: %v\n%s", err, out)
	}
	return doc
}

// applyJSON runs apply --yes --output json and returns its last line, the plan
// against what the run did.
func (r *labRun) applyJSON(args ...string) planAgainstActual {
	r.t.Helper()
	out := r.must(append([]string{"apply", "--yes", "--output", "json"}, args...)...)
	r.assertNoSecretLeaked(out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var pa planAgainstActual
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &pa); err != nil || pa.Kind != "plan-against-actual" {
		r.t.Fatalf("the last line of apply --output json is not the plan against the run (%v):\n%s", err, lines[len(lines)-1])
	}
	return pa
}

func TestPlanFreshLabE2E(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 2)

	text := r.must("plan")
	for _, bad := range []string{"after earlier steps", "waits for", "blocked"} {
		if strings.Contains(text, bad) {
			t.Errorf("the plan of a fresh estate says %q:\n%s", bad, text)
		}
	}

	doc := r.planDoc()
	if len(doc.Steps) != 9 {
		t.Fatalf("plan --output json lists %d steps, want 9", len(doc.Steps))
	}
	for _, s := range doc.Steps {
		n := 0
		for _, tg := range s.Targets {
			n += len(tg.Actions)
			for _, a := range tg.Actions {
				if a.Symbol == "" || a.Summary == "" || len(a.Scripts) == 0 {
					t.Errorf("step %d on %s: action %s lacks its symbol, summary or scripts", s.ID, tg.Host, a.ID)
				}
			}
		}
		if n == 0 {
			t.Errorf("step %d has no action on a fresh estate", s.ID)
		}
		if !strings.Contains(text, fmt.Sprintf("Step %d ", s.ID)) {
			t.Errorf("the text plan lacks step %d", s.ID)
		}
	}
	if a, b := r.must("plan", "--output", "json"), r.must("plan", "--output", "json"); a != b {
		t.Error("two plans of the same estate, as JSON, differ: a pipeline could not diff them")
	} else if !strings.Contains(a, "<after apply: master certificate thumbprint>") {
		t.Error("plan --output json does not show the placeholders as the text plan does")
	}

	dir := filepath.Join(t.TempDir(), "bundle")
	r.must("plan", "--out", dir)
	var man engine.Manifest
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	perStep := map[int]int{}
	withPlaceholders := 0
	var all strings.Builder
	all.Write(raw)
	for _, f := range man.Files {
		perStep[f.Step]++
		if !strings.Contains(filepath.Base(f.Path), fmt.Sprintf("step%d-", f.Step)) {
			t.Errorf("%s does not carry its step number %d", f.Path, f.Step)
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		if len(f.Placeholders) > 0 {
			withPlaceholders++
			if !strings.Contains(string(b), f.Placeholders[0]) {
				t.Errorf("%s: the manifest names placeholder %s, which the script lacks", f.Path, f.Placeholders[0])
			}
		}
	}
	for id := 1; id <= 9; id++ {
		if perStep[id] == 0 {
			t.Errorf("the bundle holds no script of step %d", id)
		}
	}
	if withPlaceholders == 0 {
		t.Error("no script of the bundle is marked as holding a placeholder, though steps 3-9 depend on values made by apply")
	}
	for name, v := range r.lab.Secrets() {
		if strings.Contains(all.String(), v) {
			t.Errorf("the value of %s appears in the plan bundle", name)
		}
	}

	// The run follows the reviewed bundle: values the plan could only name are no
	// deviation, and it runs exactly the actions the plan listed.
	pa := r.applyJSON("--bundle", dir)
	if pa.Planned != doc.Counts.Actions || pa.Ran != doc.Counts.Actions {
		t.Errorf("the plan listed %d actions; apply planned %d and ran %d", doc.Counts.Actions, pa.Planned, pa.Ran)
	}
	for _, d := range pa.Deviations {
		t.Errorf("the run differed from the plan: %s", d)
	}
	r.assertAllDone("after applying the fresh plan")
}

func TestPlanHalfDoneEstateE2E(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 2)
	full := r.planDoc()
	pa := r.applyJSON("--steps", "1-4")
	planned := 0
	for _, s := range full.Steps[:4] {
		for _, tg := range s.Targets {
			planned += len(tg.Actions)
		}
	}
	if pa.Ran != planned || len(pa.Deviations) > 0 {
		t.Errorf("steps 1-4 ran %d actions with deviations %v; the fresh plan listed %d", pa.Ran, pa.Deviations, planned)
	}

	doc := r.planDoc()
	for _, s := range doc.Steps {
		n := 0
		for _, tg := range s.Targets {
			n += len(tg.Actions)
			if s.ID <= 4 && tg.State != "done" {
				t.Errorf("after steps 1-4, step %d on %s is %s, want done", s.ID, tg.Host, tg.State)
			}
		}
		if s.ID > 4 && n == 0 {
			t.Errorf("after steps 1-4, step %d has no action", s.ID)
		}
	}
	if text := r.must("plan"); strings.Contains(text, "waits for") || strings.Contains(text, "after earlier steps") {
		t.Errorf("the plan of a half-done estate waits on something:\n%s", text)
	}
}

// A real problem (here a replica that allows only Windows logins, which the workers'
// logging needs) blocks the step it concerns, with its reason and fix; the steps after
// it wait for it instead of being predicted.
func TestPlanBlockedIsNotWaitingE2E(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 2)
	r.lab.Estate(func(e *estate.Estate) { e.Nodes["node2.contoso.com"].SQL.MixedMode = false })
	doc := r.planDoc()
	for _, s := range doc.Steps {
		for _, tg := range s.Targets {
			switch {
			case s.ID < 6 && (tg.State == "blocked" || tg.WaitsFor != "" || len(tg.Actions) == 0):
				t.Errorf("step %d on %s is %s (waits for %q); the login mode concerns step 6", s.ID, tg.Host, tg.State, tg.WaitsFor)
			case s.ID == 6 && tg.Host == "node2.contoso.com" && (tg.State != "blocked" || tg.Fix == "" || !strings.Contains(tg.Reason, "Windows authentication")):
				t.Errorf("step 6 on node2 is %s (%s; fix %q), want blocked on the login mode with a fix", tg.State, tg.Reason, tg.Fix)
			case s.ID > 6 && !strings.Contains(tg.WaitsFor, "step 6"):
				t.Errorf("step %d on %s waits for %q, want step 6", s.ID, tg.Host, tg.WaitsFor)
			}
		}
	}
	if doc.Counts.Blocked != 1 {
		t.Errorf("the plan counts %d blocked targets, want 1", doc.Counts.Blocked)
	}
	text := r.must("plan")
	if !strings.Contains(text, "waits for step 6") || !strings.Contains(text, "fix: set Server authentication") {
		t.Errorf("the text plan does not tell the blocked step from the waiting ones:\n%s", text)
	}
}

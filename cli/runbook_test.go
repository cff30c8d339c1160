package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

func TestRunbookOfAFreshLab(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 2)
	path := filepath.Join(r.dir, "change.md")
	r.must("plan", "--runbook", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("runbook mode %04o, want 0600", info.Mode().Perm())
	}
	for _, want := range []string{"## The estate", "## The answers", "## The steps", "## Rollback plan", "## Verification after the change",
		"node1.contoso.com", "node2.contoso.com", "worker1.contoso.com", "worker2.contoso.com", "SSISCL", "AG_SSIS", "ssislsn",
		"ssisha rollback -f " + r.answers, "ssisha verify -f " + r.answers + " --failover", "SSISHA_MASTER_ACCOUNT_PASSWORD"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the runbook does not hold %q", want)
		}
	}
	for name, v := range r.lab.Secrets() {
		if strings.Contains(doc, v) {
			t.Errorf("the value of %s is in the runbook", name)
		}
	}
	// The answers, as the file holds them (without the editor's header).
	ans, err := os.ReadFile(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(ans)), "\n")[1:] {
		if !strings.Contains(doc, "   "+line+"\n") {
			t.Errorf("the runbook's answers lack the line %q", line)
		}
	}

	// All nine steps, each in the rollback plan with every action it can take.
	rollback := doc[strings.Index(doc, "## Rollback plan"):]
	for _, s := range steps.All() {
		if !strings.Contains(doc, fmt.Sprintf("### Step %d: %s\n", s.ID(), s.Title())) {
			t.Errorf("the runbook has no section for step %d %s", s.ID(), s.Title())
		}
		if !strings.Contains(rollback, fmt.Sprintf("- Step %d, %s:", s.ID(), s.Title())) {
			t.Errorf("the rollback plan leaves out step %d", s.ID())
		}
		for _, a := range s.Actions() {
			if !strings.Contains(rollback, a.Info().Summary+": ") {
				t.Errorf("the rollback plan of step %d leaves out %q", s.ID(), a.Info().Summary)
			}
		}
	}

	// Every planned action, with every script on its node as the plan shows it.
	a := newApp(BuildInfo{}, strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return r.env[k] })
	a.secretsFile = r.secrets
	s, _, err := a.openRun(context.Background(), runFlags{file: r.answers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Plan(context.Background(), s.ans, s.sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	actions := 0
	for _, st := range p.Steps {
		for _, tg := range st.Targets {
			for _, act := range tg.Detection.Actions {
				actions++
				if !strings.Contains(doc, act.Summary+" (`"+act.ID+"`)") {
					t.Errorf("step %d on %s: the runbook lacks the action %q", st.ID, tg.Target.Host, act.Summary)
				}
				for _, c := range act.Commands {
					first, _, _ := strings.Cut(c.Display(), "\n")
					if !strings.Contains(doc, "On "+c.Host+" ("+c.Op()+"):") || !strings.Contains(doc, "   "+first+"\n") {
						t.Errorf("step %d: the runbook lacks the script %s on %s", st.ID, c.Op(), c.Host)
					}
				}
			}
		}
	}
	if actions == 0 {
		t.Error("the plan of a fresh lab has no actions")
	}
}

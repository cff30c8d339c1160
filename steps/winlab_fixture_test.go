package steps

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// Canary passwords: any of them showing up in a display, a detection, undo data or an
// error is a leak.
const (
	winCanaryMaster = "Cn4ry-Master!7Q2x"
	winCanaryAdmin  = "Cn4ry-Admin!9Z4w"
	winCanaryPFX    = "Cn4ry-Pfx!3K8v"
)

type winLab struct {
	estate *estate.Estate
	direct *lab.Direct
	env    *Env
}

// newWinLab is the seeded lab estate with answers that match it.
func newWinLab(t *testing.T) *winLab {
	t.Helper()
	e := estate.NewEstate(estate.SeedOptions{Passwords: map[string]string{
		`contoso\svc_ssismaster`: winCanaryMaster,
		`contoso\dba`:            winCanaryAdmin,
	}})
	d := lab.NewDirect(e)
	a := answers.Example()
	a.Cluster.Create = true
	a.SetupMedia = estate.SetupMediaPath
	a.Connection.WinRM.User = `CONTOSO\dba`
	s := &answers.Secrets{
		WinRMPassword:         script.NewSecret("winrm-password", winCanaryAdmin),
		MasterAccountPassword: script.NewSecret("master-account-password", winCanaryMaster),
		PFXPassword:           script.NewSecret("pfx-password", winCanaryPFX),
	}
	env := &Env{
		Answers: a, Secrets: s, Remote: d,
		Redactor:  script.NewRedactor(s.WinRMPassword, s.MasterAccountPassword, s.PFXPassword),
		Version:   Version{2019, 15},
		Now:       func() time.Time { return d.Now },
		WaitScale: 0.00001,
	}
	return &winLab{estate: e, direct: d, env: env}
}

func (l *winLab) targets(s Step) []Target {
	a := l.env.Answers
	switch s.Scope() {
	case EachMaster:
		return []Target{{Host: a.Masters[0].Host, Role: "primary"}, {Host: a.Masters[1].Host, Role: "secondary"}}
	case EachSecondary:
		return []Target{{Host: a.Masters[1].Host, Role: "secondary"}}
	case ClusterOnce:
		return []Target{{Host: a.Masters[0].Host, Role: "cluster"}}
	case EachWorker:
		return []Target{{Host: a.Workers[0].Host, Role: "worker"}}
	}
	return []Target{{Host: a.Masters[0].Host, Role: "primary"}}
}

type winApplied struct {
	target Target
	action string
	undo   Undo
}

// detect runs Detect on one target and checks that it leaks nothing.
func (l *winLab) detect(t *testing.T, s Step, tg Target) Detection {
	t.Helper()
	det, err := s.Detect(context.Background(), l.env, tg)
	if err != nil {
		winNoSecret(t, "detect error", err.Error())
		t.Fatalf("step %d detect on %s: %v", s.ID(), tg.Host, err)
	}
	facts, _ := json.Marshal(det)
	winNoSecret(t, "detection", string(facts))
	for _, a := range det.Actions {
		for _, c := range a.Commands {
			winNoSecret(t, "display of "+c.Op(), c.Display())
		}
	}
	return det
}

// applyTargets applies every action Detect lists, target by target in the given
// order, round-tripping undo data through JSON as the journal does.
func (l *winLab) applyTargets(t *testing.T, s Step, tgs []Target) []winApplied {
	t.Helper()
	var out []winApplied
	for _, tg := range tgs {
		det := l.detect(t, s, tg)
		if det.State == StateBlocked {
			t.Fatalf("step %d on %s blocked: %s (%s)", s.ID(), tg.Host, det.Reason, det.Fix)
		}
		for _, a := range det.Actions {
			u, err := applyAction(s, context.Background(), l.env, tg, a)
			if err != nil {
				winNoSecret(t, "apply error", err.Error())
				t.Fatalf("step %d apply %s on %s: %v", s.ID(), a.ID, tg.Host, err)
			}
			out = append(out, winApplied{target: tg, action: a.ID, undo: winRoundTrip(t, u)})
		}
	}
	return out
}

func (l *winLab) undoAll(t *testing.T, s Step, applied []winApplied) {
	t.Helper()
	for i := len(applied) - 1; i >= 0; i-- {
		ap := applied[i]
		if err := undoAction(s, context.Background(), l.env, ap.target, ap.action, ap.undo); err != nil {
			t.Fatalf("step %d undo %s on %s: %v", s.ID(), ap.action, ap.target.Host, err)
		}
	}
}

func (l *winLab) expectDone(t *testing.T, s Step) {
	t.Helper()
	for _, tg := range l.targets(s) {
		det := l.detect(t, s, tg)
		if det.State != StateDone || len(det.Actions) != 0 {
			t.Fatalf("step %d on %s after apply: %s with %s (%s)", s.ID(), tg.Host, det.State, winActionIDs(det.Actions), det.Reason)
		}
	}
}

// expectVerified wants every check Success, except the ones named in allowWarning.
func (l *winLab) expectVerified(t *testing.T, s Step, allowWarning ...string) {
	t.Helper()
	for _, tg := range l.targets(s) {
		checks, err := s.Verify(context.Background(), l.env, tg)
		if err != nil {
			t.Fatalf("step %d verify on %s: %v", s.ID(), tg.Host, err)
		}
		if len(checks) == 0 {
			t.Fatalf("step %d verify on %s returned no checks", s.ID(), tg.Host)
		}
		for _, c := range checks {
			if c.Status == CheckSuccess || (c.Status == CheckWarning && winContains(allowWarning, c.Name)) {
				continue
			}
			t.Errorf("step %d verify on %s: %s is %s: %s (%s)", s.ID(), tg.Host, c.Name, c.Status, c.Detail, c.Fix)
		}
	}
}

func winContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func winRoundTrip(t *testing.T, u Undo) Undo {
	t.Helper()
	raw, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	winNoSecret(t, "undo data", string(raw))
	var back Undo
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

var winVolatile = regexp.MustCompile(`"seq":\s*\d+`)

// snapshot is the estate as JSON without what setup and Windows leave behind on
// purpose: setup's log, the restart a feature removal asks for, the ID sequence.
func (l *winLab) snapshot(t *testing.T) string {
	t.Helper()
	raw, err := json.Marshal(l.estate)
	if err != nil {
		t.Fatal(err)
	}
	var e estate.Estate
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Nodes {
		n.PendingReboot = false
		for p := range n.Files {
			if strings.Contains(p, `Setup Bootstrap\Log`) {
				delete(n.Files, p)
			}
		}
	}
	out, _ := json.MarshalIndent(&e, "", " ")
	return winVolatile.ReplaceAllString(string(out), `"seq":0`)
}

func winNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, c := range []string{winCanaryMaster, winCanaryAdmin, winCanaryPFX} {
		if strings.Contains(text, c) {
			t.Errorf("%s contains a secret: %s", what, text)
		}
	}
}

func winActionIDs(as []Action) string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return strings.Join(ids, ",")
}

func (l *winLab) node(host string) *estate.Node { return l.estate.Node(host) }

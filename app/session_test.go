package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// openLab starts a lab of 2 masters and 1 worker in this process and opens a session
// on it, with the journal in a temporary directory.
func openLab(t *testing.T, o Options) (*Session, *answers.Answers, *answers.Secrets) {
	t.Helper()
	l, err := lab.Start(lab.Options{Seed: estate.SeedOptions{Masters: 2, Workers: 1, SQLVersion: 2019}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	ans := labsetup.Answers(l.Endpoints(), false)
	sec, err := labsetup.Secrets(l, 0)
	if err != nil {
		t.Fatal(err)
	}
	o.JournalPath = filepath.Join(t.TempDir(), "journal.jsonl")
	s, err := Open(context.Background(), ans, sec, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, ans, sec
}

// TestPreflightRunsInTheEngine checks that preflight reports every check it returns
// as an event, one per check and target of its scope, and journals nothing: it only
// reads.
func TestPreflightRunsInTheEngine(t *testing.T) {
	s, ans, sec := openLab(t, Options{Parallel: 1})
	var (
		mu     sync.Mutex
		events []string
	)
	checks, err := s.PreflightChecks(context.Background(), ans, sec, func(e engine.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == engine.CheckFinished {
			events = append(events, e.Target+" "+e.Check.Name+" "+e.Check.Status)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, pc := range steps.PreflightChecks() {
		want += len(engine.Targets(ans, pc.Scope))
	}
	if len(checks) != want {
		t.Errorf("%d checks, want one per check and target: %d", len(checks), want)
	}
	var got []string
	for _, c := range checks {
		got = append(got, c.Target+" "+c.Name+" "+string(c.Status))
	}
	slices.Sort(got)
	slices.Sort(events)
	if !slices.Equal(got, events) {
		t.Errorf("events differ from the checks returned:\nevents %q\nchecks %q", events, got)
	}
	if _, err := os.Stat(s.opts.JournalPath); err == nil {
		t.Errorf("preflight wrote a journal; it only reads")
	}
}

// TestSessionFollowsTheAnswers checks that a session opened without answers (the
// wizard's) connects on first use, and that a field check tells a host that resolves
// from one that does not.
func TestSessionFollowsTheAnswers(t *testing.T) {
	_, ans, sec := openLab(t, Options{})
	s, err := Open(context.Background(), nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fc := s.CheckField(context.Background(), ans, sec, "masters", strings.Join(ans.MasterHosts(), ",")); !fc.OK {
		t.Errorf("the lab's masters do not check out: %+v", fc)
	}
	if fc := s.CheckField(context.Background(), ans, sec, "masters[0].host", "nosuchnode.contoso.com"); fc.OK {
		t.Errorf("a host DNS does not know checks out: %+v", fc)
	}
	// As the wizard asks: the answers already hold the typo being checked.
	typo := *ans
	typo.Masters = append([]answers.Master(nil), ans.Masters...)
	typo.Masters[1].Host += "x"
	fc := s.CheckField(context.Background(), &typo, sec, "masters", strings.Join(typo.MasterHosts(), ", "))
	if want := typo.Masters[1].Host + " does not resolve"; fc.OK || !strings.Contains(fc.Message, want) || strings.Contains(fc.Message, "127.") {
		t.Errorf("a typo in the second master: %+v, want %q and no loopback address", fc, want)
	}
	if n := strings.Count(fc.Message, typo.Masters[1].Host); n != 1 {
		t.Errorf("the message names %s %d times, want once: %q", typo.Masters[1].Host, n, fc.Message)
	}
}

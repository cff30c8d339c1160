package app

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps/engine"
)

// A failed preflight check the wizard's user skipped by name reaches the gate through
// the apply's context, as --skip-check does through the options: the apply goes on,
// and the journal records that the run skipped it.
func TestWizardSkipReachesTheGateAndTheJournal(t *testing.T) {
	l, err := lab.Start(lab.Options{Seed: estate.SeedOptions{Masters: 2, Workers: 1, SQLVersion: 2019}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	l.Estate(func(e *estate.Estate) {
		for host, n := range e.Nodes {
			if strings.HasPrefix(host, "worker") {
				n.PendingReboot = true
			}
		}
	})
	ans := labsetup.Answers(l.Endpoints(), false)
	sec, err := labsetup.Secrets(l, 0)
	if err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	s, err := Open(context.Background(), ans, sec, Options{JournalPath: journal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx := context.Background()
	p, err := s.Plan(ctx, ans, sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pe *PreflightError
	if _, err := s.Apply(ctx, ans, sec, p, []int{1}, nil); !errors.As(err, &pe) {
		t.Fatalf("apply with a failed check and nothing skipped: err = %v, want a PreflightError", err)
	}
	if _, err := s.Apply(WithSkippedChecks(ctx, []string{"No restart pending"}), ans, sec, p, []int{1}, nil); err != nil {
		t.Fatalf("apply with the failed check skipped by name: %v", err)
	}
	j, err := engine.OpenJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	recs, err := j.Records()
	if err != nil {
		t.Fatal(err)
	}
	var starts []engine.Record
	for _, r := range recs {
		if r.Kind == engine.KindRunStart {
			starts = append(starts, r)
		}
	}
	if len(starts) != 1 || !reflect.DeepEqual(starts[0].SkippedChecks, []string{"No restart pending"}) {
		t.Errorf("the journal's run starts do not record the skipped check: %+v", starts)
	}
}

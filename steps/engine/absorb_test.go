package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

// importStep is a fake step with one action that copies an item onto several nodes
// (a worker certificate onto each master): Detect lists the nodes still missing it
// in the action's hint, and the run adds it on those. A run killed part-way leaves it
// on some of them.
type importStep struct {
	mu    sync.Mutex
	nodes []string
	held  map[string]bool
	// absorb gives the action its Absorb hook.
	absorb bool
	// unreadable, when set and true, fails Detect (what the step reads is not made yet).
	unreadable func() bool
}

// importUndo is the fake's undo data: the nodes the item was added on.
type importUndo struct {
	AddedOn []string `json:"addedOn"`
}

func (s *importStep) ID() int            { return 9 }
func (s *importStep) Title() string      { return "Fake imports" }
func (s *importStep) Scope() steps.Scope { return steps.Primary }

func (s *importStep) missing() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.nodes {
		if !s.held[n] {
			out = append(out, n)
		}
	}
	return out
}

func (s *importStep) holders() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, n := range s.nodes {
		if s.held[n] {
			out = append(out, n)
		}
	}
	return out
}

func (s *importStep) set(node string, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[node] = v
}

func (s *importStep) action() *steps.ActionDef[importUndo] {
	d := &steps.ActionDef[importUndo]{ActionInfo: steps.ActionInfo{ID: "import", Kind: steps.KindCreate},
		Run: func(_ context.Context, _ *steps.Env, _ steps.Target, _ steps.Action, hint importUndo) (*importUndo, error) {
			for _, n := range hint.AddedOn {
				s.set(n, true)
			}
			return &hint, nil
		},
		Reverse: func(_ context.Context, _ *steps.Env, _ steps.Target, u importUndo) error {
			for _, n := range u.AddedOn {
				s.set(n, false) // absent already: nothing changes
			}
			return nil
		}}
	if s.absorb {
		d.Absorb = func(interrupted, result importUndo) importUndo {
			for _, n := range interrupted.AddedOn {
				if !slices.Contains(result.AddedOn, n) {
					result.AddedOn = append(result.AddedOn, n)
				}
			}
			return result
		}
	}
	return d
}

func (s *importStep) Detect(_ context.Context, _ *steps.Env, _ steps.Target) (steps.Detection, error) {
	if s.unreadable != nil && s.unreadable() {
		return steps.Detection{}, errors.New("the catalog is not there yet")
	}
	miss := s.missing()
	if len(miss) == 0 {
		return steps.Detection{State: steps.StateDone}, nil
	}
	a := s.action().New(fmt.Sprintf("import on %v", miss), nil, &importUndo{AddedOn: miss})
	return steps.Detection{State: steps.StatePending, Actions: []steps.Action{a}}, nil
}

func (s *importStep) Actions() []steps.ActionType { return []steps.ActionType{s.action()} }

func (s *importStep) Verify(context.Context, *steps.Env, steps.Target) ([]steps.Check, error) {
	return []steps.Check{{Name: "imported", Status: steps.CheckSuccess}}, nil
}

// An import killed after reaching node B of {A, B} runs again on A only; rollback
// must still remove what the interrupted run added on B.
func TestRerunKeepsWhatTheInterruptedRunMade(t *testing.T) {
	for _, parallel := range []int{1, 0} {
		t.Run(fmt.Sprintf("parallel=%d", parallel), func(t *testing.T) {
			w := newWorld(t, 1)
			s := &importStep{nodes: []string{"A", "B"}, held: map[string]bool{"B": true}, absorb: true}
			host := w.answers.Masters[0].Host
			killed := Record{RunID: "20250301T110000Z-dead", Kind: KindIntent, Step: 9, Target: host, Action: "import",
				Summary: "import on [A B]", Undo: []byte(`{"addedOn":["A","B"]}`)}
			if err := w.journal.write(killed); err != nil {
				t.Fatal(err)
			}
			e := w.engine(parallel, s)
			if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
				t.Fatalf("Apply after the kill: %v", err)
			}
			if got := resumedResult(t, w, killed); got.Resolution != ResolvedAgain {
				t.Fatalf("the interrupted import resolved %q, want %q", got.Resolution, ResolvedAgain)
			}
			applied := w.journal.Applied(9, host)
			if len(applied) != 1 {
				t.Fatalf("Applied lists %d results, want the re-run's", len(applied))
			}
			var got importUndo
			if err := json.Unmarshal(applied[0].Undo, &got); err != nil {
				t.Fatal(err)
			}
			if slices.Sort(got.AddedOn); !slices.Equal(got.AddedOn, []string{"A", "B"}) {
				t.Errorf("the re-run recorded AddedOn %v, want what the interrupted run may have made too: [A B]", got.AddedOn)
			}
			// Its intent carries both too, for a resume after this run dies as well.
			recs, _ := w.journal.Records()
			for _, r := range recs {
				if r.Kind == KindIntent && r.RunID != killed.RunID && r.Action == "import" && string(r.Undo) != `{"addedOn":["A","B"]}` {
					t.Errorf("the re-run's intent carries %s, want both nodes", r.Undo)
				}
			}
			if _, err := e.Rollback(testCtx(t), nil); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			if left := s.holders(); len(left) != 0 {
				t.Errorf("after rollback the item stays on %v", left)
			}
		})
	}
}

// Without the hook the re-run's record stands alone, as it always did.
func TestRerunWithoutAbsorbRecordsItsOwn(t *testing.T) {
	w := newWorld(t, 1)
	s := &importStep{nodes: []string{"A", "B"}, held: map[string]bool{"B": true}}
	host := w.answers.Masters[0].Host
	if err := w.journal.write(Record{RunID: "20250301T110000Z-dead", Kind: KindIntent, Step: 9, Target: host, Action: "import",
		Undo: []byte(`{"addedOn":["A","B"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.engine(1, s).Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply after the kill: %v", err)
	}
	applied := w.journal.Applied(9, host)
	if len(applied) != 1 || string(applied[0].Undo) != `{"addedOn":["A"]}` {
		t.Errorf("Applied %+v, want the re-run's own record", applied)
	}
}

func TestCarryoverLastsUntilTheActionRunsAgain(t *testing.T) {
	intent := Record{RunID: "r0", Kind: KindIntent, Step: 9, Target: "Node1", Action: "import", Undo: []byte(`{"addedOn":["A","B"]}`)}
	again := Record{RunID: "r1", Ref: "r0", Kind: KindResult, Step: 9, Target: "node1", Action: "import", Status: StatusInterrupted,
		Resolution: ResolvedAgain}
	rerun := Record{RunID: "r2", Kind: KindIntent, Step: 9, Target: "node1", Action: "import", Undo: intent.Undo}
	for _, tc := range []struct {
		name string
		recs []Record
		want string
	}{
		{"interrupted, not resumed yet", []Record{intent}, ""},
		{"resumed as running again", []Record{intent, again}, `{"addedOn":["A","B"]}`},
		{"the run that resumed it died before running it", []Record{intent, again, {RunID: "r1", Kind: KindRunEnd}}, `{"addedOn":["A","B"]}`},
		{"ran again since", []Record{intent, again, rerun}, ""},
		{"its target could not be detected", []Record{intent, {RunID: "r1", Ref: "r0", Kind: KindResult, Step: 9, Target: "node1", Action: "import",
			Status: StatusInterrupted, Resolution: ResolvedUnknown}}, `{"addedOn":["A","B"]}`},
		{"found done", []Record{intent, {RunID: "r1", Ref: "r0", Kind: KindResult, Step: 9, Target: "node1", Action: "import",
			Status: StatusSucceeded, Resolution: ResolvedDone, Undo: intent.Undo}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c carryover
			c.load(tc.recs)
			if got := string(c.hint(9, "NODE1", "import")); got != tc.want {
				t.Errorf("carried %q, want %q", got, tc.want)
			}
		})
	}
}

// A target the run's first look can only predict (what it reads is made by an earlier
// step) is resumed, in a run without barriers, once it is detected: the interrupted
// import is answered, runs again, and its record keeps the interrupted hint.
func TestRerunOfAPredictedTargetKeepsTheHint(t *testing.T) {
	w := newWorld(t, 1)
	host := w.answers.Masters[0].Host
	first := newFakeStep(1, steps.Primary, w.tr, "a")
	s := &importStep{nodes: []string{"A", "B"}, held: map[string]bool{"B": true}, absorb: true,
		unreadable: func() bool { return !first.isApplied(host, "a") }}
	killed := Record{RunID: "20250301T110000Z-dead", Kind: KindIntent, Step: 9, Target: host, Action: "import",
		Undo: []byte(`{"addedOn":["A","B"]}`)}
	if err := w.journal.write(killed); err != nil {
		t.Fatal(err)
	}
	e := w.engine(0, first, s)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply after the kill: %v", err)
	}
	if got := resumedResult(t, w, killed); got.Resolution != ResolvedAgain {
		t.Fatalf("the interrupted import resolved %q, want %q", got.Resolution, ResolvedAgain)
	}
	applied := w.journal.Applied(9, host)
	if len(applied) != 1 || string(applied[0].Undo) != `{"addedOn":["A","B"]}` {
		t.Fatalf("Applied %+v, want the re-run's record joined with the interrupted hint", applied)
	}
	if _, err := e.Rollback(testCtx(t), nil); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if left := s.holders(); len(left) != 0 {
		t.Errorf("after rollback the item stays on %v", left)
	}
}

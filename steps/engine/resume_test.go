package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

// hintStep is a fake step whose Detect gives the actions in hinted an undo hint: the
// same old value the fake's Apply returns, plus a careless secret that the journal must
// redact.
type hintStep struct {
	*fakeStep
	hinted map[string]bool
}

func (h hintStep) Detect(ctx context.Context, env *steps.Env, t steps.Target) (steps.Detection, error) {
	d, err := h.fakeStep.Detect(ctx, env, t)
	for i, a := range d.Actions {
		if h.hinted[a.ID] {
			d.Actions[i].UndoHint, _ = json.Marshal(fakeUndo{Old: "before-" + a.ID, Leak: h.secret.Reveal()})
		}
	}
	return d, err
}

// killAfterLastIntent leaves the journal as a process killed between the last intent
// and its result leaves it: the node made the change, the journal shows only the
// intent. It returns that intent as the journal holds it.
func killAfterLastIntent(t *testing.T, w *world) Record {
	t.Helper()
	path := w.journal.Path()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	cut := -1
	var intent Record
	for i, l := range lines {
		var rec Record
		if json.Unmarshal(l, &rec) == nil && rec.Kind == KindIntent {
			cut, intent = i+1, rec
		}
	}
	if cut < 0 {
		t.Fatal("the run journaled no intent")
	}
	if err := os.WriteFile(path, bytes.Join(lines[:cut], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	return intent
}

// resumedResult is the result the resuming run wrote for the interrupted intent.
func resumedResult(t *testing.T, w *world, intent Record) Record {
	t.Helper()
	recs, err := w.journal.Records()
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, r := range recs {
		if r.Kind == KindResult && r.Ref == intent.RunID && r.origin() == intent.origin() {
			out = append(out, r)
		}
	}
	if len(out) != 1 {
		t.Fatalf("the interrupted intent has %d results from a later run, want 1: %+v", len(out), out)
	}
	return out[0]
}

func undoneActions(tr *trace) []string {
	var out []string
	for _, l := range tr.all() {
		if strings.HasPrefix(l, "undo ") {
			out = append(out, l)
		}
	}
	return out
}

func TestResumeFoundDoneUndoesFromTheHint(t *testing.T) {
	w := newWorld(t, 1)
	s := hintStep{newFakeStep(1, steps.Primary, w.tr, "a", "b"), map[string]bool{"a": true, "b": true}}
	s.secret = w.secret()
	e := w.engine(0, s)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	intent := killAfterLastIntent(t, w)
	if intent.Action != "b" || undoData(intent.Undo)["old"] != "before-b" {
		t.Fatalf("the intent of b carries undo %v, want the action's hint", intent.Undo)
	}
	raw, _ := os.ReadFile(w.journal.Path())
	mustNotContain(t, "the journal with a hint", string(raw))

	// The node made the change, so the next run finds b done and must not run it again.
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply after the kill: %v", err)
	}
	if got := e.Interrupted(); len(got) != 0 {
		t.Errorf("after the resume, still interrupted: %v", got)
	}
	var notice string
	for _, ev := range w.events.kinds(Notice) {
		notice = ev.Message
	}
	if !strings.Contains(notice, "re-detected: done; it will not run again; rollback will undo it") {
		t.Errorf("resume notice %q does not say rollback will undo it", notice)
	}
	res := resumedResult(t, w, intent)
	if res.Status != StatusSucceeded || res.Resolution != ResolvedDone || undoData(res.Undo)["old"] != "before-b" || res.Summary != intent.Summary || res.Note == "" {
		t.Errorf("resumed result %+v, want succeeded, found done, with the intent's hint, summary and a note", res)
	}
	if got := w.journal.Applied(1, "node1.contoso.com"); len(got) != 2 {
		t.Errorf("Applied lists %d actions, want a and the resumed b", len(got))
	}

	rep, err := e.Rollback(testCtx(t), nil)
	if err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if got, want := undoneActions(w.tr), []string{"undo s1 node1.contoso.com b", "undo s1 node1.contoso.com a"}; !slices.Equal(got, want) {
		t.Errorf("undone %v, want %v", got, want)
	}
	if s.isApplied("node1.contoso.com", "b") {
		t.Errorf("b is still applied on the node after rollback")
	}
	if st := statusOf(rep, 1, "node1.contoso.com"); st != StatusUndone {
		t.Errorf("rollback of node1: %s, want undone", st)
	}
	// The undo answers the run that started b, so b is no longer applied.
	if got := w.journal.Applied(1, "node1.contoso.com"); len(got) != 0 {
		t.Errorf("after rollback still applied: %+v", got)
	}
}

func TestResumeFoundDoneWithoutHintIsReportedByRollback(t *testing.T) {
	w := newWorld(t, 1)
	s := hintStep{newFakeStep(1, steps.Primary, w.tr, "a", "b"), map[string]bool{"a": true}}
	e := w.engine(0, s)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	intent := killAfterLastIntent(t, w)
	if len(intent.Undo) != 0 {
		t.Fatalf("the intent of b carries undo %v though b has no hint", intent.Undo)
	}
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply after the kill: %v", err)
	}
	res := resumedResult(t, w, intent)
	if res.Status != StatusInterrupted || res.Resolution != ResolvedDone || len(res.Undo) != 0 {
		t.Errorf("resumed result %+v, want interrupted, found done, without undo data", res)
	}

	rep, err := e.Rollback(testCtx(t), nil)
	// b stays on the node: the rollback fails, naming it, rather than report it undone.
	if err == nil || !strings.Contains(err.Error(), "not undone") {
		t.Errorf("Rollback: %v, want an error saying b is not undone", err)
	}
	if st := statusOf(rep, 1, "node1.contoso.com"); st != StatusFailed {
		t.Errorf("node1: %s, want failed (b is still there)", st)
	}
	if got, want := undoneActions(w.tr), []string{"undo s1 node1.contoso.com a"}; !slices.Equal(got, want) {
		t.Errorf("undone %v, want only a (b's change was never recorded)", got)
	}
	var b *ActionResult
	for _, r := range rep.Results {
		for i, a := range r.Actions {
			if r.Target == "node1.contoso.com" && a.ID == "b" {
				b = &r.Actions[i]
			}
		}
	}
	switch {
	case b == nil:
		t.Fatalf("rollback does not report b: %+v", rep.Results)
	case b.Status != StatusSkipped || !strings.Contains(b.Err, "interrupted and found done; what it changed was not recorded: check") || !strings.Contains(b.Err, "by hand"):
		t.Errorf("b: %s %q, want skipped, saying it was found done unrecorded and must be checked by hand", b.Status, b.Err)
	}
	if !strings.Contains(w.text.String(), "interrupted and found done") {
		t.Errorf("the rollback output does not tell the DBA about b:\n%s", w.text.String())
	}
	// Reported, not applied: it does not hold back undoing the steps below it.
	if got := w.journal.Applied(1, "node1.contoso.com"); len(got) != 0 {
		t.Errorf("after rollback still applied: %+v", got)
	}
}

func TestResumeBlockedRedetectionDoesNotClaimDone(t *testing.T) {
	w := newWorld(t, 1)
	s := hintStep{newFakeStep(1, steps.Primary, w.tr, "a"), map[string]bool{"a": true}}
	e := w.engine(0, s)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	intent := killAfterLastIntent(t, w)
	s.blocked = map[string]bool{"node1.contoso.com": true}
	_, _ = e.Apply(testCtx(t), nil, nil)
	res := resumedResult(t, w, intent)
	if res.Status != StatusInterrupted || res.Resolution != ResolvedUnknown || len(res.Undo) != 0 {
		t.Errorf("resumed result %+v, want interrupted and unknown: a blocked detection says nothing of the action", res)
	}
}

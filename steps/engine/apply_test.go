package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

func tg(host, role string) steps.Target { return steps.Target{Host: host, Role: role} }

func TestTargets(t *testing.T) {
	a := &answers.Answers{
		Masters: []answers.Master{{Host: "n1"}, {Host: "n2"}, {Host: "n3"}},
		Workers: []answers.Worker{{Host: "w1"}, {Host: "w2"}},
	}
	tests := []struct {
		scope steps.Scope
		want  []steps.Target
	}{
		{steps.EachMaster, []steps.Target{tg("n1", "primary"), tg("n2", "secondary"), tg("n3", "secondary")}},
		{steps.Primary, []steps.Target{tg("n1", "primary")}},
		{steps.EachSecondary, []steps.Target{tg("n2", "secondary"), tg("n3", "secondary")}},
		{steps.ClusterOnce, []steps.Target{tg("n1", "cluster")}},
		{steps.EachWorker, []steps.Target{tg("w1", "worker"), tg("w2", "worker")}},
		{steps.Scope(99), nil},
	}
	for _, tt := range tests {
		t.Run(tt.scope.String(), func(t *testing.T) {
			if got := Targets(a, tt.scope); !slices.Equal(got, tt.want) {
				t.Errorf("Targets(%v) = %v, want %v", tt.scope, got, tt.want)
			}
		})
	}
	if got := Targets(&answers.Answers{}, steps.ClusterOnce); got != nil {
		t.Errorf("no masters: got %v, want none", got)
	}
}

func TestApplyRunsTargetsInParallelWithBarriers(t *testing.T) {
	w := newWorld(t, 4)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s1.gate = newGate(4) // all four must be inside at once, or the test times out
	s2 := newFakeStep(2, steps.EachMaster, w.tr, "a")
	rep, err := w.engine(0, s1, s2).Apply(testCtx(t), nil, nil)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, m := s1.gate.stats(); m != 4 {
		t.Errorf("step 1 ran %d targets at once, want 4", m)
	}
	lines := w.tr.all()
	lastEnd1 := slices.Max(indexOf(lines, "end s1 "))
	firstStart2 := slices.Min(indexOf(lines, "start s2 "))
	if firstStart2 < lastEnd1 {
		t.Errorf("step 2 started before step 1 finished on every node: %v", lines)
	}
	if rep.Status != StatusSucceeded || len(rep.Results) != 8 {
		t.Errorf("report: status %s, %d results; want succeeded, 8", rep.Status, len(rep.Results))
	}
}

func TestApplyRespectsParallelBound(t *testing.T) {
	w := newWorld(t, 4)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	g := newGate(0)
	g.release = make(chan struct{})
	s1.gate = g
	e := w.engine(2, s1)
	done := make(chan error, 1)
	go func() {
		_, err := e.Apply(testCtx(t), nil, nil)
		done <- err
	}()
	g.waitEntered(2)
	// Give a broken bound the chance to let a third target in; correct code never does.
	time.Sleep(20 * time.Millisecond)
	if cur, _ := g.stats(); cur != 2 {
		t.Errorf("%d targets inside at once with Parallel 2", cur)
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, m := g.stats(); m > 2 {
		t.Errorf("max %d targets at once with Parallel 2", m)
	}
	if g.entered != 4 {
		t.Errorf("%d targets ran, want 4", g.entered)
	}
}

func TestApplyFailureStopsNextStepAndReportsPerNode(t *testing.T) {
	tests := []struct {
		name      string
		parallel  int
		wantStep2 map[string]Status
	}{
		{"all in parallel: running targets finish", 0, map[string]Status{
			"node1.contoso.com": StatusSucceeded, "node2.contoso.com": StatusFailed, "node3.contoso.com": StatusSucceeded}},
		{"one at a time: later targets never start", 1, map[string]Status{
			"node1.contoso.com": StatusSucceeded, "node2.contoso.com": StatusFailed, "node3.contoso.com": StatusCancelled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 3)
			s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
			s2 := newFakeStep(2, steps.EachMaster, w.tr, "a", "b")
			s2.secret = w.secret()
			s2.failOn = map[string]bool{"node2.contoso.com": true}
			if tt.parallel == 0 {
				// The three targets are inside step 2 when node2 fails, however
				// busy the machine: what the case is about.
				s2.actGate = map[string]*gate{"a": newGate(3)}
			}
			s3 := newFakeStep(3, steps.ClusterOnce, w.tr, "a")
			rep, err := w.engine(tt.parallel, s1, s2, s3).Apply(testCtx(t), nil, nil)
			var te *TargetError
			if !errors.As(err, &te) {
				t.Fatalf("Apply error %v is not a *TargetError", err)
			}
			if te.Step != 2 || te.Target != "node2.contoso.com" || te.Fix == "" {
				t.Errorf("TargetError = step %d on %s, fix %q; want step 2 on node2 with a fix", te.Step, te.Target, te.Fix)
			}
			for _, want := range []string{"step 2", "node2.contoso.com", "login failed"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			mustNotContain(t, "the error", err.Error())
			if rep.Status != StatusFailed {
				t.Errorf("report status %s, want failed", rep.Status)
			}
			for host, want := range tt.wantStep2 {
				if got := statusOf(rep, 2, host); got != want {
					t.Errorf("step 2 on %s: %s, want %s", host, got, want)
				}
			}
			if got := statusOf(rep, 3, "node1.contoso.com"); got != StatusCancelled {
				t.Errorf("step 3: %s, want cancelled (never started)", got)
			}
			if n := len(indexOf(w.tr.all(), "start s3 ")); n != 0 {
				t.Errorf("step 3 ran %d times after step 2 failed", n)
			}
			if md := rep.Markdown(); !strings.Contains(md, "node2.contoso.com | failed") {
				t.Errorf("markdown report lacks the failed node:\n%s", md)
			}
		})
	}
}

func TestApplyBlockedTargetFailsStepWithReasonAndFix(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s1.blocked = map[string]bool{"node2.contoso.com": true}
	rep, err := w.engine(0, s1).Apply(testCtx(t), nil, nil)
	var te *TargetError
	if !errors.As(err, &te) || te.Fix != "make it ready" {
		t.Fatalf("Apply error %v: want a *TargetError with the step's fix", err)
	}
	if got := statusOf(rep, 1, "node2.contoso.com"); got != StatusBlocked {
		t.Errorf("blocked node: %s, want blocked", got)
	}
}

func TestApplyVerifyFailureFailsTarget(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s1.verifyFails = map[string]bool{"node1.contoso.com": true}
	rep, err := w.engine(0, s1).Apply(testCtx(t), nil, nil)
	var te *TargetError
	if !errors.As(err, &te) || te.Target != "node1.contoso.com" || te.Fix != "look at the node" {
		t.Fatalf("Apply error %v: want a *TargetError on node1 with the check's fix", err)
	}
	if got := statusOf(rep, 1, "node2.contoso.com"); got != StatusSucceeded {
		t.Errorf("node2: %s, want succeeded", got)
	}
}

func TestSecondApplyChangesNothing(t *testing.T) {
	w := newWorld(t, 3)
	ss := []steps.Step{newFakeStep(1, steps.EachMaster, w.tr, "a", "b"), newFakeStep(2, steps.Primary, w.tr, "a")}
	e := w.engine(0, ss...)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("first Apply: %v", err)
	}
	calls := len(w.remote.Calls())
	rep, err := e.Apply(testCtx(t), nil, nil)
	if err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if n := len(w.remote.Calls()); n != calls {
		t.Errorf("second apply made %d remote calls", n-calls)
	}
	for _, r := range rep.Results {
		if r.Status != StatusSkipped || r.Note != "already done" {
			t.Errorf("step %d on %s: %s (%s), want skipped, already done", r.Step, r.Target, r.Status, r.Note)
		}
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a", "b")
	e := w.engine(0, s1)
	p, err := e.Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Someone changes node2 by hand between plan and apply.
	s1.setApplied("node2.contoso.com", "b", true)
	_, err = e.Apply(testCtx(t), p, nil)
	if !errors.Is(err, ErrStalePlan) {
		t.Fatalf("Apply error %v, want ErrStalePlan", err)
	}
	var se *StalePlanError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *StalePlanError", err)
	}
	msg := strings.Join(se.Changes, "\n")
	if !strings.Contains(msg, "step 1 on node2.contoso.com") || !strings.Contains(msg, "facts changed: [b]") {
		t.Errorf("changes %q do not name step 1 on node2 and fact b", msg)
	}
	if strings.Contains(msg, "node1") {
		t.Errorf("changes %q name node1, which did not change", msg)
	}
	if n := len(w.remote.Calls()); n != 0 {
		t.Errorf("a stale plan made %d remote calls", n)
	}
	// A fresh plan is accepted.
	p, _ = e.Plan(testCtx(t), nil)
	if _, err := e.Apply(testCtx(t), p, nil); err != nil {
		t.Errorf("Apply of a fresh plan: %v", err)
	}
}

func TestRerunRefusedWhilePredecessorNotDone(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s2 := newFakeStep(2, steps.EachMaster, w.tr, "a")
	s3 := newFakeStep(3, steps.Primary, w.tr, "a")
	_, err := w.engine(0, s1, s2, s3).Apply(testCtx(t), nil, []int{2})
	var oe *OutOfOrderError
	if !errors.As(err, &oe) || !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("Apply --steps 2 error %v, want an *OutOfOrderError", err)
	}
	if oe.Needs != 1 || oe.Step != 2 || !strings.Contains(err.Error(), "ssisha apply --steps 1") {
		t.Errorf("error %q: want step 1 named as the one to run first", err)
	}
	if n := len(w.remote.Calls()); n != 0 {
		t.Errorf("a refused re-run made %d remote calls", n)
	}
	// Once step 1 is done, step 2 alone runs, and step 3 is left alone.
	e := w.engine(0, s1, s2, s3)
	if _, err := e.Apply(testCtx(t), nil, []int{1}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Apply(testCtx(t), nil, []int{2})
	if err != nil {
		t.Fatalf("Apply --steps 2 after step 1: %v", err)
	}
	for _, r := range rep.Results {
		if r.Step != 2 {
			t.Errorf("re-run of step 2 touched step %d", r.Step)
		}
	}
	// The override runs step 3 even though nothing checks 1 and 2 again.
	s1.setApplied("node1.contoso.com", "a", false)
	if _, err := w.engineWith(Options{AllowOutOfOrder: true}, s1, s2, s3).Apply(testCtx(t), nil, []int{3}); err != nil {
		t.Errorf("AllowOutOfOrder: %v", err)
	}
	s3.setApplied("node1.contoso.com", "a", false)
	if _, err := w.engine(0, s1, s2, s3).ApplyWith(testCtx(t), nil, []int{3}, ApplyOptions{AllowOutOfOrder: true}); err != nil {
		t.Errorf("ApplyWith AllowOutOfOrder: %v", err)
	}
}

func TestApplyUnknownStep(t *testing.T) {
	w := newWorld(t, 1)
	_, err := w.engine(0, newFakeStep(1, steps.Primary, w.tr, "a")).Apply(testCtx(t), nil, []int{7})
	if err == nil || !strings.Contains(err.Error(), "step 7 does not exist") {
		t.Errorf("error %v, want step 7 named as unknown", err)
	}
}

func TestResumeRedetectsInterruptedAction(t *testing.T) {
	tests := []struct {
		name        string
		nodeDidIt   bool // the node finished the change before the run died
		wantRunB    bool
		wantMessage string
	}{
		{"change happened", true, false, "re-detected: done; it will not run again"},
		{"change did not happen", false, true, "re-detected: pending; it will run again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 2)
			s1 := newFakeStep(1, steps.EachMaster, w.tr, "a", "b")
			s1.setApplied("node1.contoso.com", "a", true)
			if tt.nodeDidIt {
				s1.setApplied("node1.contoso.com", "b", true)
			}
			// The earlier run wrote the intent for b on node1 and died.
			if err := w.journal.write(Record{RunID: "old-run", Kind: KindIntent, Step: 1, Target: "node1.contoso.com", Role: "primary", Action: "b", Summary: "do b of step 1"}); err != nil {
				t.Fatal(err)
			}
			e := w.engine(0, s1)
			if got := e.Interrupted(); len(got) != 1 || got[0].Action != "b" {
				t.Fatalf("Interrupted() = %v, want the intent for b", got)
			}
			if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			var notice, firstAction = -1, -1
			for i, ev := range w.events.all() {
				if ev.Kind == Notice && notice < 0 {
					notice = i
					want := "resuming: step 1 on node1.contoso.com was interrupted during do b of step 1; " + tt.wantMessage
					if ev.Message != want {
						t.Errorf("notice %q, want %q", ev.Message, want)
					}
				}
				if ev.Kind == ActionStarted && firstAction < 0 {
					firstAction = i
				}
			}
			if notice < 0 || (firstAction >= 0 && firstAction < notice) {
				t.Errorf("the resume notice (event %d) must come before any action (event %d)", notice, firstAction)
			}
			ranB := slices.Contains(w.tr.all(), "start s1 node1.contoso.com b")
			if ranB != tt.wantRunB {
				t.Errorf("b ran again on node1: %v, want %v", ranB, tt.wantRunB)
			}
			if got := e.Interrupted(); len(got) != 0 {
				t.Errorf("after the resume, still interrupted: %v", got)
			}
		})
	}
}

func TestRollbackUndoesInReverseAndReportsIrreversible(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a", "b")
	s2 := newFakeStep(2, steps.Primary, w.tr, "a", "keep", "refuse")
	s2.irreversible = map[string]string{"keep": "the original random password cannot be recovered"}
	s2.undoRefuses = map[string]bool{"refuse": true}
	s3 := newFakeStep(3, steps.ClusterOnce, w.tr, "a")
	e := w.engine(1, s1, s2, s3)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Rollback(testCtx(t), nil)
	if err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	var undos []string
	for _, l := range w.tr.all() {
		if strings.HasPrefix(l, "undo ") {
			undos = append(undos, l)
		}
	}
	want := []string{
		"undo s3 node1.contoso.com a",
		"undo s2 node1.contoso.com a",
		// Targets in the reverse of apply's order, each one's actions newest first.
		"undo s1 node2.contoso.com b", "undo s1 node2.contoso.com a",
		"undo s1 node1.contoso.com b", "undo s1 node1.contoso.com a",
	}
	if !slices.Equal(undos, want) {
		t.Errorf("undo order:\n%s\nwant:\n%s", strings.Join(undos, "\n"), strings.Join(want, "\n"))
	}
	var step2 TargetResult
	for _, r := range rep.Results {
		if r.Step == 2 {
			step2 = r
		}
	}
	skipped := map[string]string{}
	for _, a := range step2.Actions {
		if a.Status == StatusSkipped {
			skipped[a.ID] = a.Err
		}
	}
	if !strings.Contains(skipped["keep"], "the original random password cannot be recovered") {
		t.Errorf("irreversible action keep: %q, want skipped with its reason", skipped["keep"])
	}
	if !strings.Contains(skipped["refuse"], "never recorded") {
		t.Errorf("action refuse: %q, want skipped with Undo's reason", skipped["refuse"])
	}
	if got := w.journal.Applied(2, "node1.contoso.com"); len(got) != 2 {
		t.Errorf("after rollback, step 2 still applied: %d actions, want the 2 that cannot be undone", len(got))
	}
	if got := w.journal.Applied(1, "node2.contoso.com"); len(got) != 0 {
		t.Errorf("after rollback, step 1 on node2 still applied: %v", got)
	}
	if rep.Status != StatusSucceeded {
		t.Errorf("rollback status %s, want succeeded", rep.Status)
	}
}

func TestRollbackRefusesOutOfOrder(t *testing.T) {
	w := newWorld(t, 1)
	s1 := newFakeStep(1, steps.Primary, w.tr, "a")
	s2 := newFakeStep(2, steps.Primary, w.tr, "a")
	e := w.engine(0, s1, s2)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.Rollback(testCtx(t), []int{1})
	var oe *OutOfOrderError
	if !errors.As(err, &oe) || oe.Needs != 2 || !oe.Rollback {
		t.Fatalf("Rollback --steps 1 error %v, want step 2 named", err)
	}
	rep, err := e.Rollback(testCtx(t), []int{2})
	if err != nil || rep.Results[0].Status != StatusUndone {
		t.Fatalf("Rollback --steps 2: %v %+v", err, rep)
	}
	rep, err = e.Rollback(testCtx(t), []int{2})
	if err != nil || rep.Results[0].Note != "nothing recorded to undo" {
		t.Errorf("second rollback of step 2: %v %+v", err, rep.Results)
	}
}

func TestEventsFollowTheRun(t *testing.T) {
	w := newWorld(t, 2)
	_, err := w.engine(0, newFakeStep(1, steps.EachMaster, w.tr, "a")).Apply(testCtx(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := w.events.all()
	if evs[0].Kind != RunStarted || evs[len(evs)-1].Kind != RunFinished || evs[len(evs)-1].Status != StatusSucceeded {
		t.Errorf("run must open with run-started and close with run-finished succeeded: %v ... %v", evs[0], evs[len(evs)-1])
	}
	counts := map[EventKind]int{}
	for _, ev := range evs {
		counts[ev.Kind]++
		if ev.RunID == "" {
			t.Errorf("%s event without a run ID", ev.Kind)
		}
	}
	for kind, want := range map[EventKind]int{DetectStarted: 2, DetectFinished: 2, StepStarted: 1, TargetStarted: 2,
		ActionStarted: 2, ActionOutput: 2, ActionFinished: 2, TargetFinished: 2, CheckFinished: 2, StepFinished: 1} {
		if counts[kind] != want {
			t.Errorf("%d %s events, want %d", counts[kind], kind, want)
		}
	}
	for _, ev := range w.events.kinds(ActionOutput) {
		if ev.Action != "a" || ev.Step != 1 {
			t.Errorf("output %q not attributed to step 1 action a: %+v", ev.Message, ev)
		}
	}
	text := w.text.String()
	if !strings.Contains(text, "[step 1] node2.contoso.com: do a of step 1 succeeded") {
		t.Errorf("text log lacks the action line:\n%s", text)
	}
}

func TestStatusReportsWithoutChanging(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s1.setApplied("node1.contoso.com", "a", true)
	p, err := w.engine(0, s1).Status(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(p.Steps[0].Targets[0].Detection.State, " ", p.Steps[0].Targets[1].Detection.State)
	if got != "done pending" {
		t.Errorf("states %q, want done pending", got)
	}
	if len(w.remote.Calls()) != 0 || len(p.Fingerprint) != 64 {
		t.Errorf("status made remote calls or has no fingerprint: %v %q", w.remote.Calls(), p.Fingerprint)
	}
}

func TestApplyPartOfAPlan(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s2 := newFakeStep(2, steps.Primary, w.tr, "a")
	e := w.engine(0, s1, s2)
	p, err := e.Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(testCtx(t), p, []int{1}); err != nil {
		t.Fatalf("apply step 1 of a full plan: %v", err)
	}
	// Step 1 changed the estate, but step 2's part of the plan still holds.
	if _, err := e.Apply(testCtx(t), p, []int{2}); err != nil {
		t.Fatalf("apply step 2 of the same plan: %v", err)
	}
	if _, err := e.Apply(testCtx(t), p, nil); !errors.Is(err, ErrStalePlan) {
		t.Errorf("the whole plan after changes: %v, want ErrStalePlan", err)
	}
}

func TestApplyCancelled(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	g := newGate(0)
	g.release = make(chan struct{}) // never released: only cancellation ends the wait
	s1.gate = g
	s2 := newFakeStep(2, steps.EachMaster, w.tr, "a")
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		g.waitEntered(2)
		cancel()
	}()
	rep, err := w.engine(0, s1, s2).Apply(ctx, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if got := statusOf(rep, 2, "node1.contoso.com"); got != StatusCancelled {
		t.Errorf("step 2 after cancel: %s, want cancelled", got)
	}
	if n := len(w.journal.Pending()); n != 0 {
		t.Errorf("%d intents left without a result after a cancel", n)
	}
}

// The next step is re-detected while the targets verify; a failed verification must
// still keep it from running, and its detection must end before the run does.
func TestApplyVerifyFailureStopsNextStepDetectedEarly(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a")
	s1.verifyFails = map[string]bool{"node1.contoso.com": true}
	s2 := newFakeStep(2, steps.EachMaster, w.tr, "a")
	rep, err := w.engine(0, s1, s2).Apply(testCtx(t), nil, nil)
	var te *TargetError
	if !errors.As(err, &te) || te.Target != "node1.contoso.com" {
		t.Fatalf("Apply error %v: want a *TargetError on node1", err)
	}
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		if got := statusOf(rep, 2, h); got != StatusCancelled {
			t.Errorf("step 2 on %s: %s, want cancelled", h, got)
		}
		if s2.isApplied(h, "a") {
			t.Errorf("step 2 ran on %s after step 1 failed its verification", h)
		}
	}
	evs := w.events.all()
	if last := evs[len(evs)-1]; last.Kind != RunFinished {
		t.Errorf("the run must end with run-finished, not %v", last)
	}
}

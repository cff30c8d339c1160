package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

// needyStep is a fake step that says what it makes and reads, and which of its
// actions run the node's installer.
type needyStep struct {
	*fakeStep
	needs     steps.Needs
	installer map[string]bool
}

func (n *needyStep) Needs() steps.Needs { return n.needs }

func (n *needyStep) Actions() []steps.ActionType {
	out := n.fakeStep.Actions()
	for _, a := range out {
		if d, ok := a.(*steps.ActionDef[fakeUndo]); ok {
			d.Installer = n.installer[d.ID]
		}
	}
	return out
}

func needy(f *fakeStep, makes steps.Fact, detect ...steps.Fact) *needyStep {
	return &needyStep{fakeStep: f, needs: steps.Needs{Makes: makes, Detect: detect}, installer: map[string]bool{}}
}

// position is the index of the first trace line with prefix, or -1.
func position(lines []string, prefix string) int {
	return slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
}

// lastPosition is the index of the last trace line with prefix, or -1.
func lastPosition(lines []string, prefix string) int {
	out := -1
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = i
		}
	}
	return out
}

func TestGraphRunsATargetWhoseNeedsAreMadeBeside(t *testing.T) {
	w := newWorld(t, 2)
	// Step 1 on both masters and step 2 on the primary are inside their actions
	// together: step 2 needs nothing of step 1, so it does not wait for its barrier.
	together := newGate(3)
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "a"), "one")
	s1.gate = together
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "b"), "two")
	s2.gate = together
	s3 := needy(newFakeStep(3, steps.EachMaster, w.tr, "c"), "three", "one")
	rep, err := w.engine(0, s1, s2, s3).Apply(testCtx(t), nil, nil)
	if err != nil || rep.Status != StatusSucceeded {
		t.Fatalf("apply: %v, %+v", err, rep)
	}
	lines := w.tr.all()
	// Step 3 reads what step 1 makes: it starts after every target of step 1 ended.
	if first, last := position(lines, "start s3"), lastPosition(lines, "end s1"); first < last {
		t.Errorf("step 3 started before step 1 ended:\n%s", strings.Join(lines, "\n"))
	}
	// The events say so: step 2 started while step 1 still ran, and the report keeps
	// the documented order.
	var order []string
	for _, ev := range w.events.all() {
		if ev.Kind == StepStarted || ev.Kind == StepFinished {
			order = append(order, fmt.Sprintf("%s %d", ev.Kind, ev.Step))
		}
	}
	if position(order, "step-started 2") > position(order, "step-finished 1") {
		t.Errorf("step 2 did not start while step 1 ran: %v", order)
	}
	var got []int
	for _, r := range rep.Results {
		got = append(got, r.Step)
	}
	if !slices.Equal(got, []int{1, 1, 2, 3, 3}) {
		t.Errorf("report order %v, want the documented order", got)
	}
}

func TestGraphRunsOneInstallerPerNode(t *testing.T) {
	w := newWorld(t, 2)
	hold := newGate(0)
	hold.release = make(chan struct{})
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "feature"), "one")
	s1.installer["feature"], s1.gate = true, hold
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "setup"), "two")
	s2.installer["setup"], s2.gate = true, hold
	done := make(chan error, 1)
	go func() {
		_, err := w.engine(0, s1, s2).Apply(testCtx(t), nil, nil)
		done <- err
	}()
	// Two installers are in: one on each node, never both of node1's.
	hold.waitEntered(2)
	close(hold.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := w.tr.all()
	var node1 []string
	for _, l := range lines {
		if strings.Contains(l, "node1.contoso.com") {
			node1 = append(node1, strings.Fields(l)[0])
		}
	}
	if !slices.Equal(node1, []string{"start", "end", "start", "end"}) {
		t.Errorf("installers overlapped on node1:\n%s", strings.Join(lines, "\n"))
	}
	if _, most := hold.stats(); most < 2 {
		t.Errorf("at most %d installer ran at once; node2's should run beside node1's", most)
	}
}

func TestGraphActionWaitsForItsOwnNeeds(t *testing.T) {
	w := newWorld(t, 2)
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "a"), "one")
	// Step 2's first action needs nothing; its second reads what step 1 makes.
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "early", "late"), "two")
	s2.needs.Actions = map[string][]steps.Fact{"late": {"one"}}
	// Step 1 on both masters and step 2's early action are inside together; the late
	// action passes the gate once three have entered.
	together := newGate(3)
	s1.gate, s2.gate = together, together
	rep, err := w.engine(0, s1, s2).Apply(testCtx(t), nil, nil)
	if err != nil || rep.Status != StatusSucceeded {
		t.Fatalf("apply: %v, %+v", err, rep)
	}
	lines := w.tr.all()
	if position(lines, "start s2 node1.contoso.com late") < lastPosition(lines, "end s1") {
		t.Errorf("step 2's late action ran before step 1 ended:\n%s", strings.Join(lines, "\n"))
	}
}

// The masters' pattern: the primary's certificate is an early fact of step 2, the
// secondary reads only it, and the primary's setup waits for the secondary to have
// copied the certificate (an early fact of the later step 3), so that the two setups
// run at once.
func TestGraphEarlyFactsLetTwoStepsOverlap(t *testing.T) {
	w := newWorld(t, 2)
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "cert", "setup", "after"), "two")
	s2.needs.Early = map[steps.Fact][]string{"cert made": {"cert"}}
	s2.needs.Actions = map[string][]steps.Fact{"setup": {"cert copied"}}
	s3 := needy(newFakeStep(3, steps.EachSecondary, w.tr, "import", "setup"), "three", "cert made")
	s3.needs.Early = map[steps.Fact][]string{"cert copied": {"import"}}
	// Both setups are inside together: neither passes its gate before the other enters.
	both := newGate(2)
	s2.actGate = map[string]*gate{"setup": both}
	s3.actGate = map[string]*gate{"setup": both}
	rep, err := w.engine(0, s2, s3).Apply(testCtx(t), nil, nil)
	if err != nil || rep.Status != StatusSucceeded {
		t.Fatalf("apply: %v, %+v", err, rep)
	}
	lines := w.tr.all()
	after := func(later, earlier string) {
		t.Helper()
		if l, e := position(lines, later), position(lines, earlier); l < 0 || e < 0 || l < e {
			t.Errorf("%q ran before %q:\n%s", later, earlier, strings.Join(lines, "\n"))
		}
	}
	after("start s3 node2.contoso.com import", "end s2 node1.contoso.com cert")
	after("start s2 node1.contoso.com setup", "end s3 node2.contoso.com import")
	if _, most := both.stats(); most < 2 {
		t.Errorf("the two setups ran one after the other (%d at most at once)", most)
	}
}

// A step that reads only an early fact of another starts before that step ends, and
// one that reads the whole of it after.
func TestGraphEarlyFactIsNotTheWholeStep(t *testing.T) {
	w := newWorld(t, 1)
	hold := newGate(0)
	hold.release = make(chan struct{})
	s1 := needy(newFakeStep(1, steps.Primary, w.tr, "first", "rest"), "one")
	s1.needs.Early = map[steps.Fact][]string{"first made": {"first"}}
	s1.actGate = map[string]*gate{"rest": hold}
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "b"), "two", "first made")
	ran := newGate(0)
	s2.actGate = map[string]*gate{"b": ran}
	s3 := needy(newFakeStep(3, steps.Primary, w.tr, "c"), "three", "one")
	done := make(chan error, 1)
	go func() {
		_, err := w.engine(0, s1, s2, s3).Apply(testCtx(t), nil, nil)
		done <- err
	}()
	// Step 1's rest is held: step 2 runs meanwhile, step 3 does not.
	hold.waitEntered(1)
	ran.waitEntered(1)
	if position(w.tr.all(), "start s3") >= 0 {
		t.Errorf("step 3 started before step 1 ended:\n%s", strings.Join(w.tr.all(), "\n"))
	}
	close(hold.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := w.tr.all()
	if position(lines, "start s3") < position(lines, "end s1 node1.contoso.com rest") {
		t.Errorf("step 3 started before step 1 ended:\n%s", strings.Join(lines, "\n"))
	}
}

func TestStrictOrderKeepsTheBarriers(t *testing.T) {
	w := newWorld(t, 2)
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "a"), "one")
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "b"), "two")
	rep, err := w.engineWith(Options{StrictOrder: true}, s1, s2).Apply(testCtx(t), nil, nil)
	if err != nil || rep.Status != StatusSucceeded {
		t.Fatalf("apply: %v, %+v", err, rep)
	}
	lines := w.tr.all()
	if position(lines, "start s2") < lastPosition(lines, "end s1") {
		t.Errorf("step 2 started before step 1's barrier:\n%s", strings.Join(lines, "\n"))
	}
}

func TestParallelOneRunsOneActionAtATimeInTheDocumentedOrder(t *testing.T) {
	w := newWorld(t, 2)
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "a"), "one")
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "b", "c"), "two")
	s3 := needy(newFakeStep(3, steps.EachSecondary, w.tr, "d"), "three")
	rep, err := w.engine(1, s1, s2, s3).Apply(testCtx(t), nil, nil)
	if err != nil || rep.Status != StatusSucceeded {
		t.Fatalf("apply: %v, %+v", err, rep)
	}
	want := []string{
		"start s1 node1.contoso.com a", "end s1 node1.contoso.com a",
		"start s1 node2.contoso.com a", "end s1 node2.contoso.com a",
		"start s2 node1.contoso.com b", "end s2 node1.contoso.com b",
		"start s2 node1.contoso.com c", "end s2 node1.contoso.com c",
		"start s3 node2.contoso.com d", "end s3 node2.contoso.com d",
	}
	if got := w.tr.all(); !slices.Equal(got, want) {
		t.Errorf("--parallel 1 ran\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestGraphFailureStopsTheTargetsThatWait(t *testing.T) {
	w := newWorld(t, 2)
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "a"), "one")
	s1.failOn = map[string]bool{"node2.contoso.com": true}
	s2 := needy(newFakeStep(2, steps.EachMaster, w.tr, "b"), "two", "one")
	rep, err := w.engine(0, s1, s2).Apply(testCtx(t), nil, nil)
	if err == nil || rep.Status != StatusFailed {
		t.Fatalf("apply should fail: %v, %+v", err, rep)
	}
	if position(w.tr.all(), "start s2") >= 0 {
		t.Errorf("step 2 ran after what it needs failed:\n%s", strings.Join(w.tr.all(), "\n"))
	}
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		if st := statusOf(rep, 2, h); st != StatusCancelled {
			t.Errorf("step 2 on %s is %s, want cancelled", h, st)
		}
	}
}

func TestGraphRollbackUndoesInReverse(t *testing.T) {
	w := newWorld(t, 2)
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "a"), "one")
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "b"), "two")
	s3 := needy(newFakeStep(3, steps.EachMaster, w.tr, "c"), "three", "one", "two")
	e := w.engine(0, s1, s2, s3)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Rollback(testCtx(t), nil); err != nil {
		t.Fatal(err)
	}
	lines := w.tr.all()
	// What needs a step is undone before it: step 3 before steps 1 and 2.
	if lastPosition(lines, "undo s3") > position(lines, "undo s1") || lastPosition(lines, "undo s3") > position(lines, "undo s2") {
		t.Errorf("rollback undid a step before what was built on it:\n%s", strings.Join(lines, "\n"))
	}
	if n := len(slices.DeleteFunc(lines, func(l string) bool { return !strings.HasPrefix(l, "undo ") })); n != 5 {
		t.Errorf("%d undos, want 5", n)
	}
}

func TestGraphResumesAnInterruptedRun(t *testing.T) {
	w := newWorld(t, 2)
	s1 := needy(newFakeStep(1, steps.EachMaster, w.tr, "a"), "one")
	s2 := needy(newFakeStep(2, steps.Primary, w.tr, "b"), "two", "one")
	// The first run stops on node2's failure; step 2 never starts.
	s1.failOn = map[string]bool{"node2.contoso.com": true}
	if _, err := w.engine(0, s1, s2).Apply(testCtx(t), nil, nil); err == nil {
		t.Fatal("the first run should fail")
	}
	s1.failOn = nil
	rep, err := w.engine(0, s1, s2).Apply(testCtx(t), nil, nil)
	if err != nil || rep.Status != StatusSucceeded {
		t.Fatalf("the second run: %v, %+v", err, rep)
	}
	if st := statusOf(rep, 1, "node1.contoso.com"); st != StatusSkipped {
		t.Errorf("step 1 on node1 is %s the second time, want skipped (already done)", st)
	}
	if st := statusOf(rep, 2, "node1.contoso.com"); st != StatusSucceeded {
		t.Errorf("step 2 is %s, want succeeded", st)
	}
}

// An action left open on a target the run's first look only predicts is settled once
// the target is detected as it is, in the same run, never from the prediction.
func TestGraphSettlesAPredictedTargetsOpenActionOnceDetected(t *testing.T) {
	w := newWorld(t, 1)
	s1 := newFakeStep(1, steps.Primary, w.tr, "a")
	s2 := hintStep{newFakeStep(2, steps.Primary, w.tr, "b"), map[string]bool{"b": true}}
	e := w.engine(0, s1, s2)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	intent := killAfterLastIntent(t, w)
	s1.setApplied("node1.contoso.com", "a", false) // step 1 has work again: step 2 is predicted
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	if open := e.Interrupted(); len(open) != 0 {
		t.Fatalf("after a finished run these actions are still open: %v", open)
	}
	if res := resumedResult(t, w, intent); res.Resolution != ResolvedDone {
		t.Errorf("the intent of b is settled %s, want done (step 2 detected after step 1 ran)", res.Resolution)
	}
}

// The procedure's own needs resolve: every fact a step reads is made by another step
// (at its end, or early by actions it has), the actions named exist, and the steps
// that read only early facts of steps 2 and 3 do not wait for their ends.
func TestProcedureNeedsResolve(t *testing.T) {
	all := steps.All()
	declared := make([]*steps.Needs, len(all))
	makers := map[steps.Fact]bool{}
	for si, s := range all {
		n, ok := s.(steps.Needer)
		if !ok {
			t.Fatalf("step %d declares no needs", s.ID())
		}
		d := n.Needs()
		declared[si] = &d
		makers[d.Makes] = true
		for f, ids := range d.Early {
			makers[f] = true
			for _, id := range ids {
				if _, ok := steps.FindAction(s, id); !ok {
					t.Errorf("step %d makes %q by action %s, which it does not have", s.ID(), f, id)
				}
			}
		}
	}
	for si, s := range all {
		d := declared[si]
		for id := range d.Actions {
			if _, ok := steps.FindAction(s, id); !ok {
				t.Errorf("step %d declares the needs of action %s, which it does not have", s.ID(), id)
			}
		}
		for _, f := range d.Verified() {
			if !makers[f] {
				t.Errorf("step %d reads %q, which no step makes", s.ID(), f)
			}
		}
	}
	idx := func(id int) int { return slices.IndexFunc(all, func(s steps.Step) bool { return s.ID() == id }) }
	early := func(ns []need) bool {
		for _, n := range ns {
			if n.fact == "" {
				return false
			}
		}
		return len(ns) > 0
	}
	// The secondary and the workers are detected once the certificate exists, not
	// after the primary's setup; the primary's setup waits for the secondary's copy.
	for _, id := range []int{3, 9} {
		if n := needsOf(idx(id), declared); !early(n.detect) {
			t.Errorf("step %d's detection waits for %v, want only the early certificate", id, n.detect)
		}
	}
	// The secondary verifies once the primary's master is installed, beside the
	// primary's own verification.
	if n := needsOf(idx(3), declared); slices.Contains(n.verify, need{si: idx(2)}) {
		t.Errorf("the secondary's verification waits for the whole of step 2: %v", n.verify)
	}
	if n := needsOf(idx(2), declared); !slices.Contains(n.actions["install-master"], need{si: idx(3), fact: steps.FactSecondaryCertCopied}) {
		t.Errorf("the primary's setup waits for %v, want the secondaries' copy of the certificate", n.actions["install-master"])
	}
	// Verification and a blocked detection read only earlier steps.
	for si := range all {
		n := needsOf(si, declared)
		for _, ns := range [][]need{n.detect, n.all, n.verify} {
			for _, x := range ns {
				if x.si >= si {
					t.Errorf("step %d waits for step %d before detecting or verifying", all[si].ID(), all[x.si].ID())
				}
			}
		}
	}
}

// A step's own actions on its other targets do not make the run read a target again,
// as with barriers, where a step's targets are all read before it acts: with two
// slots for three targets, the third starts after the first has acted, and is still
// read once.
func TestGraphDoesNotRereadATargetForItsOwnStepsActions(t *testing.T) {
	w := newWorld(t, 3)
	_, err := w.engine(2, newFakeStep(1, steps.EachMaster, w.tr, "a")).Apply(testCtx(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]int{}
	for _, ev := range w.events.kinds(DetectStarted) {
		reads[ev.Target]++
	}
	for _, h := range []string{"node1.contoso.com", "node2.contoso.com", "node3.contoso.com"} {
		if reads[h] != 1 {
			t.Errorf("%s read %d times, want once: %v", h, reads[h], reads)
		}
	}
}

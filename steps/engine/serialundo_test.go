package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// overlapStep is a fake step whose undos take a moment and record how many ran at
// once; serial makes it ask for one target at a time.
type overlapStep struct {
	*fakeStep
	serial bool
	mu     sync.Mutex
	cur    int
	max    int
	order  []string
}

func (o *overlapStep) UndoOneAtATime() bool { return o.serial }

func (o *overlapStep) undo(t steps.Target) error {
	o.mu.Lock()
	o.cur++
	o.max = max(o.max, o.cur)
	o.order = append(o.order, t.Host)
	o.mu.Unlock()
	time.Sleep(30 * time.Millisecond)
	o.mu.Lock()
	o.cur--
	o.mu.Unlock()
	return nil
}

func TestStepsThatAskAreUndoneOneTargetAtATime(t *testing.T) {
	for _, serial := range []bool{false, true} {
		w := newWorld(t, 3)
		s := &overlapStep{fakeStep: newFakeStep(4, steps.EachMaster, w.tr, "join"), serial: serial}
		s.onUndo = s.undo
		eng := w.engine(0, s)
		if _, err := eng.Apply(testCtx(t), nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Rollback(testCtx(t), nil); err != nil {
			t.Fatal(err)
		}
		want := 3
		if serial {
			want = 1
		}
		if s.max != want {
			t.Errorf("serial=%v: %d undos ran at once, want %d", serial, s.max, want)
		}
		if serial && (len(s.order) != 3 || s.order[0] != "node3.contoso.com" || s.order[2] != "node1.contoso.com") {
			t.Errorf("serial undo order %v, want the reverse of the answers' order", s.order)
		}
	}
}

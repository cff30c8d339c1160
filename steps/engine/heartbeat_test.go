package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// A long action says it is still running, with the time so far, until it ends; an
// engine set never to beat stays silent.
func TestLongActionsSayTheyAreStillRunning(t *testing.T) {
	w := newWorld(t, 1)
	s := newFakeStep(1, steps.Primary, w.tr, "install")
	s.gate = newGate(0)
	s.gate.release = make(chan struct{})
	eng := w.engineWith(Options{Heartbeat: 10 * time.Millisecond}, s)
	go func() {
		time.Sleep(120 * time.Millisecond)
		close(s.gate.release)
	}()
	if _, err := eng.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	beats := w.events.kinds(ActionRunning)
	if len(beats) < 3 {
		t.Fatalf("%d heartbeats over 120 ms at one per 10 ms, want several", len(beats))
	}
	for i, b := range beats {
		if b.Action != "install" || b.Step != 1 || b.Target != "node1.contoso.com" || b.Elapsed <= 0 {
			t.Errorf("heartbeat %d = %+v", i, b)
		}
		if i > 0 && b.Elapsed < beats[i-1].Elapsed {
			t.Errorf("heartbeat %d went back in time: %v after %v", i, b.Elapsed, beats[i-1].Elapsed)
		}
	}
	var sawFinish bool
	for _, ev := range w.events.all() {
		if ev.Kind == ActionFinished {
			sawFinish = true
		}
		if sawFinish && ev.Kind == ActionRunning {
			t.Error("a heartbeat came after the action finished")
		}
	}
	if !strings.Contains(w.text.String(), "do install of step 1 still running (") {
		t.Errorf("the text output says nothing of the running action:\n%s", w.text.String())
	}

	quiet := newWorld(t, 1)
	q := newFakeStep(1, steps.Primary, quiet.tr, "install")
	if _, err := quiet.engineWith(Options{Heartbeat: -1}, q).Apply(testCtx(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(quiet.events.kinds(ActionRunning)); n != 0 {
		t.Errorf("%d heartbeats from an engine set never to beat", n)
	}
}

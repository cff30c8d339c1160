package engine

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
)

// markerRemote answers win.inflight.list with the markers of lists, one answer per
// call (the last repeats), and records what win.inflight.clear removes; every other
// script goes to the recording remote.
type markerRemote struct {
	*recordingRemote
	mu      sync.Mutex
	lists   [][]steps.InflightMarker
	calls   int
	cleared []string
}

func (r *markerRemote) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch s.Op {
	case "win.inflight.list":
		ms := r.lists[min(r.calls, len(r.lists)-1)]
		r.calls++
		return json.Marshal(map[string]any{"running": []any{}, "markers": ms})
	case "win.inflight.clear":
		files, _ := s.Params["files"].([]string)
		r.cleared = append(r.cleared, files...)
		return json.Marshal(map[string]any{"cleared": files})
	}
	return r.recordingRemote.PowerShell(ctx, host, s)
}

// A resume finds the marker of the interrupted action on its node, waits for it to go
// (saying what it waits for and since when), records in the action's result that it
// waited, and clears a stale marker whose process is gone.
func TestResumeWaitsForTheMarkerOfTheInterruptedAction(t *testing.T) {
	w := newWorld(t, 1)
	w.env.WaitScale = 0.0001
	s := hintStep{newFakeStep(1, steps.Primary, w.tr, "a", "b"), map[string]bool{"a": true, "b": true}}
	e := w.engine(0, s)
	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	intent := killAfterLastIntent(t, w)
	ours := steps.InflightMarker{File: steps.InflightFile(intent.RunID, 1, "b"), RunID: intent.RunID, Step: 1, Action: "b",
		What: "do b of step 1", Op: "fake-1-b", Started: "2025-03-01T11:58:00Z", Alive: true}
	stale := steps.InflightMarker{File: "20250101T000000Z-0000-step1-a.json", RunID: "20250101T000000Z-0000", Step: 1, Action: "a",
		What: "do a of step 1", Started: "2025-01-01T00:00:00Z"}
	mr := &markerRemote{recordingRemote: w.remote, lists: [][]steps.InflightMarker{{ours, stale}, {ours}, {}}}
	w.env.Remote = mr

	if _, err := e.Apply(testCtx(t), nil, nil); err != nil {
		t.Fatalf("Apply after the kill: %v", err)
	}
	var notices []string
	for _, ev := range w.events.kinds(Notice) {
		notices = append(notices, ev.Message)
	}
	all := strings.Join(notices, "\n")
	for _, want := range []string{
		"resuming: waiting for do b of step 1 (step 1, an action of the interrupted run " + intent.RunID + ") on node1.contoso.com, running since 11:58:00 UTC",
		"do b of step 1 ended on node1.contoso.com after",
		"left a marker (" + stale.File + ", run " + stale.RunID,
		"its process is gone",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the notices do not say %q:\n%s", want, all)
		}
	}
	if len(mr.cleared) != 1 || mr.cleared[0] != stale.File {
		t.Errorf("cleared %v, want only the stale marker %s", mr.cleared, stale.File)
	}
	if mr.calls < 3 {
		t.Errorf("win.inflight.list asked %d times, want until the marker is gone (3)", mr.calls)
	}
	res := resumedResult(t, w, intent)
	if !strings.Contains(res.Note, "still running on node1.contoso.com when this run started") || res.Status != StatusSucceeded {
		t.Errorf("resumed result %s %q, want succeeded, saying it waited for the action", res.Status, res.Note)
	}
	if got := indexOf(w.tr.all(), "start s1 node1.contoso.com b"); len(got) != 1 {
		t.Errorf("b ran %d times, want once", len(got))
	}
}

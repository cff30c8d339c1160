package engine

import (
	"testing"
	"time"
)

// A run the user stopped between actions leaves no pending intent, yet it did not
// finish: the journal names it for the resume offer until a later apply finishes.
func TestUnfinishedApplyIsOffered(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	start := func(id string) Record { return Record{Time: t0, RunID: id, Kind: KindRunStart, Summary: "apply"} }
	end := func(id string, st Status) Record {
		return Record{Time: t0, RunID: id, Kind: KindRunEnd, Summary: "apply", Status: st}
	}
	cases := []struct {
		name string
		recs []Record
		want bool
	}{
		{"no run", nil, false},
		{"finished", []Record{start("r1"), end("r1", StatusSucceeded)}, false},
		{"failed", []Record{start("r1"), end("r1", StatusFailed)}, false},
		{"stopped", []Record{start("r1"), end("r1", StatusCancelled)}, true},
		{"died between actions", []Record{start("r1")}, true},
		{"stopped, then finished", []Record{start("r1"), end("r1", StatusCancelled), start("r2"), end("r2", StatusSucceeded)}, false},
		{"a rollback after a stop", []Record{start("r1"), end("r1", StatusCancelled),
			{RunID: "r2", Kind: KindRunStart, Summary: "rollback"}, {RunID: "r2", Kind: KindRunEnd, Summary: "rollback", Status: StatusSucceeded}}, false},
	}
	for _, c := range cases {
		got := unfinished(c.recs)
		if (got != nil) != c.want {
			t.Errorf("%s: unfinished = %+v, want offered %v", c.name, got, c.want)
		}
		if got != nil && (got.Kind != KindRunEnd || got.Status != StatusCancelled) {
			t.Errorf("%s: unfinished = %+v, want a cancelled run-end", c.name, got)
		}
	}
}

// The run's end is recorded as cancelled when the user stopped it before every
// target ran, not as succeeded.
func TestStoppedRunIsRecordedCancelled(t *testing.T) {
	rep := &Report{Results: []TargetResult{{Status: StatusSucceeded}, {Status: StatusCancelled, Note: "not started: stopped by the user"}}}
	e := &Engine{}
	got, _ := e.finish(&runState{id: "r1"}, "apply", rep, nil)
	if got.Status != StatusCancelled {
		t.Errorf("status = %s, want cancelled", got.Status)
	}
}

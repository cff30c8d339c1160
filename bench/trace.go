package bench

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/ssisha/ssisha/steps/engine"
)

// timeline records what an apply sent and when, for `lab bench --trace`: every
// PowerShell command and T-SQL batch the steps asked for (host, operation, start and
// duration as the client saw them) and the engine's events in between, so the serial
// chains behind the wall time can be read off.
type timeline struct {
	mu      sync.Mutex
	origin  time.Time
	entries []traceEntry
}

type traceEntry struct {
	start time.Duration
	took  time.Duration
	host  string
	what  string
}

func newTimeline() *timeline { return &timeline{origin: time.Now()} }

// command records one remote call that started at start and ended now.
func (t *timeline) command(host, what string, start time.Time) {
	if t == nil {
		return
	}
	end := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries = append(t.entries, traceEntry{start: start.Sub(t.origin), took: end.Sub(start), host: host, what: what})
}

// event records one engine event as it happens.
func (t *timeline) event(ev engine.Event) {
	if t == nil || ev.Kind == engine.ActionOutput || ev.Kind == engine.CheckFinished {
		return
	}
	what := string(ev.Kind)
	if ev.Step > 0 {
		what += fmt.Sprintf(" step %d", ev.Step)
	}
	if ev.Action != "" {
		what += " " + ev.Action
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entries = append(t.entries, traceEntry{start: time.Since(t.origin), host: ev.Target, what: what})
}

// write prints the entries in the order they started, one per line: seconds since
// the apply started, duration in milliseconds (blank for events), host, what.
func (t *timeline) write(w io.Writer) error {
	t.mu.Lock()
	entries := append([]traceEntry(nil), t.entries...)
	t.mu.Unlock()
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].start < entries[j].start })
	for _, e := range entries {
		took := "      "
		if e.took > 0 {
			took = fmt.Sprintf("%4.0fms", float64(e.took)/float64(time.Millisecond))
		}
		host := e.host
		if host == "" {
			host = "-"
		}
		if _, err := fmt.Fprintf(w, "%8.3f %s  %-24s %s\n", e.start.Seconds(), took, host, e.what); err != nil {
			return err
		}
	}
	return nil
}

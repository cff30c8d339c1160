package engine

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/steps"
)

// A killed ssisha leaves its long actions running on the nodes: SQL Server setup, the
// New-Cluster task, the catalog's restore. Re-detecting a node while one runs finds
// the change not made yet, and the action would start a second time (a second setup
// fails; a cluster or a worker made twice). So before a run re-detects anything it
// looks, on each node an interrupted action was running on, for long operations still
// running, and waits for them to end, saying that it waits.

// inflightPoll is how often a node is looked at again while something runs there
// (scaled by the environment's WaitScale, as every wait for the estate).
const inflightPoll = 10 * time.Second

// inflightBound is how long a resume waits for one node: the longest time limit a
// long action declares (SQL Server setup), with room. Past it the run goes on, and the
// re-detection decides.
const inflightBound = 75 * time.Minute

// awaitInFlight waits, on every node an interrupted action of the journal was running
// on, until nothing long runs there any more: first the markers the long actions leave
// (steps.WithInflightMarker), matched to the interrupted intents, then any other long
// operation the node shows. Stale markers (their process is gone) are reported and
// cleared. It returns, by intent (Record.origin), what it waited for, for the result
// resume writes. A node that cannot be asked is left to the re-detection.
func (e *Engine) awaitInFlight(ctx context.Context, runID string) (map[string]string, error) {
	if e.journal == nil {
		return nil, nil
	}
	recs, err := e.journal.Records()
	if err != nil {
		return nil, err
	}
	hosts := map[string][]Record{}
	for _, r := range pending(recs) {
		if r.Kind == KindIntent && r.Target != "" {
			k := strings.ToLower(r.Target)
			hosts[k] = append(hosts[k], r)
		}
	}
	if len(hosts) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(hosts))
	for h := range hosts {
		keys = append(keys, h)
	}
	sort.Strings(keys)
	env := e.runEnv()
	var mu sync.Mutex
	waited := map[string]string{}
	var wg sync.WaitGroup
	for _, h := range keys {
		wg.Go(func() {
			got := e.awaitNode(ctx, runID, env, hosts[h])
			mu.Lock()
			defer mu.Unlock()
			maps.Copy(waited, got)
		})
	}
	wg.Wait()
	return waited, ctx.Err()
}

// awaitNode waits until nothing long runs on the node of the interrupted intents, and
// returns what it waited for by intent.
func (e *Engine) awaitNode(ctx context.Context, runID string, env *steps.Env, intents []Record) map[string]string {
	first := intents[len(intents)-1]
	host := first.Target
	notice := func(rec Record, msg string) {
		e.emit(Event{Kind: Notice, RunID: runID, Step: rec.Step, Target: host, Action: rec.Action, Message: msg})
	}
	start := time.Now()
	waited := map[string]bool{}     // what the node shows, announced once
	stale := map[string]bool{}      // stale markers, reported once
	watching := map[string]Record{} // alive markers by file, with the intent they answer
	out := map[string]string{}
	for {
		in, err := steps.InflightOn(ctx, env, host)
		if err != nil {
			if ctx.Err() == nil {
				notice(first, fmt.Sprintf("resuming: cannot look for operations still running on %s (%s); re-detecting it as it is", host, e.redact(err.Error())))
			}
			return out
		}
		alive := map[string]steps.InflightMarker{}
		var gone []string
		for _, m := range in.Markers {
			if m.Alive {
				alive[m.File] = m
				continue
			}
			gone = append(gone, m.File)
			if !stale[m.File] {
				stale[m.File] = true
				rec, _ := matchMarker(intents, m)
				notice(rec, fmt.Sprintf("resuming: %s on %s left a marker (%s, run %s, started %s) but its process is gone (the node restarted, or the process was ended); clearing the marker, the re-detection decides what the action left",
					e.redact(orText(m.What, m.Action)), host, m.File, m.RunID, clock(m.Started)))
			}
		}
		if len(gone) > 0 {
			if _, err := steps.ClearStaleMarkers(ctx, env, host, gone); err != nil && ctx.Err() == nil {
				notice(first, fmt.Sprintf("resuming: cannot clear the stale markers on %s (%s); delete them under C:\\ProgramData\\ssisha\\inflight there", host, e.redact(err.Error())))
			}
		}
		for file, rec := range watching {
			if _, ok := alive[file]; !ok {
				delete(watching, file)
				notice(rec, fmt.Sprintf("resuming: %s ended on %s after %s of waiting; the re-detection decides whether it is done", e.redact(orText(rec.Summary, rec.Action)), host, time.Since(start).Round(time.Second)))
			}
		}
		for _, m := range sortedMarkers(alive) {
			if _, ok := watching[m.File]; ok {
				continue
			}
			rec, ours := matchMarker(intents, m)
			if !ours {
				rec = Record{RunID: m.RunID, Step: m.Step, Action: m.Action, Summary: m.What}
			}
			watching[m.File] = rec
			whose := "an action of the interrupted run " + m.RunID
			if !ours {
				whose = "an action of run " + m.RunID + ", not one this journal left open"
			}
			notice(rec, fmt.Sprintf("resuming: waiting for %s (step %d, %s) on %s, running since %s; it is not started again",
				e.redact(orText(m.What, m.Action)), m.Step, whose, host, clock(m.Started)))
			if ours {
				out[rec.origin()] = fmt.Sprintf("it was still running on %s when this run started (its marker since %s); this run waited for it to end", host, clock(m.Started))
			}
		}
		// Without a marker to go by, whatever long work the node shows (a script of
		// an older ssisha, a setup started by hand) is waited for as it is.
		if len(alive) == 0 {
			if len(in.Running) == 0 {
				if len(waited) > 0 {
					notice(first, fmt.Sprintf("resuming: nothing runs on %s any more after %s of waiting; re-detecting it", host, time.Since(start).Round(time.Second)))
				}
				return out
			}
			for _, r := range in.Running {
				if !waited[r.What] {
					waited[r.What] = true
					notice(first, fmt.Sprintf("resuming: waiting for %s on %s, running since %s (started before this run, most likely by the interrupted one); it is not started again",
						r.What, host, r.Since.UTC().Format("15:04:05 UTC")))
				}
			}
		}
		if time.Since(start) > scaled(env, inflightBound) {
			notice(first, fmt.Sprintf("resuming: work still runs on %s after %s; re-detecting it as it is", host, time.Since(start).Round(time.Second)))
			return out
		}
		if env.Wait(ctx, inflightPoll) != nil {
			return out
		}
	}
}

// matchMarker finds the interrupted intent m was left by.
func matchMarker(intents []Record, m steps.InflightMarker) (Record, bool) {
	for _, r := range intents {
		if r.RunID == m.RunID && r.Step == m.Step && r.Action == m.Action {
			return r, true
		}
	}
	return Record{RunID: m.RunID, Step: m.Step, Action: m.Action, Summary: m.What}, false
}

func sortedMarkers(ms map[string]steps.InflightMarker) []steps.InflightMarker {
	out := make([]steps.InflightMarker, 0, len(ms))
	for _, m := range ms {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// clock shows a node's timestamp as the time of day in UTC, or as it came.
func clock(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return orText(ts, "an unknown time")
	}
	return t.UTC().Format("15:04:05 UTC")
}

// scaled is d in the environment's time (the lab's waits are shorter).
func scaled(env *steps.Env, d time.Duration) time.Duration {
	if env.WaitScale <= 0 {
		return d
	}
	return time.Duration(float64(d) * env.WaitScale)
}

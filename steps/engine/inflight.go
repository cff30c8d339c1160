package engine

import (
	"context"
	"fmt"
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
// on, until no long operation runs there. A node that cannot be asked is left to the
// re-detection.
func (e *Engine) awaitInFlight(ctx context.Context, runID string) error {
	if e.journal == nil {
		return nil
	}
	recs, err := e.journal.Records()
	if err != nil {
		return err
	}
	hosts := map[string]Record{}
	for _, r := range pending(recs) {
		if r.Kind == KindIntent && r.Target != "" {
			hosts[strings.ToLower(r.Target)] = r
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	keys := make([]string, 0, len(hosts))
	for h := range hosts {
		keys = append(keys, h)
	}
	sort.Strings(keys)
	env := e.runEnv()
	var wg sync.WaitGroup
	for _, h := range keys {
		wg.Go(func() { e.awaitNode(ctx, runID, env, hosts[h]) })
	}
	wg.Wait()
	return ctx.Err()
}

// awaitNode waits until nothing long runs on the node of the interrupted intent rec.
func (e *Engine) awaitNode(ctx context.Context, runID string, env *steps.Env, rec Record) {
	host := rec.Target
	notice := func(msg string) {
		e.emit(Event{Kind: Notice, RunID: runID, Step: rec.Step, Target: host, Action: rec.Action, Message: msg})
	}
	start := time.Now()
	waited := map[string]bool{}
	for {
		running, err := steps.RunningOperations(ctx, env, host)
		if err != nil {
			if ctx.Err() == nil {
				notice(fmt.Sprintf("resuming: cannot look for operations still running on %s (%s); re-detecting it as it is", host, e.redact(err.Error())))
			}
			return
		}
		if len(running) == 0 {
			if len(waited) > 0 {
				notice(fmt.Sprintf("resuming: nothing runs on %s any more after %s of waiting; re-detecting it", host, time.Since(start).Round(time.Second)))
			}
			return
		}
		for _, r := range running {
			if !waited[r.What] {
				waited[r.What] = true
				notice(fmt.Sprintf("resuming: waiting for %s on %s, running since %s (started before this run, most likely by the interrupted one); it is not started again",
					r.What, host, r.Since.UTC().Format("15:04:05 UTC")))
			}
		}
		if time.Since(start) > scaled(env, inflightBound) {
			notice(fmt.Sprintf("resuming: %s still runs on %s after %s; re-detecting it as it is", running[0].What, host, time.Since(start).Round(time.Second)))
			return
		}
		if env.Wait(ctx, inflightPoll) != nil {
			return
		}
	}
}

// scaled is d in the environment's time (the lab's waits are shorter).
func scaled(env *steps.Env, d time.Duration) time.Duration {
	if env.WaitScale <= 0 {
		return d
	}
	return time.Duration(float64(d) * env.WaitScale)
}

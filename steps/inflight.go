package steps

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RunningOperation is a long operation found running on a node: SQL Server setup, one
// of ssisha's one-shot tasks (New-Cluster), or the catalog's restore. They outlive
// the ssisha that started them, so a run that resumes waits for them before it
// looks at the node again.
type RunningOperation struct {
	// Kind is setup, task or restore.
	Kind string `json:"kind"`
	// What names it as a person finds it on the node (a command line without its
	// secrets, a task's path, a request).
	What string `json:"what"`
	// Since is when it started, by the node's clock.
	Since time.Time `json:"since"`
}

// InflightMarker is the marker a long action leaves on its node while it runs
// (withInflightMarker): which action of which journal run, and since when.
type InflightMarker struct {
	// File is the marker's file name in C:\ProgramData\ssisha\inflight.
	File   string `json:"file"`
	RunID  string `json:"runId"`
	Step   int    `json:"step"`
	Action string `json:"action"`
	// What is the action's summary, as the plan shows it.
	What string `json:"what"`
	// Op, Started and Alive are what the node reports: the script's operation, when
	// the marker was written, and whether the process that wrote it still runs (a
	// marker whose process is gone is stale: the node restarted, or the process was
	// ended).
	Op      string `json:"op,omitempty"`
	Started string `json:"started,omitempty"`
	Alive   bool   `json:"alive,omitempty"`
}

// InflightFile is the file name of the marker of action on step in run runID.
func InflightFile(runID string, step int, action string) string {
	name := fmt.Sprintf("%s-step%d-%s.json", runID, step, action)
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// WithInflightMarker returns a with m set on the scripts that leave a marker (the long
// ones), so that the node can tell which intent of the journal runs there. The plan's
// scripts are left as they were.
func WithInflightMarker(a Action, m InflightMarker) Action {
	if m.File == "" {
		m.File = InflightFile(m.RunID, m.Step, m.Action)
	}
	if m.What == "" {
		m.What = a.Summary
	}
	value := map[string]any{"file": m.File, "runId": m.RunID, "step": m.Step, "action": m.Action, "what": m.What}
	cmds := make([]Command, len(a.Commands))
	for i, c := range a.Commands {
		cmds[i] = c
		if c.PS == nil {
			continue
		}
		if _, ok := c.PS.Params[inflightParam]; !ok {
			continue
		}
		ps := *c.PS
		ps.Params = make(map[string]any, len(c.PS.Params))
		for k, v := range c.PS.Params {
			ps.Params[k] = v
		}
		ps.Params[inflightParam] = value
		cmds[i].PS = &ps
	}
	a.Commands = cmds
	return a
}

// Inflight is what runs on a node now: the long operations as a person finds them,
// and the markers of ssisha's long actions.
type Inflight struct {
	Running []RunningOperation `json:"running"`
	Markers []InflightMarker   `json:"markers"`
}

// InflightOn lists what runs on host now.
func InflightOn(ctx context.Context, env *Env, host string) (Inflight, error) {
	var out Inflight
	// Never from a round's shared reads: each call must see the node as it is now.
	fresh := *env
	fresh.Reads = nil
	if err := fresh.PS(ctx, host, psInflightList(), &out); err != nil {
		return Inflight{}, err
	}
	return out, nil
}

// RunningOperations lists the long operations running on host now.
func RunningOperations(ctx context.Context, env *Env, host string) ([]RunningOperation, error) {
	in, err := InflightOn(ctx, env, host)
	return in.Running, err
}

// ClearStaleMarkers removes the named markers from host, each only if its process is
// still gone, and returns those it removed.
func ClearStaleMarkers(ctx context.Context, env *Env, host string, files []string) ([]string, error) {
	var out struct {
		Cleared []string `json:"cleared"`
	}
	if err := env.PS(ctx, host, psInflightClear(files), &out); err != nil {
		return nil, err
	}
	return out.Cleared, nil
}

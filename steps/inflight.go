package steps

import (
	"context"
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

// RunningOperations lists the long operations running on host now.
func RunningOperations(ctx context.Context, env *Env, host string) ([]RunningOperation, error) {
	var out struct {
		Running []RunningOperation `json:"running"`
	}
	// Never from a round's shared reads: each call must see the node as it is now.
	fresh := *env
	fresh.Reads = nil
	if err := fresh.PS(ctx, host, psInflightList(), &out); err != nil {
		return nil, err
	}
	return out.Running, nil
}

package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	ssisha "github.com/ssisha/ssisha/app"
)

// lock takes the cluster's lock for a command that changes the estate; held by
// another run, the command stops at once (exit 3) naming the holder.
func (a *app) lock(ctx context.Context, s *openSession, command string) (func(), error) {
	release, err := s.Lock(ctx, s.ans, s.sec, command)
	if err != nil {
		var le *ssisha.LockedError
		if errors.As(err, &le) {
			return nil, &exitError{code: ExitAborted, err: err}
		}
		return nil, failed(s.Redact(err))
	}
	return release, nil
}

// showLock tells a read-only command's user that another run is changing the estate
// now, so that what they read may be moving.
func (a *app) showLock(ctx context.Context, s *openSession) {
	h, err := s.LockHolder(ctx, s.ans, s.sec)
	if err == nil && h != nil {
		fmt.Fprintf(a.errOut, "note: cluster %s is being changed by %s; what follows may change under you\n", s.ans.Cluster.Name, h)
	}
}

func registerBreakLock(cmd *cobra.Command, breakLock *bool) {
	cmd.Flags().BoolVar(breakLock, "break-lock", false, "remove another run's lock marker on the primary node first (only when that run is gone)")
}

package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// gracefulStop turns the first interrupt (Ctrl-C, SIGTERM, or a dropped terminal's
// SIGHUP, all of which cancel ctx) into a graceful stop: the actions running finish,
// nothing new starts, and the journal is left ready to resume. A second Ctrl-C
// cancels the running actions too. The returned context is the one to run with.
func (a *app) gracefulStop(ctx context.Context) (context.Context, <-chan struct{}, func()) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		fmt.Fprintln(a.errOut, "ssisha: stopping after the running actions finish; press Ctrl-C again to cancel them")
		close(stop)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sig)
		select {
		case <-sig:
			cancel()
		case <-done:
		}
	}()
	return runCtx, stop, func() { close(done); cancel() }
}

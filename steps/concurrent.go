package steps

import "sync"

// concurrently runs independent reads at once and returns their errors in the order
// given. Commands to different nodes do not share a shell, so a Detect or Verify that
// needs facts from several nodes waits for the slowest read instead of their sum.
// Callers look at the errors in the order they used to read, so what a target
// reports (which error, which block comes first) does not depend on the timing.
func concurrently(reads ...func() error) []error {
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Go(func() { errs[i] = read() })
	}
	wg.Wait()
	return errs
}

package cli

import (
	"slices"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
)

// slowPastLimit is how much longer the slow-operation cell makes an operation take:
// past the client's per-command time limit (two minutes) for a script that declares
// no longer one of its own.
const slowPastLimit = 2*time.Minute + 20*time.Second

// slowOp is the operation the slow-operation cell slows, in step slowOpStep: the
// settings change declares no time limit of its own, so the client's applies.
const (
	slowOpStep = 5
	slowOp     = "settings.master.set"
)

// extraMatrixCells are the cells the diagonal misses that the issue names beyond the
// pinned ones, run with the full matrix: an operation slower than its time limit (it
// waits out a real time limit).
func extraMatrixCells(full bool) []matrixCase {
	if !full {
		return nil
	}
	return []matrixCase{{step: slowOpStep, kind: lab.SlowOp}}
}

// setSlowOpPastLimit slows slowOp past its time limit on every node, and returns "*"
// (any node may be named).
func setSlowOpPastLimit(t *testing.T, r *labRun, fx *matrixFixture, step int) string {
	t.Helper()
	if !slices.Contains(fx.stepOps[step], slowOp) {
		t.Fatalf("step %d no longer runs %s (its operations: %v): choose another operation without a time limit of its own", step, slowOp, fx.stepOps[step])
	}
	mustFault(t, r.lab, lab.Fault{Kind: lab.SlowOp, Op: slowOp, Duration: slowPastLimit})
	return "*"
}

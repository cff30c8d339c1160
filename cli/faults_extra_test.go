package cli

import (
	"fmt"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
)

// slowPastLimit is how much longer the slow-operation cell makes an operation take:
// past the client's per-command time limit (two minutes) for a script that declares
// no longer one of its own.
const slowPastLimit = 2*time.Minute + 20*time.Second

// slowOpStep is the step whose first WinRM change the slow-operation cell slows: step
// 8's scripts declare no time limit of their own, so the client's applies.
const slowOpStep = 8

// extraMatrixCells are the cells the diagonal misses that the issue names: an
// authentication failure on the primary replica while the availability group is
// made, and (with the full matrix: it waits out a real time limit) an operation
// slower than its time limit.
func extraMatrixCells(full bool) []matrixCase {
	cells := []matrixCase{{step: 4, kind: lab.AuthFailure, host: node1}}
	if full {
		cells = append(cells, matrixCase{step: slowOpStep, kind: lab.SlowOp})
	}
	return cells
}

func (c matrixCase) name() string {
	if c.host != "" {
		return fmt.Sprintf("step%d/%s@%s", c.step, c.kind, c.host)
	}
	return fmt.Sprintf("step%d/%s", c.step, c.kind)
}

// setSlowOpPastLimit slows the step's first WinRM change past its time limit on every
// node, and returns "*" (any node may be named).
func setSlowOpPastLimit(t *testing.T, r *labRun, fx *matrixFixture, step int) string {
	t.Helper()
	for _, op := range fx.stepOps[step] {
		if fx.psOps[op] {
			mustFault(t, r.lab, lab.Fault{Kind: lab.SlowOp, Op: op, Duration: slowPastLimit})
			return "*"
		}
	}
	t.Skipf("step %d changes nothing over WinRM (its operations: %v)", step, fx.stepOps[step])
	return ""
}

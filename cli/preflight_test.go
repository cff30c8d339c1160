package cli

import (
	"testing"
)

// validate's network facts and preflight checks share their reads: what several
// checks need from a node is read once for the command, not once per check.
func TestValidateReadsEachFactOnce(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	r.lab.ResetStats()
	r.must("validate")
	ops := r.lab.Stats().Ops
	limits := map[string]int{
		// Once per master to detect the version when connecting, once per master for
		// the checks.
		"sql.server.facts": 4,
		// Once per node.
		"win.node.facts": 3,
		// Once per value: the field checks and the preflight ask the same.
		"win.name.check":    3,
		"win.address.check": 3,
	}
	for op, most := range limits {
		if ops[op] == 0 || ops[op] > most {
			t.Errorf("%s ran %d times, want 1 to %d (all operations: %v)", op, ops[op], most, ops)
		}
	}
}

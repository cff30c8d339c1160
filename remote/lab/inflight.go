package lab

import (
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// inflightBook tracks the PowerShell operations running on each node. An operation
// runs to its end once started, whether or not its client is still there (a WinRM
// command is stopped only by a Signal or the shell's deletion, which a killed client
// never sends), so a later client can find it (win.inflight.list) and a second SQL
// Server setup meets the first, as on a real node.
type inflightBook struct {
	mu      sync.Mutex
	seq     int
	running map[string]map[int]estate.RunningOp
}

// begin records op as running on host from now, and returns it (its PID is its
// process id on the node), the operations already running there and the function
// that records its end.
func (b *inflightBook) begin(host, op string) (self estate.RunningOp, others []estate.RunningOp, end func()) {
	key := strings.ToLower(host)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running == nil {
		b.running = map[string]map[int]estate.RunningOp{}
	}
	if b.running[key] == nil {
		b.running[key] = map[int]estate.RunningOp{}
	}
	for _, r := range b.running[key] {
		others = append(others, r)
	}
	b.seq++
	id := b.seq
	self = estate.RunningOp{Op: op, Since: time.Now(), PID: id}
	b.running[key][id] = self
	return self, others, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.running[key], id)
	}
}

// setupRunning reports whether SQL Server setup is among ops.
func setupRunning(ops []estate.RunningOp) bool {
	for _, r := range ops {
		if estate.IsSetup(r.Op) {
			return true
		}
	}
	return false
}

// Running lists the operations running now on each node (lower-case host), for tests
// and the demo's status line.
func (l *Lab) Running() map[string][]estate.RunningOp {
	l.inflight.mu.Lock()
	defer l.inflight.mu.Unlock()
	out := map[string][]estate.RunningOp{}
	for h, ops := range l.inflight.running {
		for _, r := range ops {
			out[h] = append(out[h], r)
		}
	}
	return out
}

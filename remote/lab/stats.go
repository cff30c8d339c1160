package lab

import (
	"strings"
	"sync"
	"time"
)

// Stats are the lab's counters since it started or since ResetStats: what the
// benchmarks and the demo's status line report.
type Stats struct {
	// Nodes by lower-case host.
	Nodes map[string]NodeStats
	// Ops counts the commands and batches per operation name.
	Ops map[string]int
	// Faults counts how often each injected fault struck.
	Faults map[FaultKind]int
}

// NodeStats are one node's counters.
type NodeStats struct {
	// Busy is the sum of the (scaled) operation delays charged to the node, and of
	// the work the estate does there by itself that a run has to wait for (a worker
	// registering after its service starts).
	Busy time.Duration
	// WinRMRequests counts WS-Management requests (Create, Command, Receive, …).
	WinRMRequests int
	// TDSRoundTrips counts TDS round trips to the node's instance, the listener's
	// included when the node was the primary.
	TDSRoundTrips int
	// Commands counts the operations run on the node.
	Commands int
	// Ops counts them per operation name.
	Ops map[string]int
}

// Stats returns a copy of the counters.
func (l *Lab) Stats() Stats {
	s := l.stats.snapshot()
	s.Faults = l.faults.countsCopy()
	return s
}

// ResetStats zeroes every counter, the fault counts included.
func (l *Lab) ResetStats() {
	l.stats.reset()
	l.faults.resetCounts()
}

// statsBook is the counters behind Stats; it has its own lock so that counting never
// waits for the estate.
type statsBook struct {
	mu    sync.Mutex
	nodes map[string]*NodeStats
	ops   map[string]int
}

func (b *statsBook) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nodes = map[string]*NodeStats{}
	b.ops = map[string]int{}
}

func (b *statsBook) node(host string) *NodeStats {
	key := strings.ToLower(host)
	n := b.nodes[key]
	if n == nil {
		n = &NodeStats{}
		b.nodes[key] = n
	}
	return n
}

func (b *statsBook) busy(host string, d time.Duration) {
	if d <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.node(host).Busy += d
}

func (b *statsBook) winrmRequest(host string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.node(host).WinRMRequests++
}

func (b *statsBook) tdsRoundTrip(host string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.node(host).TDSRoundTrips++
}

func (b *statsBook) command(host, op string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.node(host)
	n.Commands++
	if n.Ops == nil {
		n.Ops = map[string]int{}
	}
	n.Ops[op]++
	b.ops[op]++
}

func (b *statsBook) snapshot() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Stats{Nodes: make(map[string]NodeStats, len(b.nodes)), Ops: make(map[string]int, len(b.ops))}
	for k, v := range b.nodes {
		n := *v
		n.Ops = make(map[string]int, len(v.Ops))
		for op, c := range v.Ops {
			n.Ops[op] = c
		}
		s.Nodes[k] = n
	}
	for k, v := range b.ops {
		s.Ops[k] = v
	}
	return s
}

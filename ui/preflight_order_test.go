package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps/engine"
)

// Whatever order the results arrive in, the columns are the nodes in the answers'
// order and the rows the checks in the order each node runs them.
func TestPreflightGridKeepsItsOrder(t *testing.T) {
	hosts := []string{"node1", "node2", "worker1"}
	checks := []string{"WinRM reachable", "SQL Server version", "Firewall port 8391"}
	var events []engine.Event
	for _, h := range hosts {
		for _, c := range checks {
			events = append(events, engine.Event{Kind: engine.CheckFinished, Target: h, Check: &engine.CheckResult{Name: c, Status: "Success"}})
		}
	}
	orders := [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8}, {8, 5, 2, 7, 4, 1, 6, 3, 0}, {6, 3, 7, 0, 4, 8, 1, 5, 2}}
	for _, order := range orders {
		// Each node reports its own checks in order; the nodes interleave.
		var seq []engine.Event
		next := map[string]int{}
		for _, i := range order {
			h := events[i].Target
			seq = append(seq, events[slices.Index(hosts, h)*len(checks)+next[h]])
			next[h]++
		}
		var p preflightScreen
		p.reset(hosts)
		for _, e := range seq {
			p.event(e)
		}
		if !slices.Equal(p.nodes, hosts) || !slices.Equal(p.checks, checks) {
			t.Errorf("arrival %v: columns %v rows %v, want %v and %v", order, p.nodes, p.checks, hosts, checks)
		}
	}
}

// At 60 columns the node columns that do not fit are named, with the keys that show
// them.
func TestPreflightAnnouncesHiddenColumns(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 60, 24)
	var p preflightScreen
	p.reset([]string{"node1.contoso.com", "node2.contoso.com", "node3.contoso.com", "worker1.contoso.com"})
	for _, h := range p.hosts {
		p.event(engine.Event{Kind: engine.CheckFinished, Target: h, Check: &engine.CheckResult{Name: "WinRM reachable", Status: "Success"}})
	}
	p.running = false
	got := strings.Join(strings.Fields(ansiStrip(p.render(m.model, 60, 20))), " ")
	if !strings.Contains(got, "3 of 4 nodes shown") || !strings.Contains(got, "shows worker1") {
		t.Errorf("the hidden column is not announced:\n%s", p.render(m.model, 60, 20))
	}
}

package remote

import "testing"

func TestConfigNode(t *testing.T) {
	cfg := Config{Nodes: []Endpoint{{Host: "node1", WinRMPort: 1}, {Host: "Node2", WinRMPort: 2}}}
	if ep, ok := cfg.Node("NODE2"); !ok || ep.WinRMPort != 2 {
		t.Fatalf("Node(NODE2) = %+v, %v; want node2's endpoint", ep, ok)
	}
	if ep, ok := cfg.Node("node3"); ok || ep != (Endpoint{}) {
		t.Fatalf("Node(node3) = %+v, %v; want none", ep, ok)
	}
}

func TestIsSQLError(t *testing.T) {
	err := &SQLError{Number: 1205}
	if !IsSQLError(err, 976, 1205) || IsSQLError(err, 976) || IsSQLError(&SQLError{}, 0) || IsSQLError(nil, 0) {
		t.Fatal("IsSQLError matched the wrong numbers")
	}
}

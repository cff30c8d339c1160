package steps

import (
	"context"
	"strings"
	"testing"
)

func TestEndpointReachProbesEveryOtherReplica(t *testing.T) {
	l := newHALab(t, false)
	check := func() Check {
		return checkEndpointReach(context.Background(), l.env, Target{Host: "node1.contoso.com"})
	}
	// Before step 4 no endpoint listens: a warning that says so.
	if c := check(); c.Status != CheckWarning || !strings.Contains(c.Detail, "node2.contoso.com:5022") {
		t.Fatalf("before the endpoints exist: %s %q", c.Status, c.Detail)
	}
	l.apply(t, NewAvailabilityGroupStep(), nil)
	if c := check(); c.Status != CheckSuccess {
		t.Fatalf("with the endpoints and the rules: %s %q", c.Status, c.Detail)
	}
	delete(l.e.Nodes["node2.contoso.com"].Firewall, replicaFirewallRule(5022))
	if c := check(); c.Status != CheckWarning || !strings.Contains(c.Detail, "Windows Firewall blocks the port") {
		t.Errorf("with node2's endpoint port closed: %s %q", c.Status, c.Detail)
	}
}

package winrm

import (
	"context"
	"errors"
	"testing"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// A new connection authenticates in two requests (NEGOTIATE, then AUTHENTICATE with
// the request itself), not three, and an authenticated one sends each request once.
func TestNTLMHandshakeStartsAtOnce(t *testing.T) {
	p := startPeer(t, true, jsonHandler)
	c := newClient(t, p.config(t, nil))
	ctx := context.Background()
	if _, err := c.PowerShell(ctx, testHost, ps("first")); err != nil {
		t.Fatal(err)
	}
	waitReleased(t, p)
	// Create, Command, Receive on the command connection, Signal on the release
	// connection: four requests, and one NEGOTIATE per connection.
	if got := p.requests(); got != 6 {
		t.Fatalf("the first command cost %d requests, want 6 (two handshakes of two legs, Command, Receive)", got)
	}
	before := p.requests()
	if _, err := c.PowerShell(ctx, testHost, ps("second")); err != nil {
		t.Fatal(err)
	}
	waitReleased(t, p)
	if got := p.requests() - before; got != 3 {
		t.Fatalf("a command on authenticated connections cost %d requests, want 3", got)
	}
}

// Wrong credentials still end in the node's 401, after one handshake.
func TestNTLMHandshakeRefused(t *testing.T) {
	p := startPeer(t, true, jsonHandler)
	c := newClient(t, p.config(t, func(o *remote.WinRMOptions) { o.Password = script.NewSecret("winrm-password", "wrong") }))
	_, err := c.PowerShell(context.Background(), testHost, ps("probe"))
	if err == nil {
		t.Fatal("a wrong password was accepted")
	}
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Status != 401 {
		t.Fatalf("error = %v, want the node's 401", err)
	}
}

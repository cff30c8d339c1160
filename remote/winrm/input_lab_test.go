package winrm

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// TestInputThroughTheLab sends a secret parameter to a script on a lab node over
// the real protocol: the command asks for a pipe, not a console, as its stdin (in
// console mode the client's End is no end of file), and the script reads the secret
// from it.
func TestInputThroughTheLab(t *testing.T) {
	ops := estate.NewOperations()
	ops.AddPS("test.stdin.echo", func(_ *estate.OpContext, p estate.Params) (any, error) {
		return map[string]any{"secret": p.String("secret")}, nil
	})
	l, cfg := startLabFor(t, lab.Options{Ops: ops})
	c := newClient(t, cfg)
	const value = "Stdin-Pa55-\u00e9\\"
	s := script.PowerShell{Op: "test.stdin.echo", Params: map[string]any{"secret": script.NewSecret("stdin-secret", value)}, Body: "$r = 1"}
	out, err := c.PowerShell(context.Background(), l.Endpoints().Nodes[0].Host, s)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Secret string }
	if err := json.Unmarshal(out, &got); err != nil || got.Secret != value {
		t.Fatalf("the script read %q (%v), want the secret", got.Secret, err)
	}
}

package winrm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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

// TestLongScriptWithInputThroughTheLab runs a 20 KB script that compression cannot
// fit into a command line, with a secret input, on a lab node: it runs as one
// command, its text and then its input arriving on stdin, and the secret reaches no
// command line and no file.
func TestLongScriptWithInputThroughTheLab(t *testing.T) {
	ops := estate.NewOperations()
	ops.AddPS("test.stdin.long", func(_ *estate.OpContext, p estate.Params) (any, error) {
		return map[string]any{"secret": p.String("secret")}, nil
	})
	l, cfg := startLabFor(t, lab.Options{Ops: ops})
	c := newClient(t, cfg)
	host := l.Endpoints().Nodes[0].Host
	raw := make([]byte, 15_000)
	_, _ = rand.Read(raw)
	const value = "Long-Stdin-Pa55-\u00e9"
	s := script.PowerShell{Op: "test.stdin.long", Params: map[string]any{"secret": script.NewSecret("stdin-secret", value)},
		Body: "# " + base64.StdEncoding.EncodeToString(raw) + "\n$r = 1"}
	if n := len(s.Render()); n < 20_000 {
		t.Fatalf("test script is %d bytes, want 20 KB", n)
	}
	if _, ok := compressedCommand(s.Render()); ok {
		t.Fatal("the test script fits a command line compressed")
	}
	out, err := c.PowerShell(context.Background(), host, s)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Secret string }
	if err := json.Unmarshal(out, &got); err != nil || got.Secret != value {
		t.Fatalf("the script read %q (%v), want the secret", got.Secret, err)
	}
	if n := c.Commands(host); n != 1 {
		t.Fatalf("the script took %d commands, want 1", n)
	}
	l.Estate(func(e *estate.Estate) {
		if exposed := e.Node(host).SecretsExposed; len(exposed) != 0 {
			t.Errorf("the lab saw secrets exposed: %v", exposed)
		}
	})
}

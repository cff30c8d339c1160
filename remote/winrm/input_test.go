package winrm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
)

// seenCommand is what the node saw of one command that ran a script.
type seenCommand struct {
	script, file, line string
	onStdin            bool
	stdin              []byte
}

// TestInputTravelsOnStdinOnly sends a PFX-sized secret as script Input, with a
// script short enough for a command line and one too long even compressed, which
// itself travels on stdin before the input: the node reads the secret from stdin,
// no command line holds it, and no file is written.
func TestInputTravelsOnStdinOnly(t *testing.T) {
	raw := make([]byte, 2500)
	_, _ = rand.Read(raw)
	filler := make([]byte, 12000)
	_, _ = rand.Read(filler)
	pfx := script.NewSecret("master-pfx", "Canary-PFX-"+base64.StdEncoding.EncodeToString(raw))
	pw := script.NewSecret("pfx-password", "Canary-pässwörd-€")
	for _, tc := range []struct {
		name    string
		body    string
		onStdin bool
	}{
		{"command line", "'{}'", false},
		{"script on stdin", "# filler that does not compress: " + base64.StdEncoding.EncodeToString(filler) + "\n'{}'", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []seenCommand
			p := startPeer(t, true, func(ctx context.Context, user string, cmd wsman.Command) wsman.Result {
				in, _ := io.ReadAll(cmd.Stdin)
				mu.Lock()
				seen = append(seen, seenCommand{script: cmd.Script, file: cmd.File, line: cmd.CommandLine, onStdin: cmd.ScriptOnStdin, stdin: in})
				mu.Unlock()
				return jsonHandler(ctx, user, cmd)
			})
			c := newClient(t, p.config(t, nil))
			s := script.PowerShell{Op: "cert.import", Params: map[string]any{"thumbprint": "AB12"},
				Input: map[string]any{"pfx": pfx, "password": pw}, Body: tc.body}
			if _, err := c.PowerShell(context.Background(), testHost, s); err != nil {
				t.Fatal(err)
			}
			if len(seen) != 1 {
				t.Fatalf("the node ran %d scripts, want 1", len(seen))
			}
			got := seen[0]
			if got.file != "" || got.onStdin != tc.onStdin {
				t.Fatalf("ran from file %q, script on stdin %v; the test expects it on stdin: %v", got.file, got.onStdin, tc.onStdin)
			}
			if len(got.line) > maxCommandLine || strings.Contains(got.line, "Canary-") {
				t.Fatalf("the command line is %d characters or holds the secret", len(got.line))
			}
			if got.script != s.Render() || strings.Contains(got.script, "Canary-") {
				t.Fatal("the script text the node ran is not the rendered script without its input")
			}
			if !script.ReadsInput(got.script) {
				t.Fatal("the script does not read its stdin")
			}
			params := map[string]any{}
			if err := script.MergeInput(params, got.stdin); err != nil {
				t.Fatal(err)
			}
			if params["pfx"] != pfx.Reveal() || params["password"] != pw.Reveal() {
				t.Fatalf("stdin carried %q", got.stdin)
			}
			for _, b := range got.stdin {
				if b >= 0x80 {
					t.Fatalf("stdin is not ASCII: %q", got.stdin)
				}
			}
		})
	}
}

// TestInputSecretNeverInErrors: a node that echoes its stdin in every stream does
// not bring the secret into the error.
func TestInputSecretNeverInErrors(t *testing.T) {
	const canary = "Canary-9c1e-PFX"
	p := startPeer(t, true, func(_ context.Context, _ string, cmd wsman.Command) wsman.Result {
		in, _ := io.ReadAll(cmd.Stdin)
		return wsman.Result{Stdout: append([]byte("out "), in...), Stderr: wsman.CLIXMLError("failed with " + string(in)), ExitCode: 2}
	})
	red := script.NewRedactor()
	secret := script.NewSecret("master-pfx", canary)
	red.Add(secret)
	cfg := p.config(t, nil)
	cfg.Redactor = red
	s := script.PowerShell{Op: "cert.import", Input: map[string]any{"pfx": secret}, Body: "'{}'"}
	_, err := newClient(t, cfg).PowerShell(context.Background(), testHost, s)
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v", err)
	}
	if !strings.Contains(ce.Stderr, "<secret:master-pfx>") {
		t.Fatalf("the node did not echo its stdin, the test proves nothing: %q", ce.Stderr)
	}
	for _, text := range []string{err.Error(), ce.Stderr, ce.Stdout} {
		if strings.Contains(text, canary) {
			t.Fatalf("the secret leaked: %q", text)
		}
	}
}

// TestInputIsNotQueuedBehindReceive: the node holds a Receive until the command
// ends or the client's OperationTimeout passes, as Windows does, and a script that
// reads its stdin ends only after the client's End. The Send must therefore not wait
// for that Receive: the command finishes on its first Receive, within the call's
// timeout, whether the script came on the command line or on stdin.
func TestInputIsNotQueuedBehindReceive(t *testing.T) {
	filler := make([]byte, 12000)
	_, _ = rand.Read(filler)
	for _, tc := range []struct {
		name string
		body string
	}{
		{"command line", "'{}'"},
		{"script on stdin", "# filler that does not compress: " + base64.StdEncoding.EncodeToString(filler) + "\n'{}'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPeerPolling(t, true, func(ctx context.Context, user string, cmd wsman.Command) wsman.Result {
				if script.ReadsInput(cmd.Script) {
					if _, err := io.ReadAll(cmd.Stdin); err != nil {
						return wsman.Result{Stderr: wsman.CLIXMLError(err.Error()), ExitCode: 1}
					}
				}
				return jsonHandler(ctx, user, cmd)
			}, 0)
			c := newClient(t, p.config(t, nil))
			s := script.PowerShell{Op: "cert.import", Params: map[string]any{"thumbprint": "AB12"},
				Input: map[string]any{"password": script.NewSecret("pfx-password", "Pfx-Pa55")}, Body: tc.body}
			receivesBefore := p.count("Receive")
			if _, err := c.PowerShell(context.Background(), testHost, s); err != nil {
				t.Fatalf("the script with stdin input did not finish: %v", err)
			}
			if p.count("Send") == 0 {
				t.Fatal("the client sent no input")
			}
			// Each command is answered by one Receive; none timed out.
			if got, cmds := p.count("Receive")-receivesBefore, p.count("Command"); got != cmds {
				t.Errorf("%d Receives for %d commands: the input waited for a Receive to time out", got, cmds)
			}
		})
	}
}

// TestInputOverSeveralSendsArrivesWhole: an input larger than one envelope goes in
// several Sends, the last of them carrying End, and arrives whole and in order.
func TestInputOverSeveralSendsArrivesWhole(t *testing.T) {
	raw := make([]byte, 300_000)
	_, _ = rand.Read(raw)
	big := base64.StdEncoding.EncodeToString(raw)
	var mu sync.Mutex
	var got []byte
	p := startPeer(t, true, func(ctx context.Context, user string, cmd wsman.Command) wsman.Result {
		in, _ := io.ReadAll(cmd.Stdin)
		mu.Lock()
		got = in
		mu.Unlock()
		return jsonHandler(ctx, user, cmd)
	})
	c := newClient(t, p.config(t, nil))
	s := script.PowerShell{Op: "cert.import", Input: map[string]any{"pfx": script.NewSecret("master-pfx", big)}, Body: "'{}'"}
	if _, err := c.PowerShell(context.Background(), testHost, s); err != nil {
		t.Fatal(err)
	}
	params := map[string]any{}
	if err := script.MergeInput(params, got); err != nil || params["pfx"] != big {
		t.Fatalf("the input arrived as %d bytes (%v)", len(got), err)
	}
	// 400 KB of JSON in envelopes of about 150 KB: three Sends, End on the last.
	if n := p.count("Send"); n != 3 {
		t.Errorf("%d Sends, want 3", n)
	}
}

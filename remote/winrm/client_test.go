package winrm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
)

func TestTransportSecurityAndAuth(t *testing.T) {
	tlsPeer := startPeer(t, true, jsonHandler)
	httpPeer := startPeer(t, false, jsonHandler)
	otherCA := startPeer(t, true, jsonHandler) // only its CA file is used
	tests := []struct {
		name    string
		peer    *peer
		mutate  func(*remote.WinRMOptions)
		newErr  string // New fails with this
		wantErr string // PowerShell fails with this
		status  int
	}{
		{name: "https with the lab CA and NTLM", peer: tlsPeer},
		{name: "https with a wrong CA", peer: tlsPeer, mutate: func(o *remote.WinRMOptions) { o.CAFile = otherCA.caFile }, wantErr: "certificate"},
		{name: "https insecure", peer: tlsPeer, mutate: func(o *remote.WinRMOptions) { o.CAFile = ""; o.Insecure = true }},
		{name: "ntlm wrong password", peer: tlsPeer, mutate: func(o *remote.WinRMOptions) { o.Password = script.NewSecret("winrm-password", "wrong") }, wantErr: "401", status: 401},
		{name: "ntlm unknown user", peer: tlsPeer, mutate: func(o *remote.WinRMOptions) { o.User = `CONTOSO\nobody` }, wantErr: "401", status: 401},
		{name: "basic over https", peer: tlsPeer, mutate: func(o *remote.WinRMOptions) { o.Auth, o.User = AuthBasic, testLocalUser }},
		{name: "basic with a domain account", peer: tlsPeer, mutate: func(o *remote.WinRMOptions) { o.Auth = AuthBasic }, wantErr: "401", status: 401},
		{name: "basic over http refused", peer: httpPeer, mutate: func(o *remote.WinRMOptions) { o.Auth = AuthBasic }, newErr: "clear text"},
		{name: "basic over http allowed", peer: httpPeer, mutate: func(o *remote.WinRMOptions) {
			o.Auth, o.User, o.AllowBasicOverHTTP = AuthBasic, testLocalUser, true
		}},
		{name: "basic wrong password", peer: httpPeer, mutate: func(o *remote.WinRMOptions) {
			o.Auth, o.User = AuthBasic, testLocalUser
			o.AllowBasicOverHTTP = true
			o.Password = script.NewSecret("winrm-password", "nope")
		}, wantErr: "401", status: 401},
		{name: "ntlm over http", peer: httpPeer},
		{name: "certificate needs https", peer: httpPeer, mutate: func(o *remote.WinRMOptions) { o.Auth = AuthCertificate }, newErr: "only over HTTPS"},
		{name: "unknown auth", peer: httpPeer, mutate: func(o *remote.WinRMOptions) { o.Auth = "digest" }, newErr: "not an auth method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.peer.config(t, tt.mutate))
			if tt.newErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.newErr) {
					t.Fatalf("New error = %v, want it to mention %q", err, tt.newErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer c.Close()
			out, err := c.PowerShell(context.Background(), testHost, ps("probe"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to mention %q", err, tt.wantErr)
				}
				if tt.status != 0 {
					var pe *ProtocolError
					if !errors.As(err, &pe) || pe.Status != tt.status {
						t.Fatalf("error %v is not a ProtocolError with status %d", err, tt.status)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("PowerShell: %v", err)
			}
			if string(out) != `{"op":"probe"}` {
				t.Fatalf("output = %s", out)
			}
		})
	}
}

func TestWarningsAreGivenOnce(t *testing.T) {
	p := startPeer(t, false, jsonHandler)
	cfg := p.config(t, func(o *remote.WinRMOptions) { o.Auth = AuthBasic; o.AllowBasicOverHTTP = true })
	var warnings []string
	cfg.Warn = func(m string) { warnings = append(warnings, m) }
	if _, err := New(cfg); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 {
		t.Fatalf("warnings = %q, want one for plain HTTP and one for Basic", warnings)
	}
}

func TestShellIsReusedAndRecycled(t *testing.T) {
	p := startPeer(t, true, jsonHandler)
	c := newClient(t, p.config(t, func(o *remote.WinRMOptions) { o.MaxCommandsPerShell = 4 }))
	ctx := context.Background()
	if _, err := c.PowerShell(ctx, testHost, ps("warm-up")); err != nil {
		t.Fatal(err)
	}
	waitReleased(t, p)
	before := map[string]int{}
	for _, a := range []string{"Command", "Receive", "Signal"} {
		before[a] = p.count(a)
	}
	for range 2 {
		if _, err := c.PowerShell(ctx, testHost, ps("probe")); err != nil {
			t.Fatal(err)
		}
	}
	waitReleased(t, p)
	// Each command costs one Command, one Receive and one Signal; the Signal goes
	// in the background, on a second connection once.
	for _, a := range []string{"Command", "Receive", "Signal"} {
		if per := (p.count(a) - before[a]) / 2; per != 1 {
			t.Fatalf("a command in a reused shell sent %d %s requests, want 1", per, a)
		}
	}
	if p.count("Create") != 1 {
		t.Fatalf("shells created = %d, want 1", p.count("Create"))
	}
	// The fourth command fills the shell; the fifth opens a new one.
	for range 2 {
		if _, err := c.PowerShell(ctx, testHost, ps("probe")); err != nil {
			t.Fatal(err)
		}
	}
	if p.count("Create") != 2 || p.count("Delete") != 1 {
		t.Fatalf("Create=%d Delete=%d, want 2 and 1 after MaxCommandsPerShell", p.count("Create"), p.count("Delete"))
	}
	if got := c.Commands(testHost); got != 5 {
		t.Fatalf("Commands = %d, want 5", got)
	}
	if c.Requests(testHost) < p.requests() {
		t.Fatalf("client counted %d requests, server saw %d", c.Requests(testHost), p.requests())
	}
}

// waitReleased waits until every command the peer ran was released by its Signal,
// which the client sends in the background.
func waitReleased(t *testing.T, p *peer) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.count("Signal") < p.count("Command") {
		if time.Now().After(deadline) {
			t.Fatalf("%d commands, only %d released by a Signal", p.count("Command"), p.count("Signal"))
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLongScriptArrivesIntact(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	p := startPeer(t, true, func(ctx context.Context, user string, cmd wsman.Command) wsman.Result {
		mu.Lock()
		seen = append(seen, cmd.Script)
		mu.Unlock()
		return jsonHandler(ctx, user, cmd)
	})
	c := newClient(t, p.config(t, nil))
	body := strings.Repeat("# filler line with ünïcödé and 'quotes' & <xml> %TEMP% ^ | characters\n", 700)
	s := script.PowerShell{Op: "big", Params: map[string]any{"pwd": script.NewSecret("p", "s3cr3t")}, Body: body + "'{}'"}
	if len(s.Render()) < 50_000 {
		t.Fatalf("test script is only %d bytes", len(s.Render()))
	}
	out, err := c.PowerShell(context.Background(), testHost, s)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"op":"big"}` {
		t.Fatalf("output = %s", out)
	}
	if len(seen) != 1 || seen[0] != s.Render() {
		t.Fatalf("handler saw %d scripts; the script did not arrive intact", len(seen))
	}
	// A short script afterwards runs in the same shell.
	if _, err := c.PowerShell(context.Background(), testHost, ps("after")); err != nil {
		t.Fatal(err)
	}
	if p.count("Create") != 1 {
		t.Fatalf("shells created = %d, want 1", p.count("Create"))
	}
}

func TestFailedScriptBecomesCommandError(t *testing.T) {
	p := startPeer(t, true, func(context.Context, string, wsman.Command) wsman.Result {
		return wsman.Result{Stdout: []byte("partial"), Stderr: wsman.CLIXMLError("Cluster service is not running.\nStart it with Start-Service ClusSvc."), ExitCode: 1}
	})
	c := newClient(t, p.config(t, nil))
	_, err := c.PowerShell(context.Background(), testHost, ps("cluster-detect"))
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a CommandError", err)
	}
	want := "Cluster service is not running.\nStart it with Start-Service ClusSvc."
	if ce.Stderr != want || ce.ExitCode != 1 || ce.Op != "cluster-detect" || ce.Host != testHost || ce.Stdout != "partial" {
		t.Fatalf("CommandError = %+v", ce)
	}
	if !strings.Contains(err.Error(), "cluster-detect on node1.contoso.com failed with exit code 1: Cluster service") {
		t.Fatalf("message = %q", err)
	}
}

func TestOutputMustBeOneJSONObject(t *testing.T) {
	tests := []struct {
		stdout, want string
	}{
		{" \r\n{\"a\":1}\r\n", `{"a":1}`},
		{"\ufeff{}", `{}`},
		{"hello", ""},
		{`{"a":1}{"b":2}`, ""},
		{`[1,2]`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		p := startPeer(t, false, func(context.Context, string, wsman.Command) wsman.Result {
			return wsman.Result{Stdout: []byte(tt.stdout)}
		})
		c := newClient(t, p.config(t, nil))
		out, err := c.PowerShell(context.Background(), testHost, ps("probe"))
		if tt.want == "" {
			if err == nil || !strings.Contains(err.Error(), "not one JSON object") {
				t.Errorf("stdout %q: error = %v, want a not-JSON error", tt.stdout, err)
			}
			continue
		}
		if err != nil || !json.Valid(out) || string(out) != tt.want {
			t.Errorf("stdout %q: got %s, %v", tt.stdout, out, err)
		}
	}
}

func TestReceiveFaultEndsTheCommand(t *testing.T) {
	p := startPeer(t, true, jsonHandler)
	p.setFault(func(ri wsman.RequestInfo) *wsman.Fault {
		if ri.Action == "Receive" {
			return &wsman.Fault{Status: 500, Subcode: "w:InternalError", Reason: "The shell was lost."}
		}
		return nil
	})
	c := newClient(t, p.config(t, nil))
	s := ps("probe")
	s.ReadOnly = true // not transient, so not retried either
	_, err := c.PowerShell(context.Background(), testHost, s)
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Status != 500 || !strings.Contains(pe.Fault, "The shell was lost.") {
		t.Fatalf("error = %v, want the InternalError fault", err)
	}
	if n := p.count("Receive"); n > 2 {
		t.Fatalf("%d Receive requests after a fault; the command must end at once", n)
	}
}

func TestCancelSignalsTheCommand(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	p := startPeer(t, true, func(ctx context.Context, _ string, _ wsman.Command) wsman.Result {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return wsman.Result{ExitCode: 1}
	})
	c := newClient(t, p.config(t, nil))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		// Cancel while the client long-polls for output, as a user pressing ^C would.
		for p.count("Receive") == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := c.PowerShell(ctx, testHost, ps("slow"))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "slow on "+testHost) {
		t.Fatalf("error = %v, want context.Canceled naming op and host", err)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context was not cancelled")
	}
	if p.count("Signal") == 0 {
		t.Fatal("no Signal was sent")
	}
}

func TestRetriesOnlyWhenAllowed(t *testing.T) {
	for _, tt := range []struct {
		name      string
		readOnly  bool
		idem      bool
		fault     wsman.Fault
		wantOK    bool
		wantTries int
	}{
		{name: "read-only after 503", readOnly: true, fault: wsman.Fault{Status: 503, Subcode: "w:InternalError", Reason: "busy"}, wantOK: true, wantTries: 2},
		{name: "idempotent after quota", idem: true, fault: wsman.Fault{Status: 500, Subcode: "w:QuotaLimit", Reason: "too many shells"}, wantOK: true, wantTries: 2},
		{name: "read-only after a dropped connection", readOnly: true, fault: wsman.Fault{Drop: true}, wantOK: true, wantTries: 2},
		{name: "non-idempotent after 503", fault: wsman.Fault{Status: 503, Reason: "busy"}, wantTries: 1},
		{name: "read-only after a lasting 503", readOnly: true, fault: wsman.Fault{Status: 503, Reason: "busy"}, wantTries: maxAttempts},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startPeer(t, true, jsonHandler)
			var mu sync.Mutex
			faults := 0
			lasting := !tt.wantOK && tt.wantTries > 1
			p.setFault(func(ri wsman.RequestInfo) *wsman.Fault {
				mu.Lock()
				defer mu.Unlock()
				if ri.Action == "Command" && (faults == 0 || lasting) {
					faults++
					f := tt.fault
					return &f
				}
				return nil
			})
			c := newClient(t, p.config(t, nil))
			s := ps("probe")
			s.ReadOnly, s.Idempotent = tt.readOnly, tt.idem
			_, err := c.PowerShell(context.Background(), testHost, s)
			if tt.wantOK != (err == nil) {
				t.Fatalf("error = %v", err)
			}
			if got := c.Commands(testHost); got != tt.wantTries {
				t.Fatalf("attempts = %d, want %d", got, tt.wantTries)
			}
		})
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	const canary = "Canary-7f3a-PASS"
	var got string
	p := startPeer(t, true, func(_ context.Context, _ string, cmd wsman.Command) wsman.Result {
		in, _ := io.ReadAll(cmd.Stdin)
		got = cmd.Script + "\n" + string(in)
		// A node that echoes its input back in every stream.
		return wsman.Result{Stdout: []byte("out " + canary), Stderr: wsman.CLIXMLError("failed with " + canary), ExitCode: 2}
	})
	red := script.NewRedactor()
	secret := script.NewSecret("master-key", canary)
	red.Add(secret)
	cfg := p.config(t, nil)
	cfg.Redactor = red
	c := newClient(t, cfg)
	s := script.PowerShell{Op: "set-key", Params: map[string]any{"key": secret}, Body: "'{}'"}
	_, err := c.PowerShell(context.Background(), testHost, s)
	if !strings.Contains(got, canary) {
		t.Fatal("the secret did not reach the node")
	}
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v", err)
	}
	for _, text := range []string{err.Error(), ce.Stderr, ce.Stdout} {
		if strings.Contains(text, canary) {
			t.Fatalf("the secret leaked: %q", text)
		}
	}
	// Output that is not JSON is quoted in the error, redacted.
	p2 := startPeer(t, true, func(context.Context, string, wsman.Command) wsman.Result {
		return wsman.Result{Stdout: []byte("password is " + canary)}
	})
	cfg2 := p2.config(t, nil)
	cfg2.Redactor = red
	_, err = newClient(t, cfg2).PowerShell(context.Background(), testHost, s)
	if err == nil || strings.Contains(err.Error(), canary) || !strings.Contains(err.Error(), "<secret:master-key>") {
		t.Fatalf("error = %v", err)
	}
	// A wrong WinRM password never shows either.
	cfg3 := p.config(t, func(o *remote.WinRMOptions) { o.Password = script.NewSecret("winrm-password", canary+"x") })
	_, err = newClient(t, cfg3).PowerShell(context.Background(), testHost, ps("probe"))
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Fatalf("error = %v", err)
	}
}

func TestDeadlineBoundsTheCall(t *testing.T) {
	p := startPeer(t, true, func(ctx context.Context, _ string, _ wsman.Command) wsman.Result {
		<-ctx.Done()
		return wsman.Result{}
	})
	c := newClient(t, p.config(t, func(o *remote.WinRMOptions) { o.Timeout = 300 * time.Millisecond }))
	_, err := c.PowerShell(context.Background(), testHost, ps("hang"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline", err)
	}
}

// A script that says it may take longer than the client's per-command timeout (SQL
// Server setup) gets its own; one that does not is cut at the client's.
func TestScriptTimeoutLongerThanTheClients(t *testing.T) {
	p := startPeer(t, true, func(ctx context.Context, user string, cmd wsman.Command) wsman.Result {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-ctx.Done():
			return wsman.Result{ExitCode: 1}
		}
		return jsonHandler(ctx, user, cmd)
	})
	c := newClient(t, p.config(t, func(o *remote.WinRMOptions) { o.Timeout = 100 * time.Millisecond }))
	ctx := context.Background()
	if _, err := c.PowerShell(ctx, testHost, ps("short")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a script slower than the client's timeout: err = %v, want the deadline", err)
	}
	long := ps("long")
	long.Timeout = 10 * time.Second
	if _, err := c.PowerShell(ctx, testHost, long); err != nil {
		t.Fatalf("a script within its own timeout failed: %v", err)
	}
}

package winrm

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/labca"
	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
)

const (
	testHost = "node1.contoso.com"
	testUser = `CONTOSO\svc_ssisha`
	// testLocalUser is the node's local administrator, the kind of account WinRM
	// takes Basic for.
	testLocalUser = `NODE1\admin`
	testPass      = "Pa55-w0rd!"
)

// peer is one lab node: a wsman server and what it saw.
type peer struct {
	srv    *wsman.Server
	caFile string
	mu     sync.Mutex
	counts map[string]int // by action
	total  int
	fault  func(wsman.RequestInfo) *wsman.Fault
}

func (p *peer) count(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[action]
}

func (p *peer) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

func (p *peer) setFault(f func(wsman.RequestInfo) *wsman.Fault) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

// startPeer serves handler on loopback, over HTTPS with a lab CA when tlsOn; a
// Receive waits at most 100ms for output, so tests see timeouts quickly.
func startPeer(t *testing.T, tlsOn bool, handler wsman.Handler) *peer {
	t.Helper()
	return startPeerPolling(t, tlsOn, handler, 100*time.Millisecond)
}

// startPeerPolling is startPeer with Receive waiting poll for output; 0 honours
// the client's OperationTimeout, as Windows does.
func startPeerPolling(t *testing.T, tlsOn bool, handler wsman.Handler, poll time.Duration) *peer {
	t.Helper()
	p := &peer{counts: map[string]int{}}
	opts := wsman.Options{
		Host:   testHost,
		Domain: "CONTOSO",
		PasswordFor: func(u string) (string, bool) {
			return testPass, u == testUser || u == testLocalUser
		},
		Handler:     handler,
		PollTimeout: poll,
		OnRequest: func(ri wsman.RequestInfo) {
			p.mu.Lock()
			if ri.User != "" { // handshake legs are counted in total only
				p.counts[ri.Action]++
			}
			p.total++
			p.mu.Unlock()
		},
		Fault: func(ri wsman.RequestInfo) *wsman.Fault {
			p.mu.Lock()
			f := p.fault
			p.mu.Unlock()
			if f == nil {
				return nil
			}
			return f(ri)
		},
	}
	if tlsOn {
		ca, err := labca.New("lab CA")
		if err != nil {
			t.Fatal(err)
		}
		cert, err := ca.Issue(testHost)
		if err != nil {
			t.Fatal(err)
		}
		opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		p.caFile = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(p.caFile, ca.PEM(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.srv = wsman.NewServer(opts)
	if err := p.srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.srv.Close() })
	return p
}

// config points a client at p.
func (p *peer) config(t *testing.T, mutate func(*remote.WinRMOptions)) remote.Config {
	t.Helper()
	_, port := splitPort(t, p.srv.Addr())
	o := remote.WinRMOptions{
		Auth: AuthNTLM, HTTPS: p.caFile != "", CAFile: p.caFile,
		User: testUser, Password: script.NewSecret("winrm-password", testPass),
		Timeout: 10 * time.Second,
	}
	if mutate != nil {
		mutate(&o)
	}
	return remote.Config{
		Nodes: []remote.Endpoint{{Host: testHost, WinRMAddress: "127.0.0.1", WinRMPort: port}},
		WinRM: o,
		Warn:  func(string) {},
	}
}

func newClient(t *testing.T, cfg remote.Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.backoff = time.Millisecond
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// jsonHandler answers every PowerShell script with {"op":"<op>"}.
func jsonHandler(_ context.Context, _ string, cmd wsman.Command) wsman.Result {
	op, _, err := script.ParsePowerShell(cmd.Script)
	if err != nil {
		return wsman.Result{Stderr: wsman.CLIXMLError("unknown command: " + err.Error()), ExitCode: 1}
	}
	return wsman.Result{Stdout: []byte(`{"op":"` + op + `"}` + "\r\n")}
}

func ps(op string) script.PowerShell {
	return script.PowerShell{Op: op, Body: "[pscustomobject]@{ok=$true} | ConvertTo-Json -Compress"}
}

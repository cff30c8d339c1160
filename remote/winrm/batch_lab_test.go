package winrm

import (
	"context"
	"errors"
	"github.com/ssisha/ssisha/envvar"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/script"
)

// startLabFor starts a lab with opts and returns a client configuration for it:
// NTLM over HTTPS as the lab's administrator.
func startLabFor(t *testing.T, opts lab.Options) (*lab.Lab, remote.Config) {
	t.Helper()
	opts.Dir = t.TempDir()
	l, err := lab.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	ep := l.Endpoints()
	cfg := remote.Config{
		WinRM: remote.WinRMOptions{Auth: AuthNTLM, HTTPS: true, CAFile: ep.CAFile, User: ep.AdminUser,
			Password: script.NewSecret("admin-password", l.Secrets()[envvar.WinRMPassword]), Timeout: 30 * time.Second},
		Warn: func(string) {},
	}
	for _, n := range ep.Nodes {
		addr, port := splitPort(t, n.WinRM)
		cfg.Nodes = append(cfg.Nodes, remote.Endpoint{Host: n.Host, WinRMAddress: addr, WinRMPort: port})
	}
	return l, cfg
}

// holdShells starts k commands on host (read-only ones when readOnly) that each
// keep a shell of the node busy (a slow operation) until stop, and waits until all
// of them run. stop lets them go and waits until each has ended as cancelled.
func holdShells(ctx context.Context, t *testing.T, l *lab.Lab, c *Client, host string, k int, readOnly bool) (holds []<-chan outcome, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	if err := l.SetFault(lab.Fault{Kind: lab.SlowOp, Host: host, Op: "win.node.facts", Duration: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	for range k {
		holds = append(holds, startOn(ctx, c, host, script.PowerShell{Op: "win.node.facts", Body: "x", ReadOnly: readOnly}))
	}
	for deadline := time.Now().Add(10 * time.Second); l.Stats().Ops["win.node.facts"] < k; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the %d slow operations started", l.Stats().Ops["win.node.facts"], k)
		}
	}
	return holds, func() {
		t.Helper()
		cancel()
		for _, h := range holds {
			if o := <-h; !errors.Is(o.err, context.Canceled) {
				t.Fatalf("hold: %v", o.err)
			}
		}
	}
}

// TestCommandsOnOneNodeOverlap: commands on one node run at once, each in a shell
// of its own, up to the client's shells, and a read beside them; the lab runs them
// side by side as Windows does.
func TestCommandsOnOneNodeOverlap(t *testing.T) {
	l, cfg := startLabFor(t, lab.Options{})
	host := l.Endpoints().Nodes[0].Host
	c := newClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// holdShells returns once the lab has started every command, and none ends
	// before stopHold: they all run at once.
	holds, stopHold := holdShells(ctx, t, l, c, host, c.shells, false)
	for i, h := range holds {
		select {
		case o := <-h:
			t.Fatalf("command %d ended before it was let go: %v", i, o.err)
		default:
		}
	}
	if c.shells < 2 {
		t.Fatalf("the client runs %d command per node at once", c.shells)
	}
	// A read has a shell of its own: it does not wait for them.
	read := script.PowerShell{Op: "win.feature.get", Params: map[string]any{"name": "Failover-Clustering"}, Body: "x", ReadOnly: true}
	if _, err := c.PowerShell(ctx, host, read); err != nil {
		t.Fatalf("a read while every other shell is busy: %v", err)
	}
	stopHold()
}

// TestBatchThroughTheLab runs read-only scripts that queue while the node's shell of
// reads is busy against the lab, over the real protocols: the lab runs the batch's
// operations one by one, and each caller gets what it would have got alone.
func TestBatchThroughTheLab(t *testing.T) {
	l, cfg := startLabFor(t, lab.Options{})
	host := l.Endpoints().Nodes[0].Host
	c := newClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A slow read keeps the shell of the node's reads busy until its caller gives
	// up; the node's other shells are free, and reads still queue for theirs.
	_, stopHold := holdShells(ctx, t, l, c, host, 1, true)
	features := []string{"Failover-Clustering", "NET-Framework-Core", "RSAT-Clustering-PowerShell"}
	var reads []<-chan outcome
	for _, name := range features {
		reads = append(reads, startOn(ctx, c, host, script.PowerShell{Op: "win.feature.get", Params: map[string]any{"name": name}, Body: "x", ReadOnly: true}))
	}
	unknown := script.PowerShell{Op: "win.nothing.get", Body: "x", ReadOnly: true}
	failed := startOn(ctx, c, host, unknown)
	waitQueuedOn(t, c, host, len(features)+1)
	stopHold()
	for i, ch := range reads {
		o := <-ch
		if o.err != nil || !strings.Contains(string(o.out), `"name":"`+features[i]+`"`) {
			t.Errorf("%s: %s, %v", features[i], o.out, o.err)
		}
	}
	batched := (<-failed).err
	var ce *CommandError
	if !errors.As(batched, &ce) || ce.Op != unknown.Op || !strings.Contains(ce.Stderr, "unknown operation 'win.nothing.get'") {
		t.Fatalf("unknown operation in the batch: %v", batched)
	}
	if n := c.Commands(host); n != 2 {
		t.Errorf("Commands = %d, want 2: the slow one and the batch", n)
	}
	st := l.Stats()
	if st.Ops["win.feature.get"] != len(features) || st.Ops["win.nothing.get"] != 1 || st.Nodes[strings.ToLower(host)].Commands != len(features)+2 {
		t.Errorf("lab stats %+v, want every operation of the batch counted", st)
	}
	// Alone, on an idle node, the unknown operation fails the same way.
	_, alone := c.PowerShell(ctx, host, unknown)
	if alone == nil || alone.Error() != batched.Error() {
		t.Errorf("alone: %v\nbatched: %v", alone, batched)
	}
}

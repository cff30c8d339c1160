// Package winrm runs PowerShell scripts on the nodes over WinRM: one reused shell
// per node, read-only scripts that meet at a busy node run together as one command,
// long scripts uploaded in chunks, every failure reported with its node and
// operation, and no secret in any error.
package winrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mz "github.com/masterzen/winrm"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// maxAttempts bounds the tries of a retryable script.
const maxAttempts = 4

// Client runs PowerShell on many nodes. It is safe for concurrent use; commands on
// one node run one at a time, in that node's shell. Read-only scripts that wait for
// a busy node are run together, as one batch command (see batch.go).
type Client struct {
	cfg      remote.Config
	set      *settings
	redactor *script.Redactor
	backoff  time.Duration // first retry delay; doubles each attempt

	mu     sync.Mutex
	nodes  map[string]*node
	closed bool
}

// node is one host's masterzen client and its shell.
type node struct {
	host string
	// slot is held by whoever runs a command in the shell: one at a time. It is a
	// channel so that a caller can wait for it and for its own context, or for a
	// batch that serves it, at once.
	slot chan struct{}
	// qmu guards queue: the read-only scripts waiting for the shell, oldest first,
	// which the next command on the node runs as one batch.
	qmu     sync.Mutex
	queue   []*pending
	tr      *transport
	mc      *mz.Client
	shell   *mz.Shell
	inShell int // commands run in the current shell
	// releasing counts the Signal requests still releasing finished commands; the
	// shell is deleted only after them.
	releasing sync.WaitGroup
	requests  atomic.Int64
	commands  atomic.Int64
}

// New checks the WinRM options and returns a client; it connects to nothing yet.
func New(cfg remote.Config) (*Client, error) {
	warned := map[string]bool{}
	var wmu sync.Mutex
	warn := func(msg string) {
		wmu.Lock()
		defer wmu.Unlock()
		if cfg.Warn != nil && !warned[msg] {
			warned[msg] = true
			cfg.Warn(msg)
		}
	}
	set, err := checkOptions(cfg.WinRM, warn)
	if err != nil {
		return nil, cfg.Redactor.RedactError(err)
	}
	red := cfg.Redactor
	if red == nil {
		red = script.NewRedactor()
	}
	red.Add(cfg.WinRM.Password)
	return &Client{cfg: cfg, set: set, redactor: red, backoff: 200 * time.Millisecond, nodes: map[string]*node{}}, nil
}

// endpoint finds host among the configured nodes; an unlisted host is reached by
// its name on the default port.
func (c *Client) endpoint(host string) remote.Endpoint {
	if ep, ok := c.cfg.Node(host); ok {
		return ep
	}
	return remote.Endpoint{Host: host}
}

func (c *Client) node(host string) (*node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("WinRM client is closed; %s cannot be reached through it", host)
	}
	key := strings.ToLower(host)
	if n := c.nodes[key]; n != nil {
		return n, nil
	}
	n := &node{host: host, slot: make(chan struct{}, 1)}
	tr := c.set.newTransport(c.endpoint(host), &n.requests)
	params := mz.NewParameters(c.set.opTimeout, "en-US", 153600)
	params.TransportDecorator = func() mz.Transporter { return tr }
	mc, err := mz.NewClientWithParameters(&mz.Endpoint{Host: host}, "", "", params)
	if err != nil {
		return nil, fmt.Errorf("WinRM client for %s: %w", host, err)
	}
	n.tr, n.mc = tr, mc
	c.nodes[key] = n
	return n, nil
}

// PowerShell runs s on host and returns the one JSON object it printed. A script
// marked ReadOnly or Idempotent is retried after a transient failure.
func (c *Client) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	n, err := c.node(host)
	if err != nil {
		return nil, c.redactor.RedactError(err)
	}
	retryable := s.ReadOnly || s.Idempotent
	delay := c.backoff
	for attempt := 1; ; attempt++ {
		out, err := c.runScript(ctx, n, s)
		if err == nil {
			return out, nil
		}
		if !retryable || attempt >= maxAttempts || ctx.Err() != nil || !transient(err) {
			if attempt > 1 {
				err = fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return nil, c.redactor.RedactError(err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, c.redactor.RedactError(fmt.Errorf("%s on %s: %w (while waiting to retry after: %v)", s.Op, host, ctx.Err(), err))
		case <-t.C:
		}
		delay *= 2
	}
}

// runScript runs one attempt of s in n's shell: alone, or with other read-only
// scripts in a batch when s is read-only and the node is busy.
func (c *Client) runScript(ctx context.Context, n *node, s script.PowerShell) (json.RawMessage, error) {
	text := s.Render()
	if batchable(s, text) {
		return c.runRead(ctx, n, s, text)
	}
	if err := n.acquire(ctx); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", s.Op, n.host, err)
	}
	defer n.release()
	return c.runAlone(ctx, n, s, text)
}

// runAlone runs s, rendered as text, as a command of its own. The caller holds the
// shell.
func (c *Client) runAlone(ctx context.Context, n *node, s script.PowerShell, text string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, max(c.set.timeout, s.Timeout))
	defer cancel()
	n.tr.setContext(ctx)
	defer n.tr.setContext(context.Background())
	n.commands.Add(1)

	res, err := c.execute(ctx, n, text, s.InputBytes())
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("%s on %s: %w", s.Op, n.host, err)
	}
	if res.code != 0 {
		return nil, &CommandError{Host: n.host, Op: s.Op, ExitCode: res.code,
			Stderr: c.redactor.Redact(DecodeCLIXML(res.stderr)), Stdout: c.redactor.Redact(res.stdout)}
	}
	return c.decodeScriptOutput(n, s.Op, res.stdout)
}

// decodeScriptOutput returns the one JSON object the script op printed on stdout.
func (c *Client) decodeScriptOutput(n *node, op, stdout string) (json.RawMessage, error) {
	out, err := decodeOutput(stdout)
	if err != nil {
		return nil, fmt.Errorf("%s on %s printed %s, not one JSON object (%v); the script must end with ConvertTo-Json -Compress",
			op, n.host, quoteOutput(c.redactor.Redact(stdout)), err)
	}
	return out, nil
}

// acquire waits for the shell, or for ctx to end.
func (n *node) acquire(ctx context.Context) error {
	select {
	case n.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release hands the shell to the next command.
func (n *node) release() { <-n.slot }

// Close deletes every node's shell.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	nodes := c.nodes
	c.nodes = map[string]*node{}
	c.mu.Unlock()
	var errs []error
	for _, n := range nodes {
		n.slot <- struct{}{}
		n.releasing.Wait()
		if n.shell != nil {
			n.tr.setContext(context.Background())
			if err := n.shell.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing the WinRM shell on %s: %w", n.host, err))
			}
			n.shell = nil
		}
		n.release()
	}
	return c.redactor.RedactError(errors.Join(errs...))
}

// Requests is the number of HTTP requests sent to host so far, handshakes included.
func (c *Client) Requests(host string) int {
	if n := c.lookup(host); n != nil {
		return int(n.requests.Load())
	}
	return 0
}

// Commands is the number of commands run on host so far: every attempt of a script
// run alone counts one, and so does a batch of read-only scripts, however many it
// carries.
func (c *Client) Commands(host string) int {
	if n := c.lookup(host); n != nil {
		return int(n.commands.Load())
	}
	return 0
}

// lookup returns host's node if one was made, else nil; it makes none.
func (c *Client) lookup(host string) *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[strings.ToLower(host)]
}

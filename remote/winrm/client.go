// Package winrm runs PowerShell scripts on the nodes over WinRM: a few reused
// shells per node, so that a node's independent commands run at once, read-only
// scripts that meet at a busy node run together as one command, long scripts read
// from stdin, every failure reported with its node and operation, and no secret in
// any error.
package winrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// shellsPerNode bounds the commands the client runs on one node at once, each in a
// shell of its own: a node busy with a long command (SQL Server setup holds its
// command for the whole install) still runs the node's other work. Windows allows
// a user 30 shells (MaxShellsPerUser) and 1500 operations (MaxConcurrentOperations
// PerUser); a few leave room for other clients of the same account. Read-only
// scripts have one more shell, of their own (see batch.go).
const shellsPerNode = 2

// Client runs PowerShell on many nodes. It is safe for concurrent use; a node runs
// up to shellsPerNode commands at once, each in a shell of its own, and one command
// of read-only scripts in one more. Read-only scripts that wait for that shell are
// run together, as one batch command (see batch.go).
type Client struct {
	cfg      remote.Config
	set      *settings
	redactor *script.Redactor
	backoff  time.Duration // first retry delay; doubles each attempt
	shells   int           // commands run at once on one node; shellsPerNode

	mu     sync.Mutex
	nodes  map[string]*node
	closed bool
}

// node is one host: its shells and the commands waiting for one.
type node struct {
	host string
	ep   remote.Endpoint
	// slot holds a token for each command running on the node, up to the
	// client's shells. It is a channel so that a caller can wait for a free shell and
	// for its own context, or for a batch that serves it, at once. Whoever holds a
	// token takes a lane (takeLane), which is then certain to be free. reader is
	// the one token of the read-only scripts' command.
	slot, reader chan struct{}
	// qmu guards queue: the read-only scripts waiting for a shell, oldest first,
	// which the next command on the node runs as one batch.
	qmu   sync.Mutex
	queue []*pending
	// side sends every lane's Signals and stdin Sends (see transport.Post).
	side func(*http.Request) (*http.Response, error)
	// lmu guards idle and lanes.
	lmu sync.Mutex
	// idle are the lanes no command uses, the most recently used last: a node
	// used by one caller at a time keeps to one shell.
	idle     []*lane
	lanes    []*lane
	requests atomic.Int64
	commands atomic.Int64
}

// lane is one shell of a node, with the masterzen client and connection that
// drive it; one command runs in it at a time.
type lane struct {
	tr      *transport
	mc      *mz.Client
	shell   *mz.Shell
	inShell int // commands run in the current shell
	// releasing counts the Signal requests still releasing finished commands; the
	// shell is deleted only after them.
	releasing sync.WaitGroup
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
	return &Client{cfg: cfg, set: set, redactor: red, backoff: 200 * time.Millisecond, shells: shellsPerNode, nodes: map[string]*node{}}, nil
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
	n := &node{host: host, ep: c.endpoint(host), slot: make(chan struct{}, c.shells), reader: make(chan struct{}, 1)}
	n.side = c.set.doer(n.ep, &n.requests)
	l, err := c.newLane(n)
	if err != nil {
		return nil, err
	}
	n.idle, n.lanes = []*lane{l}, []*lane{l}
	c.nodes[key] = n
	return n, nil
}

// newLane makes a lane of n, with no shell yet: its own connection for commands
// and output, n's side connection for Signals and Sends.
func (c *Client) newLane(n *node) (*lane, error) {
	tr := c.set.newTransport(n.ep, &n.requests, n.side)
	params := mz.NewParameters(c.set.opTimeout, "en-US", 153600)
	params.TransportDecorator = func() mz.Transporter { return tr }
	mc, err := mz.NewClientWithParameters(&mz.Endpoint{Host: n.host}, "", "", params)
	if err != nil {
		return nil, fmt.Errorf("WinRM client for %s: %w", n.host, err)
	}
	return &lane{tr: tr, mc: mc}, nil
}

// takeLane returns a free lane of n, the most recently used, or a new one. The
// caller holds a token, so fewer lanes than tokens are in use.
func (c *Client) takeLane(n *node) (*lane, error) {
	n.lmu.Lock()
	defer n.lmu.Unlock()
	if k := len(n.idle); k > 0 {
		l := n.idle[k-1]
		n.idle = n.idle[:k-1]
		return l, nil
	}
	l, err := c.newLane(n)
	if err != nil {
		return nil, err
	}
	n.lanes = append(n.lanes, l)
	return l, nil
}

// putLane hands l back once its command is done.
func (n *node) putLane(l *lane) {
	n.lmu.Lock()
	n.idle = append(n.idle, l)
	n.lmu.Unlock()
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

// runAlone runs s, rendered as text, as a command of its own. The caller holds a
// slot token.
func (c *Client) runAlone(ctx context.Context, n *node, s script.PowerShell, text string) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, max(c.set.timeout, s.Timeout))
	defer cancel()
	l, err := c.takeLane(n)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", s.Op, n.host, err)
	}
	defer n.putLane(l)
	l.tr.setContext(ctx)
	defer l.tr.setContext(context.Background())
	n.commands.Add(1)

	res, err := c.execute(ctx, l, text, s.InputBytes())
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

// acquire waits for a slot token, or for ctx to end.
func (n *node) acquire(ctx context.Context) error {
	select {
	case n.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release hands the slot token to the next command.
func (n *node) release() { <-n.slot }

// releaseReader hands the read-only scripts' token to the next of them.
func (n *node) releaseReader() { <-n.reader }

// Close deletes every node's shells.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	nodes := c.nodes
	c.nodes = map[string]*node{}
	c.mu.Unlock()
	var errs []error
	for _, n := range nodes {
		// Every token: no command runs on the node any more.
		n.reader <- struct{}{}
		for range cap(n.slot) {
			n.slot <- struct{}{}
		}
		n.lmu.Lock()
		lanes := n.lanes
		n.lmu.Unlock()
		for _, l := range lanes {
			l.releasing.Wait()
			if l.shell != nil {
				l.tr.setContext(context.Background())
				if err := l.shell.Close(); err != nil {
					errs = append(errs, fmt.Errorf("closing a WinRM shell on %s: %w", n.host, err))
				}
				l.shell = nil
			}
		}
		for range cap(n.slot) {
			n.release()
		}
		n.releaseReader()
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

package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// Direct runs operations against an estate in process, without any protocol: a
// remote.Remote for the steps' unit tests. End-to-end tests use the real servers.
type Direct struct {
	mu     sync.Mutex
	Estate *estate.Estate
	// Now is the lab clock; it advances by every Sleep so time-based state moves on.
	Now time.Time
	// User is who the operations run as (default: the admin account).
	User string
	// Calls records every operation run, "host op".
	Calls []string
	ops   *estate.Operations
}

// NewDirect returns a Direct over e.
func NewDirect(e *estate.Estate) *Direct {
	return &Direct{Estate: e, ops: estate.NewOperations(), Now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), User: e.Domain + `\` + estate.AdminAccount}
}

var _ remote.Remote = (*Direct)(nil)

// PowerShell runs the script's operation on host.
func (d *Direct) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	op, params, err := script.ParsePowerShell(s.Render())
	if err != nil {
		return nil, err
	}
	if in := s.InputBytes(); in != nil {
		if err := script.MergeInput(params, in); err != nil {
			return nil, err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Calls = append(d.Calls, host+" "+op)
	n := d.Estate.Node(host)
	if n == nil {
		return nil, fmt.Errorf("%s: no such node in the lab", host)
	}
	fn, ok := d.ops.PowerShell(op)
	if !ok {
		return nil, &remote.ScriptError{Host: host, Op: op, ExitCode: 1, Message: "ssisha lab: unknown operation '" + op + "'"}
	}
	d.ops.Tick(d.Estate, d.Now)
	c := estate.NewOpContext(d.Estate, n, d.User, false, d.Now, func(t time.Duration) { d.Now = d.Now.Add(t) })
	c.Script = scriptCode(s.Display())
	res, err := fn(c, estate.Params(params))
	if err != nil {
		var pe *estate.PSError
		if errors.As(err, &pe) {
			return nil, &remote.ScriptError{Host: host, Op: op, ExitCode: 1, Message: pe.Message}
		}
		return nil, err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: result cannot be encoded: %w", host, op, err)
	}
	return out, nil
}

// SQL runs the batch's operation on host's instance, or on the primary through the
// listener.
func (d *Direct) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	op, err := script.ParseOpSQL(b.Statement())
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Calls = append(d.Calls, host+" "+op)
	via := host == remote.Listener
	var n *estate.Node
	if via {
		if d.Estate.AG == nil || d.Estate.AG.Listener == nil {
			return nil, fmt.Errorf("%s: the listener does not exist yet (connection refused)", host)
		}
		n = d.Estate.Node(d.Estate.AG.Primary)
	} else {
		n = d.Estate.Node(host)
	}
	if n == nil || n.SQL == nil {
		return nil, fmt.Errorf("%s: no SQL Server instance there in the lab", host)
	}
	fn, ok := d.ops.SQL(op)
	if !ok {
		return nil, &remote.SQLError{Host: host, Op: op, Number: 2812, Class: 16, Message: "ssisha lab: unknown operation '" + op + "'"}
	}
	params := estate.Params{}
	for _, p := range b.Args() {
		params[p.Name] = p.Value
	}
	d.ops.Tick(d.Estate, d.Now)
	c := estate.NewOpContext(d.Estate, n, d.User, via, d.Now, func(t time.Duration) { d.Now = d.Now.Add(t) })
	c.Text = b.Statement()
	rs, err := fn(c, params)
	if err != nil {
		var se *estate.SQLError
		if errors.As(err, &se) {
			return nil, &remote.SQLError{Host: host, Op: op, Number: se.Number, State: se.State, Class: se.Class, Message: se.Message}
		}
		return nil, err
	}
	if rs == nil {
		rs = &script.ResultSet{}
	}
	return rs, nil
}

// Advance moves the lab clock on (workers register, heartbeats happen).
func (d *Direct) Advance(t time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Now = d.Now.Add(t)
	d.ops.Tick(d.Estate, d.Now)
}

// Close does nothing; there is nothing to release.
func (d *Direct) Close() error { return nil }

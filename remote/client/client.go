// Package client builds the remote.Remote that ssisha uses: PowerShell over WinRM
// and T-SQL over TDS, with failures translated into the remote package's error types
// so that steps can react to them without knowing the protocols.
package client

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/mssql"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/remote/winrm"
)

// Client is a remote.Remote over the real protocols.
type Client struct {
	ps  *winrm.Client
	sql *mssql.Client
}

var _ remote.Remote = (*Client)(nil)

// New connects nothing yet: shells and connections open on first use.
func New(cfg remote.Config) (*Client, error) {
	ps, err := winrm.New(cfg)
	if err != nil {
		return nil, err
	}
	sq, err := mssql.New(cfg)
	if err != nil {
		_ = ps.Close()
		return nil, err
	}
	return &Client{ps: ps, sql: sq}, nil
}

// PowerShell runs s on host over WinRM.
func (c *Client) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	out, err := c.ps.PowerShell(ctx, host, s)
	if err != nil {
		var ce *winrm.CommandError
		if errors.As(err, &ce) {
			return nil, &remote.ScriptError{Host: ce.Host, Op: ce.Op, ExitCode: ce.ExitCode, Message: ce.Stderr}
		}
		return nil, err
	}
	return out, nil
}

// SQL runs b on host's instance, or through the listener.
func (c *Client) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	rs, err := c.sql.SQL(ctx, host, b)
	if err != nil {
		var se *mssql.SQLError
		if errors.As(err, &se) {
			return nil, &remote.SQLError{Host: se.Host, Op: se.Op, Number: se.Number, State: se.State, Class: se.Class, Message: se.Message}
		}
		return nil, err
	}
	return rs, nil
}

// Requests is the number of WinRM HTTP requests sent to host.
func (c *Client) Requests(host string) int { return c.ps.Requests(host) }

// Commands is the number of PowerShell commands run on host.
func (c *Client) Commands(host string) int { return c.ps.Commands(host) }

// RoundTrips is the number of T-SQL requests sent to host.
func (c *Client) RoundTrips(host string) int { return c.sql.RoundTrips(host) }

// Close releases every shell and connection.
func (c *Client) Close() error {
	return errors.Join(c.ps.Close(), c.sql.Close())
}

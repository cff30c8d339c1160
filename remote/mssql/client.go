// Package mssql runs ssisha's T-SQL batches on SQL Server instances and through
// the availability group listener, over go-mssqldb: one pool per target, values
// as sp_executesql parameters, errors mapped to *SQLError with host and
// operation, and bounded retries for batches that are safe to repeat.
package mssql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	mssqldb "github.com/microsoft/go-mssqldb"
	// Registers the krb5 authenticator that connection.sql.auth kerberos uses.
	_ "github.com/microsoft/go-mssqldb/integratedauth/krb5"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// maxAttempts bounds how often a retryable batch is sent.
const maxAttempts = 4

// Client runs T-SQL on the estate's instances. It is safe for concurrent use.
type Client struct {
	cfg     remote.Config
	backoff func(attempt int) time.Duration

	mu      sync.Mutex
	targets map[string]*sql.DB
	trips   map[string]int
	closed  bool
	warned  sync.Once
	// warnedClear says the warning about unencrypted traffic was given.
	warnedClear sync.Once
}

// New checks cfg.SQL and returns a client; it connects to nothing until used.
func New(cfg remote.Config) (*Client, error) {
	if err := checkOptions(cfg.SQL); err != nil {
		return nil, fmt.Errorf("SQL connection settings: %w", err)
	}
	return &Client{
		cfg:     cfg,
		backoff: defaultBackoff,
		targets: map[string]*sql.DB{},
		trips:   map[string]int{},
	}, nil
}

func defaultBackoff(attempt int) time.Duration {
	return time.Duration(250<<attempt) * time.Millisecond
}

// SQL runs b on host's instance, or through the listener when host is
// remote.Listener, and returns its first result set (empty when it has none).
func (c *Client) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	rs, err := c.sql(ctx, host, b)
	if err != nil {
		return nil, c.cfg.Redactor.RedactError(err)
	}
	return rs, nil
}

func (c *Client) sql(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	if err := c.checkCleartext(host, b); err != nil {
		return nil, err
	}
	timeout := c.cfg.SQL.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	timeout = max(timeout, b.Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	retry := b.ReadOnly || b.Idempotent
	for attempt := 0; ; attempt++ {
		db, err := c.db(host)
		if err != nil {
			return nil, err
		}
		rs, err := c.once(ctx, db, host, b)
		if err == nil {
			return rs, nil
		}
		transient := isTransient(err)
		if transient && IsNotPrimary(err) {
			// The pool still points at the old primary: start a fresh one, which
			// through the listener reaches the new primary.
			c.drop(host, db)
		}
		if !retry || !transient || attempt+1 >= maxAttempts || ctx.Err() != nil {
			if transient && retry && attempt+1 >= maxAttempts {
				return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempt+1)
			}
			return nil, err
		}
		t := time.NewTimer(c.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// once sends b one time on one pooled connection, discarding the connection when
// the failure says it is broken.
func (c *Client) once(ctx context.Context, db *sql.DB, host string, b script.TSQL) (*script.ResultSet, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, c.wrap(host, b.Op, err)
	}
	c.count(host)
	rs, err := query(ctx, conn, b)
	if err != nil && isTransient(err) {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = conn.Close()
	if err != nil {
		return nil, c.wrap(host, b.Op, err)
	}
	return rs, nil
}

func query(ctx context.Context, conn *sql.Conn, b script.TSQL) (*script.ResultSet, error) {
	params := b.Args()
	args := make([]any, len(params))
	for i, p := range params {
		args[i] = sql.Named(p.Name, p.Value)
	}
	rows, err := conn.QueryContext(ctx, b.Statement(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	rs := &script.ResultSet{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		rs.Rows = append(rs.Rows, vals)
	}
	// Later result sets are not ours to return, but their errors are.
	for rows.NextResultSet() {
		for rows.Next() {
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rs, nil
}

// wrap names the host and operation in err and maps SQL Server errors.
func (c *Client) wrap(host, op string, err error) error {
	var me mssqldb.Error
	if errors.As(err, &me) {
		msg, login := strings.CutPrefix(me.Message, "login error: ")
		if login {
			op = "login"
		}
		return &SQLError{Host: host, Op: op, Number: me.Number, State: me.State, Class: me.Class, Message: c.cfg.Redactor.Redact(msg)}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: T-SQL %s stopped: %w", host, op, err)
	}
	return fmt.Errorf("%s: T-SQL %s: cannot reach SQL Server at %s: %w; check the address, port, firewall and the connection.sql settings",
		host, op, c.describe(host), err)
}

// describe says where host's instance is reached, for error messages.
func (c *Client) describe(host string) string {
	ep, listener, ok := c.endpoint(host)
	if !ok {
		return host
	}
	addr := sqlAddress(ep)
	if ep.SQLPort != 0 {
		addr = fmt.Sprintf("%s:%d", addr, ep.SQLPort)
	} else if namedInstance(ep) && !listener {
		addr += `\` + ep.SQLInstance
	}
	return addr
}

func (c *Client) endpoint(host string) (remote.Endpoint, bool, bool) {
	if host == remote.Listener {
		return c.cfg.Listener, true, c.cfg.Listener.Host != ""
	}
	ep, ok := c.cfg.Node(host)
	return ep, false, ok
}

// db returns host's pool, creating it on first use.
func (c *Client) db(host string) (*sql.DB, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%s: the SQL client is closed", host)
	}
	key := strings.ToLower(host)
	if db := c.targets[key]; db != nil {
		return db, nil
	}
	ep, listener, ok := c.endpoint(host)
	if !ok {
		if host == remote.Listener {
			return nil, fmt.Errorf("the availability group listener is not configured (availabilityGroup.listener)")
		}
		return nil, fmt.Errorf("%s is not one of the master nodes; SQL runs only on masters and the listener", host)
	}
	cfg, err := connConfig(ep, listener, c.cfg.SQL)
	if err != nil {
		return nil, fmt.Errorf("%s: SQL connection settings: %w", host, c.cfg.Redactor.RedactError(err))
	}
	if c.cfg.SQL.TrustServerCertificate && c.cfg.Warn != nil {
		c.warned.Do(func() {
			c.cfg.Warn("SQL Server certificates are not verified (trustServerCertificate): the connection can be intercepted; give connection.sql.caFile instead")
		})
	}
	if c.cfg.SQL.Cleartext() && c.cfg.Warn != nil {
		c.warnedClear.Do(func() {
			c.cfg.Warn(fmt.Sprintf("connection.sql.encrypt is %s: unless a server insists on encryption, what ssisha sends to SQL Server and reads back crosses the network in clear text; set it to true or strict for production", c.cfg.SQL.Encrypt))
		})
	}
	db := sql.OpenDB(mssqldb.NewConnectorConfig(cfg))
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	c.targets[key] = db
	return db, nil
}

// drop forgets host's pool if it is still db, and closes it in the background:
// Close waits for queries still running on it.
func (c *Client) drop(host string, db *sql.DB) {
	c.mu.Lock()
	key := strings.ToLower(host)
	if c.targets[key] == db {
		delete(c.targets, key)
	}
	c.mu.Unlock()
	go func() { _ = db.Close() }()
}

func (c *Client) count(host string) {
	c.mu.Lock()
	c.trips[strings.ToLower(host)]++
	c.mu.Unlock()
}

// RoundTrips is the number of batches sent to host so far, retries included.
func (c *Client) RoundTrips(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trips[strings.ToLower(host)]
}

// Close closes every pool; batches still running finish first.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	dbs := c.targets
	c.targets = map[string]*sql.DB{}
	c.mu.Unlock()
	var errs []error
	for _, db := range dbs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

// ErrCleartextSecrets is the refusal to send a secret over an unencrypted connection.
var ErrCleartextSecrets = errors.New("secrets are not sent over an unencrypted SQL Server connection")

// checkCleartext refuses a batch that carries a secret over a connection that is not
// encrypted, unless the options allow it.
func (c *Client) checkCleartext(host string, b script.TSQL) error {
	if !c.cfg.SQL.Cleartext() || c.cfg.SQL.AllowCleartextSecrets {
		return nil
	}
	for _, p := range b.Params {
		if s, ok := p.Value.(script.Secret); ok {
			return fmt.Errorf("%s: %s would send %s in clear text (connection.sql.encrypt: %s): %w; set connection.sql.encrypt to true or strict, or allow it with --allow-cleartext-secrets", host, b.Op, s, c.cfg.SQL.Encrypt, ErrCleartextSecrets)
		}
	}
	return nil
}

package mssql

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/tds"
	"github.com/ssisha/ssisha/remote/script"
)

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func ping(op string) script.TSQL {
	return script.TSQL{Op: op, Text: "SELECT @a AS a", Params: []script.Param{{Name: "a", Value: "hello"}}, ReadOnly: true}
}

func TestEncryptionModes(t *testing.T) {
	p := testPKI(t)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{p.cert}}
	cases := []struct {
		name     string
		server   tds.Options
		client   remote.SQLOptions
		wantErr  bool
		wantWarn bool
		wantEnc  bool
	}{
		{name: "disable", server: tds.Options{}, client: remote.SQLOptions{Encrypt: "disable"}, wantWarn: true},
		{name: "false with TLS server", server: tds.Options{TLS: tlsCfg}, client: remote.SQLOptions{Encrypt: "false", CAFile: p.caFile}, wantWarn: true},
		{name: "true with CA", server: tds.Options{TLS: tlsCfg}, client: remote.SQLOptions{Encrypt: "true", CAFile: p.caFile}, wantEnc: true},
		{name: "default is true", server: tds.Options{TLS: tlsCfg}, client: remote.SQLOptions{CAFile: p.caFile}, wantEnc: true},
		{name: "true against system roots fails", server: tds.Options{TLS: tlsCfg}, client: remote.SQLOptions{Encrypt: "true"}, wantErr: true},
		{name: "true against server without TLS fails", server: tds.Options{}, client: remote.SQLOptions{Encrypt: "true", CAFile: p.caFile}, wantErr: true},
		{name: "strict with CA", server: tds.Options{TLS: tlsCfg, Strict: true}, client: remote.SQLOptions{Encrypt: "strict", CAFile: p.caFile}, wantEnc: true},
		{name: "strict on a dual server", server: tds.Options{TLS: tlsCfg}, client: remote.SQLOptions{Encrypt: "strict", CAFile: p.caFile}, wantEnc: true},
		{name: "trust server certificate", server: tds.Options{TLS: tlsCfg}, client: remote.SQLOptions{Encrypt: "true", TrustServerCertificate: true}, wantWarn: true, wantEnc: true},
		{name: "require encryption", server: tds.Options{TLS: tlsCfg, RequireEncryption: true}, client: remote.SQLOptions{Encrypt: "false", CAFile: p.caFile}, wantWarn: true, wantEnc: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var encrypted atomic.Bool
			tc.server.Handler = func(ctx context.Context, s *tds.Session, r tds.Request) (*script.ResultSet, error) {
				encrypted.Store(s.Encrypted)
				return echo(ctx, s, r)
			}
			srv := startServer(t, tc.server)
			var warnings []string
			o := tc.client
			o.Auth, o.User = "sql", testUser
			o.Password = script.NewSecret("sql-password", testPassword)
			o.Timeout = 10 * time.Second
			c, err := New(remote.Config{Nodes: []remote.Endpoint{endpointFor(t, srv)}, SQL: o,
				Warn: func(m string) { warnings = append(warnings, m) }})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rs, err := c.SQL(context.Background(), "node1", ping("encryption-check"))
			if tc.wantErr {
				if err == nil {
					t.Fatal("connected, want an error")
				}
				if !strings.Contains(err.Error(), "node1") {
					t.Errorf("error does not name the node: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rs.Rows[0][1]; got != "hello" {
				t.Errorf("a = %v, want hello", got)
			}
			if encrypted.Load() != tc.wantEnc {
				t.Errorf("session encrypted = %v, want %v", encrypted.Load(), tc.wantEnc)
			}
			if (len(warnings) > 0) != tc.wantWarn {
				t.Errorf("warnings = %q, want a warning: %v", warnings, tc.wantWarn)
			}
		})
	}
}

func TestLogins(t *testing.T) {
	srv := startServer(t, tds.Options{})
	var who atomic.Value
	srv.SetHandler(func(ctx context.Context, s *tds.Session, r tds.Request) (*script.ResultSet, error) {
		who.Store(s.User + "|" + strconv.FormatBool(s.Windows))
		return echo(ctx, s, r)
	})
	cases := []struct {
		name      string
		opts      remote.SQLOptions
		wantWho   string
		wantLogin bool
	}{
		{name: "sql login", opts: remote.SQLOptions{Auth: "sql", User: testUser}, wantWho: testUser + "|false"},
		{name: "ntlm domain user", opts: remote.SQLOptions{Auth: "windows", User: windowsUser}, wantWho: windowsUser + "|true"},
		{name: "sql wrong password", opts: remote.SQLOptions{Auth: "sql", User: testUser, Password: script.NewSecret("sql-password", "wrong")}, wantLogin: true},
		{name: "ntlm wrong password", opts: remote.SQLOptions{Auth: "windows", User: windowsUser, Password: script.NewSecret("sql-password", "wrong")}, wantLogin: true},
		{name: "unknown login", opts: remote.SQLOptions{Auth: "sql", User: "nobody"}, wantLogin: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Encrypt = "disable"
			c := newClient(t, endpointFor(t, srv), tc.opts)
			_, err := c.SQL(context.Background(), "node1", ping("login-check"))
			if tc.wantLogin {
				var se *SQLError
				if !errors.As(err, &se) || !IsLoginFailed(err) || se.Number != 18456 {
					t.Fatalf("err = %v, want a *SQLError 18456", err)
				}
				if !strings.HasPrefix(err.Error(), "node1: login failed (18456): Login failed for user '") {
					t.Errorf("message = %q", err.Error())
				}
				if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), testPassword) {
					t.Errorf("message leaks a password: %q", err.Error())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := who.Load(); got != tc.wantWho {
				t.Errorf("session = %v, want %v", got, tc.wantWho)
			}
		})
	}
}

func TestParametersArriveIntact(t *testing.T) {
	srv := startServer(t, tds.Options{})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable"})
	long := strings.Repeat("ü€", 2500) // 5000 runes, over the inline nvarchar limit in bytes
	cases := []struct {
		name string
		val  any
	}{
		{"empty", ""},
		{"5000 runes", long},
		{"unicode", "Übergröße 数据库 🚀"},
		{"quotes", `it's "quoted" ''`},
		{"brackets", "]] [x]]] ]"},
		{"injection", "'; DROP DATABASE SSISDB; --"},
		{"control chars", "tab\there\r\nbell\a\x1b[31m"},
		{"int64", int64(-9007199254740993)},
		{"bool", true},
		{"bytes", []byte{0, 1, 2, 0xFF}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := script.TSQL{Op: "echo", Text: "SELECT @a AS a", Params: []script.Param{{Name: "a", Value: tc.val}}}
			rs, err := c.SQL(context.Background(), "node1", b)
			if err != nil {
				t.Fatal(err)
			}
			if got := rs.Rows[0][0]; got != b.Statement() {
				t.Errorf("statement = %q, want %q", got, b.Statement())
			}
			got := rs.Rows[0][1]
			if gb, ok := got.([]byte); ok {
				if string(gb) != string(tc.val.([]byte)) {
					t.Errorf("a = %x, want %x", gb, tc.val)
				}
				return
			}
			if got != tc.val {
				t.Errorf("a = %q, want %q", got, tc.val)
			}
		})
	}
}

func TestBatchWithoutParameters(t *testing.T) {
	srv := startServer(t, tds.Options{})
	var rpc atomic.Bool
	srv.SetHandler(func(_ context.Context, _ *tds.Session, r tds.Request) (*script.ResultSet, error) {
		rpc.Store(r.RPC)
		return &script.ResultSet{Columns: []string{"name", "n", "at"}, Rows: [][]any{
			{"SSISDB", int64(1), time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)},
			{nil, nil, nil},
		}}, nil
	})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable"})
	rs, err := c.SQL(context.Background(), "node1", script.TSQL{Op: "list", Text: "SELECT name FROM sys.databases"})
	if err != nil {
		t.Fatal(err)
	}
	if rpc.Load() {
		t.Error("a batch without parameters went as RPC, want SQLBatch")
	}
	if len(rs.Rows) != 2 || rs.Rows[0][0] != "SSISDB" || rs.Rows[0][1] != int64(1) || rs.Rows[1][0] != nil {
		t.Fatalf("rows = %v", rs.Rows)
	}
	if tm, ok := rs.Rows[0][2].(time.Time); !ok || !tm.Equal(time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)) {
		t.Errorf("at = %v", rs.Rows[0][2])
	}
}

func TestHandlerErrorMapsToSQLError(t *testing.T) {
	srv := startServer(t, tds.Options{})
	srv.SetHandler(func(context.Context, *tds.Session, tds.Request) (*script.ResultSet, error) {
		return nil, &tds.Error{Number: 15025, State: 1, Class: 16, Message: "The server principal 'CONTOSO\\svc' already exists."}
	})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable"})
	_, err := c.SQL(context.Background(), "node1", ping("create-login"))
	var se *SQLError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *SQLError", err)
	}
	if !IsAlreadyExists(err) || IsNotPrimary(err) || se.Op != "create-login" || se.Host != "node1" || se.Class != 16 {
		t.Errorf("err = %#v", se)
	}
}

func TestCancelSendsAttention(t *testing.T) {
	srv := startServer(t, tds.Options{})
	started := make(chan struct{})
	cancelled := make(chan struct{})
	srv.SetHandler(func(ctx context.Context, _ *tds.Session, _ tds.Request) (*script.ResultSet, error) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable"})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := c.SQL(ctx, "node1", ping("slow"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's context was never cancelled")
	}
	// The connection is still usable afterwards.
	srv.SetHandler(echo)
	if _, err := c.SQL(context.Background(), "node1", ping("after-cancel")); err != nil {
		t.Fatal(err)
	}
}

func TestResetFaultRetriesOnlySafeBatches(t *testing.T) {
	var resets atomic.Int32
	srv := startServer(t, tds.Options{Fault: func(phase string) *tds.Fault {
		if phase == "request" && resets.Add(-1) >= 0 {
			return &tds.Fault{Reset: true}
		}
		return nil
	}})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable"})

	resets.Store(1)
	b := ping("idempotent")
	b.ReadOnly, b.Idempotent = false, true
	if _, err := c.SQL(context.Background(), "node1", b); err != nil {
		t.Fatalf("idempotent batch after one reset: %v", err)
	}

	resets.Store(1)
	b.Idempotent = false
	before := c.RoundTrips("node1")
	_, err := c.SQL(context.Background(), "node1", b)
	if err == nil {
		t.Fatal("non-idempotent batch succeeded after a reset, want the failure")
	}
	if sent := c.RoundTrips("node1") - before; sent != 1 {
		t.Errorf("non-idempotent batch sent %d times, want 1", sent)
	}

	resets.Store(10)
	b.Idempotent = true
	before = c.RoundTrips("node1")
	if _, err = c.SQL(context.Background(), "node1", b); err == nil {
		t.Fatal("succeeded through endless resets")
	}
	if sent := c.RoundTrips("node1") - before; sent != maxAttempts {
		t.Errorf("sent %d times, want %d", sent, maxAttempts)
	}
}

func TestListenerFollowsNewPrimary(t *testing.T) {
	first := startServer(t, tds.Options{ServerName: "NODE1"})
	first.SetHandler(func(context.Context, *tds.Session, tds.Request) (*script.ResultSet, error) {
		return &script.ResultSet{Columns: []string{"node"}, Rows: [][]any{{"NODE1"}}}, nil
	})
	addr := first.Addr()
	h, port := splitAddr(t, addr)
	o := remote.SQLOptions{Auth: "sql", User: testUser, Password: script.NewSecret("sql-password", testPassword), Encrypt: "disable", Timeout: 20 * time.Second}
	c, err := New(remote.Config{Listener: remote.Endpoint{Host: "lsn", SQLAddress: h, SQLPort: port}, SQL: o})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return 20 * time.Millisecond }
	defer c.Close()
	b := script.TSQL{Op: "which-node", Text: "SELECT @@SERVERNAME", ReadOnly: true}
	rs, err := c.SQL(context.Background(), remote.Listener, b)
	if err != nil || rs.Rows[0][0] != "NODE1" {
		t.Fatalf("before failover: %v %v", rs, err)
	}

	// Failover: the old primary goes away and a new one answers on the listener.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := tds.NewServer(tds.Options{ServerName: "NODE2", PasswordFor: passwords})
	second.SetHandler(func(context.Context, *tds.Session, tds.Request) (*script.ResultSet, error) {
		return &script.ResultSet{Columns: []string{"node"}, Rows: [][]any{{"NODE2"}}}, nil
	})
	if err := second.Start(addr); err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	rs, err = c.SQL(context.Background(), remote.Listener, b)
	if err != nil || rs.Rows[0][0] != "NODE2" {
		t.Fatalf("after failover: %v %v", rs, err)
	}
}

func TestNotPrimaryThroughListenerIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := startServer(t, tds.Options{})
	srv.SetHandler(func(context.Context, *tds.Session, tds.Request) (*script.ResultSet, error) {
		if calls.Add(1) == 1 {
			return nil, &tds.Error{Number: 976, State: 1, Class: 14, Message: "The target database, 'SSISDB', is participating in an availability group and is currently not accessible for queries."}
		}
		return &script.ResultSet{Columns: []string{"ok"}, Rows: [][]any{{true}}}, nil
	})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable"})
	rs, err := c.SQL(context.Background(), "node1", script.TSQL{Op: "read", Text: "SELECT 1", ReadOnly: true})
	if err != nil || rs.Rows[0][0] != true {
		t.Fatalf("%v %v", rs, err)
	}
	calls.Store(0)
	_, err = c.SQL(context.Background(), "node1", script.TSQL{Op: "write", Text: "UPDATE x"})
	if !IsNotPrimary(err) {
		t.Fatalf("err = %v, want not primary", err)
	}
}

func TestSecretNeverInErrorText(t *testing.T) {
	canary := script.NewSecret("master-key-password", "Canary-7f3e!x")
	srv := startServer(t, tds.Options{})
	var got atomic.Value
	srv.SetHandler(func(_ context.Context, _ *tds.Session, r tds.Request) (*script.ResultSet, error) {
		got.Store(r.Params["pw"])
		return nil, errors.New("cannot create the master key with password '" + canary.Reveal() + "'")
	})
	// The test server speaks no TLS; sending the secret in clear is allowed for it.
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable", AllowCleartextSecrets: true}, canary)
	b := script.TSQL{Op: "create-master-key", Text: "EXEC sp_x @pw", Params: []script.Param{{Name: "pw", Value: canary}}}
	_, err := c.SQL(context.Background(), "node1", b)
	if err == nil {
		t.Fatal("want an error")
	}
	if got.Load() != canary.Reveal() {
		t.Errorf("handler got %v, want the secret's value", got.Load())
	}
	if strings.Contains(err.Error(), canary.Reveal()) {
		t.Errorf("error text leaks the secret: %q", err.Error())
	}
	if !strings.Contains(err.Error(), canary.String()) {
		t.Errorf("error text lacks the placeholder: %q", err.Error())
	}
	var se *SQLError
	if !errors.As(err, &se) || se.Number != 50000 || strings.Contains(se.Message, canary.Reveal()) {
		t.Errorf("SQLError = %#v", se)
	}
}

func TestRoundTripsCountsBatches(t *testing.T) {
	var served atomic.Int32
	srv := startServer(t, tds.Options{OnRoundTrip: func() { served.Add(1) }})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable"})
	for i := 0; i < 3; i++ {
		if _, err := c.SQL(context.Background(), "node1", ping("count")); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.RoundTrips("node1"); got != 3 {
		t.Errorf("RoundTrips = %d, want 3", got)
	}
	if got := served.Load(); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
}

func TestNewRejectsBadSettings(t *testing.T) {
	cases := []struct {
		name string
		o    remote.SQLOptions
		want string
	}{
		{"bad encrypt", remote.SQLOptions{Auth: "sql", User: "a", Encrypt: "maybe"}, "connection.sql.encrypt"},
		{"bad auth", remote.SQLOptions{Auth: "kerberos-ish", User: "a"}, "connection.sql.auth"},
		{"sql with domain", remote.SQLOptions{Auth: "sql", User: `D\a`}, "connection.sql.user"},
		{"missing CA file", remote.SQLOptions{Auth: "sql", User: "a", CAFile: "/nonexistent/ca.pem"}, "caFile"},
		{"strict with trust", remote.SQLOptions{Auth: "sql", User: "a", Encrypt: "strict", TrustServerCertificate: true}, "strict"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(remote.Config{SQL: tc.o})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestUnknownHost(t *testing.T) {
	c, err := New(remote.Config{SQL: remote.SQLOptions{Auth: "sql", User: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SQL(context.Background(), "worker1", ping("x")); err == nil || !strings.Contains(err.Error(), "worker1") {
		t.Errorf("err = %v", err)
	}
	if _, err := c.SQL(context.Background(), remote.Listener, ping("x")); err == nil || !strings.Contains(err.Error(), "listener") {
		t.Errorf("err = %v", err)
	}
}

// A batch that says it may take longer than the client's per-batch timeout gets its
// own; one that does not is cut at the client's.
func TestBatchTimeoutLongerThanTheClients(t *testing.T) {
	srv := startServer(t, tds.Options{})
	srv.SetHandler(func(ctx context.Context, s *tds.Session, r tds.Request) (*script.ResultSet, error) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return echo(ctx, s, r)
	})
	c := newClient(t, endpointFor(t, srv), remote.SQLOptions{Encrypt: "disable", Timeout: 100 * time.Millisecond})
	if _, err := c.SQL(context.Background(), "node1", ping("short")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a batch slower than the client's timeout: err = %v, want the deadline", err)
	}
	long := ping("long")
	long.Timeout = 10 * time.Second
	if _, err := c.SQL(context.Background(), "node1", long); err != nil {
		t.Fatalf("a batch within its own timeout failed: %v", err)
	}
}

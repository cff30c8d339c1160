package mssql

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
	"github.com/ssisha/ssisha/remote/lab/tds"
	"github.com/ssisha/ssisha/remote/script"
)

// pki is a lab CA, a certificate for host "node1", and the CA's PEM on disk.
type pki struct {
	ca     *labca.CA
	cert   tls.Certificate
	caFile string
}

var (
	pkiOnce sync.Once
	pkiVal  pki
	pkiErr  error
)

func testPKI(t *testing.T) pki {
	t.Helper()
	pkiOnce.Do(func() {
		ca, err := labca.New("ssisha test CA")
		if err != nil {
			pkiErr = err
			return
		}
		cert, err := ca.Issue("node1", "lsn")
		if err != nil {
			pkiErr = err
			return
		}
		dir, err := os.MkdirTemp("", "mssql-test-ca")
		if err != nil {
			pkiErr = err
			return
		}
		f := filepath.Join(dir, "ca.pem")
		pkiErr = os.WriteFile(f, ca.PEM(), 0o600)
		pkiVal = pki{ca: ca, cert: cert, caFile: f}
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

// echo returns its parameters as one row, columns sorted by name; the first
// column is the statement.
func echo(_ context.Context, _ *tds.Session, req tds.Request) (*script.ResultSet, error) {
	rs := &script.ResultSet{Columns: []string{"stmt"}}
	row := []any{req.Text}
	for _, name := range []string{"a", "b", "c", "n", "flag", "bin"} {
		if v, ok := req.Params[name]; ok {
			rs.Columns = append(rs.Columns, name)
			row = append(row, v)
		}
	}
	rs.Rows = [][]any{row}
	return rs, nil
}

const (
	testUser     = "ssisha_admin"
	testPassword = "S3cret-p@ss'word"
	testDomain   = "CONTOSO"
	windowsUser  = `CONTOSO\svc_ssis`
)

func passwords(user string, windows bool) (string, bool) {
	switch {
	case windows && user == windowsUser:
		return testPassword, true
	case !windows && user == testUser:
		return testPassword, true
	}
	return "", false
}

// startServer starts a lab instance on loopback and stops it with the test.
func startServer(t *testing.T, opts tds.Options) *tds.Server {
	t.Helper()
	if opts.Handler == nil {
		opts.Handler = echo
	}
	if opts.PasswordFor == nil {
		opts.PasswordFor = passwords
	}
	if opts.Domain == "" {
		opts.Domain = testDomain
	}
	if opts.ServerName == "" {
		opts.ServerName = "NODE1"
	}
	s := tds.NewServer(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// endpointFor says node1 is reached at the server's loopback address.
func endpointFor(t *testing.T, s *tds.Server) remote.Endpoint {
	t.Helper()
	addr, port := splitAddr(t, s.Addr())
	return remote.Endpoint{Host: "node1", SQLAddress: addr, SQLPort: port, SQLInstance: "MSSQLSERVER"}
}

// newClient returns a client whose only node is the given endpoint, with fast
// retries.
func newClient(t *testing.T, ep remote.Endpoint, o remote.SQLOptions, secrets ...script.Secret) *Client {
	t.Helper()
	if o.User == "" {
		o.Auth, o.User = "sql", testUser
	}
	if o.Password.IsZero() {
		o.Password = script.NewSecret("sql-password", testPassword)
	}
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
	red := script.NewRedactor(append(secrets, o.Password)...)
	c, err := New(remote.Config{Nodes: []remote.Endpoint{ep}, SQL: o, Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = func(int) time.Duration { return time.Millisecond }
	t.Cleanup(func() { _ = c.Close() })
	return c
}

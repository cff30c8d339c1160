package clients_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/ssisha/ssisha/envvar"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// echoOp answers with its parameters, one column each by name, so a client's
// typed parameters can be checked as the lab received them.
const echoOp = "clients.echo"

// testOps is the lab's operation table with the operations these tests add.
var testOps = estate.NewOperations()

func init() {
	testOps.AddSQL(echoOp, func(_ *estate.OpContext, p estate.Params) (*script.ResultSet, error) {
		names := make([]string, 0, len(p))
		for k := range p {
			names = append(names, k)
		}
		slices.Sort(names)
		row := make([]any, len(names))
		for i, n := range names {
			row[i] = fmt.Sprint(p[n])
		}
		return &script.ResultSet{Columns: names, Rows: [][]any{row}}, nil
	})
}

// Environment variables the clients read their passwords from.
const (
	envSQLPassword     = "LAB_CLIENT_SQL_PASSWORD"
	envWindowsPassword = "LAB_CLIENT_WINDOWS_PASSWORD"
	envWrongPassword   = "LAB_CLIENT_WRONG_PASSWORD"
	envLocalPassword   = "LAB_CLIENT_LOCAL_PASSWORD" // the first node's local administrator
)

// sqlLogin is the SQL login the fixture adds to every instance.
const sqlLogin = "lab_client"

// fixture is a running lab and what a client needs to reach it.
type fixture struct {
	lab                      *lab.Lab
	ep                       lab.Endpoints
	domain, admin            string // NetBIOS domain; the admin account without it
	sqlPassword, winPassword string
}

func startLab(t *testing.T, opts lab.Options) *fixture {
	t.Helper()
	opts.Dir = t.TempDir()
	opts.Ops = testOps
	l, err := lab.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	f := &fixture{lab: l, ep: l.Endpoints(), sqlPassword: "Cl1ent-Pa55!"}
	f.winPassword = l.Secrets()[envvar.WinRMPassword]
	f.domain, f.admin, _ = strings.Cut(f.ep.AdminUser, `\`)
	primary := ""
	for _, n := range f.ep.Nodes {
		if n.SQL != "" && primary == "" {
			primary = strings.ToLower(n.Host)
		}
	}
	l.Estate(func(e *estate.Estate) {
		for _, n := range e.Nodes {
			if n.SQL != nil {
				n.SQL.Logins[sqlLogin] = &estate.Login{Name: sqlLogin, Type: "SQL_LOGIN", Password: f.sqlPassword, SID: "0x5A01"}
			}
		}
		// An availability group with a listener, so the listener endpoint routes.
		e.AG = &estate.AvailabilityGroup{Name: "AG_SSIS", Primary: primary, Replicas: []string{primary},
			Joined: map[string]bool{primary: true}, Databases: []string{"SSISDB"},
			Listener: &estate.AGListener{DNSName: f.ep.ListenerName, Port: 1433, IP: "10.0.0.61", Mask: "255.255.255.0"}}
	})
	return f
}

// env is the process environment with the passwords the clients read.
func (f *fixture) env() []string {
	return append(os.Environ(),
		envSQLPassword+"="+f.sqlPassword,
		envWindowsPassword+"="+f.winPassword,
		envWrongPassword+"=Wrong-Pa55-1")
}

// sqlAddr is the host and port of the first instance.
func (f *fixture) sqlAddr(t *testing.T) (string, string) {
	t.Helper()
	for _, n := range f.ep.Nodes {
		if n.SQL != "" {
			h, p, err := net.SplitHostPort(n.SQL)
			if err != nil {
				t.Fatal(err)
			}
			return h, p
		}
	}
	t.Fatal("the lab has no SQL Server instance")
	return "", ""
}

// need finds a client program. Locally a missing client skips the test with a
// message; in CI (CI=true) it fails it, so a broken install cannot pass silently.
func need(t *testing.T, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		missing(t, fmt.Sprintf("%s is not installed (.ci/run installs it)", program))
	}
	return p
}

// needPython finds the system Python that Debian's python3-impacket and
// python3-winrm install into, with module importable.
func needPython(t *testing.T, module string) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		p, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(p, "-c", "import "+module).Run() == nil {
			return p
		}
	}
	missing(t, fmt.Sprintf("no python3 can import %s (.ci/run installs it)", module))
	return ""
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("third-party client missing in CI: %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// run runs a client and returns what it printed; the command's failure is in err.
func run(t *testing.T, env []string, stdin string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// testdata is the absolute path of a file under this package.
func testdata(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lineOf returns the line of out that starts with prefix, or "".
func lineOf(out, prefix string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

package lab

import (
	"context"
	"errors"
	"github.com/ssisha/ssisha/envvar"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/mssql"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/remote/winrm"
)

// labConfig points ssisha's own clients at a running lab, as the answer file would.
func labConfig(t *testing.T, l *Lab) remote.Config {
	t.Helper()
	ep := l.Endpoints()
	pw := script.NewSecret("admin-password", l.Secrets()[envvar.WinRMPassword])
	split := func(addr string) (string, int) {
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("address %q: %v", addr, err)
		}
		n, _ := strconv.Atoi(p)
		return h, n
	}
	cfg := remote.Config{
		WinRM:    remote.WinRMOptions{Auth: "ntlm", HTTPS: true, CAFile: ep.CAFile, User: ep.AdminUser, Password: pw, Timeout: 10 * time.Second},
		SQL:      remote.SQLOptions{Auth: "windows", Encrypt: "true", CAFile: ep.CAFile, User: ep.AdminUser, Password: pw, Timeout: 10 * time.Second},
		Redactor: script.NewRedactor(pw),
	}
	for _, n := range ep.Nodes {
		e := remote.Endpoint{Host: n.Host}
		e.WinRMAddress, e.WinRMPort = split(n.WinRM)
		if n.SQL != "" {
			e.SQLAddress, e.SQLPort = split(n.SQL)
			e.SQLInstance = "MSSQLSERVER"
		}
		cfg.Nodes = append(cfg.Nodes, e)
	}
	cfg.Listener = remote.Endpoint{Host: ep.ListenerName}
	cfg.Listener.SQLAddress, cfg.Listener.SQLPort = split(ep.Listener)
	return cfg
}

func TestEndToEndThroughTheRealProtocols(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	cfg := labConfig(t, l)
	ws, err := winrm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	sq, err := mssql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, err := ws.PowerShell(ctx, fxNode1, script.PowerShell{Op: "test.echo", Params: map[string]any{"Value": "über 'quoted'"}, Body: "x"})
	if err != nil {
		t.Fatalf("PowerShell over WinRM: %v", err)
	}
	if !strings.Contains(string(out), `"value":"über 'quoted'"`) || !strings.Contains(string(out), `CONTOSO\\dba`) {
		t.Errorf("stdout %s", out)
	}
	_, err = ws.PowerShell(ctx, fxNode1, script.PowerShell{Op: "test.nope", Body: "x"})
	var ce *winrm.CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 1 || !strings.Contains(ce.Stderr, "unknown operation 'test.nope'") {
		t.Errorf("unknown op over WinRM: %v", err)
	}

	who := script.TSQL{Op: "test.sql.whoami", Text: "SELECT 1", Params: []script.Param{{Name: "Name", Value: "n"}}}
	rs, err := sq.SQL(ctx, fxNode2, who)
	if err != nil {
		t.Fatalf("T-SQL over TDS: %v", err)
	}
	if got := rs.Maps(); len(got) != 1 || got[0]["host"] != fxNode2 || got[0]["name"] != "n" {
		t.Errorf("node2 answered %v", got)
	}
	rs, err = sq.SQL(ctx, remote.Listener, who)
	if err != nil {
		t.Fatalf("T-SQL through the listener: %v", err)
	}
	if got := rs.Maps(); got[0]["host"] != fxNode1 {
		t.Errorf("listener routed to %v", got[0]["host"])
	}
	_, err = sq.SQL(ctx, fxNode1, script.TSQL{Op: "test.sql.fail", Text: "SELECT 1", Params: []script.Param{{Name: "Name", Value: "x"}}})
	var sqe *mssql.SQLError
	if !errors.As(err, &sqe) || sqe.Number != 15025 {
		t.Errorf("op error over TDS: %v", err)
	}

	if err := l.FailoverAG(fxNode2); err != nil {
		t.Fatal(err)
	}
	sq2, err := mssql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sq2.Close()
	rs, err = sq2.SQL(ctx, remote.Listener, who)
	if err != nil {
		t.Fatalf("listener after failover: %v", err)
	}
	if got := rs.Maps(); got[0]["host"] != fxNode2 {
		t.Errorf("after failover the listener routed to %v", got[0]["host"])
	}

	st := l.Stats()
	if st.Nodes[fxNode1].WinRMRequests == 0 || st.Nodes[fxNode2].TDSRoundTrips == 0 || st.Ops["test.sql.whoami"] < 3 {
		t.Errorf("stats %+v", st)
	}

	if err := l.SetFault(Fault{Kind: NodeDown, Host: fxNode1}); err != nil {
		t.Fatal(err)
	}
	sq3, err := mssql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sq3.Close()
	if _, err := sq3.SQL(ctx, fxNode1, who); err == nil {
		t.Error("T-SQL reached a node that is down")
	}
	if l.Stats().Faults[NodeDown] == 0 {
		t.Error("NodeDown not counted")
	}
}

func TestEndToEndStrictEncryptionAndWinRMFaults(t *testing.T) {
	// TDS 8.0 needs SQL Server 2022, from the seed the servers start with to the
	// estate the test plays.
	e := healthyEstate(t)
	for _, n := range e.Nodes {
		if n.SQL != nil {
			n.SQL.Version = estate.ProductVersion(2022)
		}
	}
	l := newTestLab(t, e, Options{Encrypt: "strict", Seed: estate.SeedOptions{SQLVersion: 2022}})
	cfg := labConfig(t, l)
	cfg.SQL.Encrypt = "strict"
	sq, err := mssql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sq.SQL(ctx, remote.Listener, script.TSQL{Op: "test.sql.whoami", Text: "SELECT 1"}); err != nil {
		t.Fatalf("TDS 8.0 through the listener: %v", err)
	}

	ws, err := winrm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := l.SetFault(Fault{Kind: WinRMFault, Host: fxNode2}); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.PowerShell(ctx, fxNode2, script.PowerShell{Op: "test.echo", Body: "x"}); err == nil {
		t.Error("a WinRM InternalError went unnoticed")
	}
	l.ClearFaults()
	if _, err := ws.PowerShell(ctx, fxNode2, script.PowerShell{Op: "test.echo", Body: "x"}); err != nil {
		t.Errorf("after clearing the fault: %v", err)
	}
}

// TestStrictEncryptionOnlyFrom2022: TDS 8.0 exists from SQL Server 2022. A lab of an
// older version refuses to offer it, and its instances close a connection that opens
// with TLS, as a real 2017 or 2019 engine does.
func TestStrictEncryptionOnlyFrom2022(t *testing.T) {
	for _, year := range []int{2017, 2019} {
		if _, err := Start(Options{Encrypt: "strict", Seed: estate.SeedOptions{SQLVersion: year}}); err == nil || !strings.Contains(err.Error(), "2022") {
			t.Errorf("a %d lab offering strict encryption: %v, want a refusal naming 2022", year, err)
		}
	}
	l := newTestLab(t, nil, Options{Seed: estate.SeedOptions{SQLVersion: 2019}})
	cfg := labConfig(t, l)
	cfg.SQL.Encrypt = "strict"
	sq, err := mssql.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sq.SQL(ctx, fxNode1, script.TSQL{Op: "test.sql.whoami", Text: "SELECT 1"}); err == nil {
		t.Error("a TLS-first connection to a SQL Server 2019 instance succeeded")
	}
}

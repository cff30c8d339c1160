package lab

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/mssql"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/remote/winrm"
)

// TestLatencyPastTheTimeout: a node slower than the configured timeout ends a call
// with an error naming the node, after a bounded number of requests, and the next
// call works once the node is fast again.
func TestLatencyPastTheTimeout(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	cfg := labConfig(t, l)
	cfg.WinRM.Timeout = 300 * time.Millisecond
	cfg.SQL.Timeout = 300 * time.Millisecond
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
	ps := script.PowerShell{Op: "test.echo", Params: map[string]any{"Value": "v"}, Body: "x", ReadOnly: true}
	sqlb := script.TSQL{Op: "test.sql.whoami", Text: "SELECT 1", Params: []script.Param{{Name: "Name", Value: "n"}}, ReadOnly: true}

	if err := l.SetFault(Fault{Kind: Latency, Host: fxNode1, Duration: time.Second}); err != nil {
		t.Fatal(err)
	}
	l.ResetStats()
	_, err = ws.PowerShell(ctx, fxNode1, ps)
	if err == nil || !strings.Contains(err.Error(), fxNode1) || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(strings.ToLower(err.Error()), "timeout") {
		t.Errorf("PowerShell past the timeout: %v; want a timeout naming %s", err, fxNode1)
	}
	if n := l.Stats().Nodes[fxNode1].WinRMRequests; n > 20 {
		t.Errorf("%d WinRM requests for one timed-out command; retries must be bounded", n)
	}
	if _, err := sq.SQL(ctx, fxNode1, sqlb); err == nil || !strings.Contains(err.Error(), fxNode1) {
		t.Errorf("T-SQL past the timeout: %v; want an error naming %s", err, fxNode1)
	}

	l.ClearFaults()
	if _, err := ws.PowerShell(ctx, fxNode1, ps); err != nil {
		t.Errorf("PowerShell once the node is fast again: %v", err)
	}
	if _, err := sq.SQL(ctx, fxNode1, sqlb); err != nil {
		t.Errorf("T-SQL once the node is fast again: %v", err)
	}
}

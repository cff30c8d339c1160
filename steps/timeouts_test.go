package steps

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// Every long operation names an operation the steps send (the lab knows them all),
// so a renamed script cannot lose its time.
func TestLongOperationsExist(t *testing.T) {
	ps, sql := estate.NewOperations().Names()
	for op, d := range longOps {
		if !slices.Contains(ps, op) && !slices.Contains(sql, op) {
			t.Errorf("longOps names %q, which no step sends", op)
		}
		if d <= 2*time.Minute {
			t.Errorf("%s: %v is not longer than the client's default of two minutes", op, d)
		}
	}
}

// timeoutRemote records the timeout each script arrived with.
type timeoutRemote struct {
	countRemote
	got map[string]time.Duration
}

func (r *timeoutRemote) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	r.got[s.Op] = s.Timeout
	return r.countRemote.PowerShell(ctx, host, s)
}

func (r *timeoutRemote) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	r.got[b.Op] = b.Timeout
	return r.countRemote.SQL(ctx, host, b)
}

func TestLongOperationsTravelWithTheirTime(t *testing.T) {
	r := &timeoutRemote{got: map[string]time.Duration{}}
	env := &Env{Remote: r, Redactor: script.NewRedactor()}
	ctx := context.Background()
	_ = env.PS(ctx, "node1", script.PowerShell{Op: "master.install"}, nil)
	_ = env.PS(ctx, "node1", script.PowerShell{Op: "master.get", ReadOnly: true}, nil)
	_ = env.PS(ctx, "node1", script.PowerShell{Op: "worker.install", Timeout: 3 * time.Hour}, nil)
	_, _ = env.SQL(ctx, "node1", script.TSQL{Op: "ag.join"})
	want := map[string]time.Duration{"master.install": longOps["master.install"], "master.get": 0, "worker.install": 3 * time.Hour, "ag.join": longOps["ag.join"]}
	for op, d := range want {
		if r.got[op] != d {
			t.Errorf("%s arrived with timeout %v, want %v", op, r.got[op], d)
		}
	}
}

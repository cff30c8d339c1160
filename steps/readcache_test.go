package steps

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/ssisha/ssisha/remote/script"
)

// countRemote answers every script and counts the calls per operation.
type countRemote struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countRemote) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[op]++
}

func (c *countRemote) PowerShell(_ context.Context, _ string, s script.PowerShell) (json.RawMessage, error) {
	c.count(s.Op)
	return json.RawMessage(`{"n":1}`), nil
}

func (c *countRemote) SQL(_ context.Context, _ string, b script.TSQL) (*script.ResultSet, error) {
	c.count(b.Op)
	return &script.ResultSet{Columns: []string{"n"}, Rows: [][]any{{int64(1)}}}, nil
}

func (c *countRemote) Close() error { return nil }

func TestRoundSharesIdenticalReads(t *testing.T) {
	r := &countRemote{}
	env := &Env{Remote: r, Redactor: script.NewRedactor(), Reads: NewReadCache()}
	ctx := context.Background()
	read := script.PowerShell{Op: "facts.get", ReadOnly: true, Params: map[string]any{"name": "a"}}
	other := script.PowerShell{Op: "facts.get", ReadOnly: true, Params: map[string]any{"name": "b"}}
	change := script.PowerShell{Op: "facts.set", Idempotent: true}
	query := script.TSQL{Op: "facts.sql", ReadOnly: true, Text: "SELECT 1 AS n"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var out struct{ N int }
			if err := env.PS(ctx, "node1", read, &out); err != nil || out.N != 1 {
				t.Errorf("shared read: %v, %+v", err, out)
			}
			if err := env.PS(ctx, "node2", read, nil); err != nil {
				t.Error(err)
			}
			if err := env.PS(ctx, "node1", other, nil); err != nil {
				t.Error(err)
			}
			if err := env.PS(ctx, "node1", change, nil); err != nil {
				t.Error(err)
			}
			rs, err := env.SQL(ctx, "node1", query)
			if err != nil || len(rs.Rows) != 1 {
				t.Errorf("shared query: %v, %+v", err, rs)
				return
			}
			rs.Rows[0][0] = "changed by one reader" // must not reach the others
		})
	}
	wg.Wait()
	want := map[string]int{"facts.get": 3, "facts.set": 4, "facts.sql": 1}
	for op, n := range want {
		if r.calls[op] != n {
			t.Errorf("%s ran %d times, want %d (reads once per node and parameters, changes every time)", op, r.calls[op], n)
		}
	}
	rs, _ := env.SQL(ctx, "node1", query)
	if rs.Rows[0][0] != int64(1) {
		t.Errorf("a reader's change reached the shared result: %v", rs.Rows[0][0])
	}

	// Without a round's cache (Apply and Verify), every read goes to the node.
	env.Reads = nil
	_ = env.PS(ctx, "node1", read, nil)
	_ = env.PS(ctx, "node1", read, nil)
	if r.calls["facts.get"] != 5 {
		t.Errorf("outside a round, facts.get ran %d times in all, want 5", r.calls["facts.get"])
	}
}

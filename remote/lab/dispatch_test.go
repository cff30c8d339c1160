package lab

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// addTestOperations adds the operations these tests send to t.
func addTestOperations(t *estate.Operations) {
	t.AddPS("test.echo", func(c *estate.OpContext, p estate.Params) (any, error) {
		return map[string]any{"host": c.Node.Host, "user": c.User, "value": p.String("Value")}, nil
	})
	t.AddPS("test.fail", func(c *estate.OpContext, p estate.Params) (any, error) {
		return nil, &estate.PSError{Message: "the cluster name is taken", ErrorID: "Taken"}
	})
	t.AddPS("test.mutate", func(c *estate.OpContext, p estate.Params) (any, error) {
		c.Estate.Seq += 1000
		c.Sleep(40 * time.Millisecond)
		return map[string]int{"seq": c.Estate.Seq}, nil
	})
	t.AddPS("test.panic", func(c *estate.OpContext, p estate.Params) (any, error) { panic("boom") })
	t.AddSQL("test.sql.whoami", func(c *estate.OpContext, p estate.Params) (*script.ResultSet, error) {
		return &script.ResultSet{Columns: []string{"host", "user", "via", "name"}, Rows: [][]any{{c.Node.Host, c.User, c.ViaListener, p.String("Name")}}}, nil
	})
	t.AddSQL("test.sql.fail", func(c *estate.OpContext, p estate.Params) (*script.ResultSet, error) {
		return nil, estate.SQLErrorf(15025, "The server principal '%s' already exists.", p.String("Name"))
	})
}

func psScript(op string, params map[string]any) string {
	return script.PowerShell{Op: op, Params: params, Body: "'{}'"}.Render()
}

func sqlText(op string) string { return script.TSQL{Op: op, Text: "SELECT 1"}.Statement() }

func TestRunPowerShellDispatchesToTheOperation(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	o := l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", psScript("test.echo", map[string]any{"Value": "it's"}), "powershell.exe -EncodedCommand x")
	if o.Exit != 0 || o.ErrorMsg != "" {
		t.Fatalf("exit %d: %s", o.Exit, o.ErrorMsg)
	}
	var got map[string]string
	if err := json.Unmarshal(o.Stdout, &got); err != nil {
		t.Fatalf("stdout %q: %v", o.Stdout, err)
	}
	if got["host"] != fxNode1 || got["user"] != `CONTOSO\dba` || got["value"] != "it's" {
		t.Errorf("op saw %v", got)
	}
	if s := l.Stats(); s.Ops["test.echo"] != 1 || s.Nodes[fxNode1].Commands != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestRunPowerShellFailsLoudly(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	tests := []struct {
		name, script, line, want string
	}{
		{"unknown op", psScript("test.nope", nil), "", "ssisha lab: unknown operation 'test.nope'"},
		{"not PowerShell", "", "ipconfig /all", "is not a PowerShell script"},
		{"foreign script", "Get-Service", "", "cannot be read"},
		{"op error", psScript("test.fail", nil), "", "the cluster name is taken"},
		{"op panic", psScript("test.panic", nil), "", "operation failed inside the lab: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", tt.script, tt.line)
			if o.Exit != 1 || !strings.Contains(o.ErrorMsg, tt.want) || len(o.Stdout) != 0 {
				t.Fatalf("got exit %d, error %q, stdout %q; want exit 1 and %q", o.Exit, o.ErrorMsg, o.Stdout, tt.want)
			}
		})
	}
}

func TestOperationsPersistTheirChangesAndChargeBusyTime(t *testing.T) {
	dir := t.TempDir()
	l := newTestLab(t, nil, Options{Dir: dir, Speed: 0.25})
	o := l.runPowerShell(context.Background(), fxNode2, `CONTOSO\dba`, "S1", psScript("test.mutate", nil), "")
	if o.Exit != 0 {
		t.Fatal(o.ErrorMsg)
	}
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Estate.Seq < 1000 {
		t.Errorf("change not saved: seq %d", st.Estate.Seq)
	}
	if got := l.Stats().Nodes[fxNode2].Busy; got != 10*time.Millisecond {
		t.Errorf("busy %v, want 40ms scaled by 0.25", got)
	}
	l.ResetStats()
	if got := l.Stats().Nodes[fxNode2].Busy; got != 0 {
		t.Errorf("busy after reset %v", got)
	}
}

func TestRunSQLChecksLoginsAndRoutesThroughTheListener(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	ctx := context.Background()
	admin := sqlSession{User: `CONTOSO\dba`, Windows: true}

	rs, err := l.runSQL(ctx, fxNode2, false, admin, sqlText("test.sql.whoami"), map[string]any{"@Name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if row := rs.Rows[0]; row[0] != fxNode2 || row[2] != false || row[3] != "x" {
		t.Errorf("direct: %v", row)
	}
	rs, err = l.runSQL(ctx, "", true, admin, sqlText("test.sql.whoami"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if row := rs.Rows[0]; row[0] != fxNode1 || row[2] != true {
		t.Errorf("via listener: %v", row)
	}
	if err := l.FailoverAG(fxNode2); err != nil {
		t.Fatal(err)
	}
	rs, err = l.runSQL(ctx, "", true, admin, sqlText("test.sql.whoami"), nil)
	if err != nil || rs.Rows[0][0] != fxNode2 {
		t.Errorf("after failover the listener routes to %v (%v)", rs, err)
	}

	tests := []struct {
		name   string
		sess   sqlSession
		text   string
		setup  func(e *estate.Estate)
		number int32
	}{
		{"unknown op", admin, sqlText("test.sql.nope"), nil, 2812},
		{"op error", admin, sqlText("test.sql.fail"), nil, 15025},
		{"no op comment", admin, "SELECT 1", nil, 102},
		{"no such login", sqlSession{User: "nobody"}, sqlText("test.sql.whoami"), nil, 18456},
		{"disabled login", sqlSession{User: estate.LoggingLogin}, sqlText("test.sql.whoami"), func(e *estate.Estate) {
			e.Nodes[fxNode2].SQL.Logins[strings.ToLower(estate.LoggingLogin)].Disabled = true
		}, 18456},
		{"mixed mode off", sqlSession{User: estate.LoggingLogin}, sqlText("test.sql.whoami"), func(e *estate.Estate) {
			e.Nodes[fxNode2].SQL.MixedMode = false
		}, 18456},
		{"no listener", admin, sqlText("test.sql.whoami"), func(e *estate.Estate) { e.AG.Listener = nil }, 983},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLab(t, healthyEstate(t), Options{})
			if err := l.FailoverAG(fxNode2); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				l.Estate(tt.setup)
			}
			_, err := l.runSQL(ctx, "", true, tt.sess, tt.text, nil)
			var se *estate.SQLError
			if !errors.As(err, &se) || se.Number != tt.number {
				t.Fatalf("got %v, want SQL error %d", err, tt.number)
			}
		})
	}
	rs, err = l.runSQL(ctx, fxNode1, false, sqlSession{User: estate.LoggingLogin}, sqlText("test.sql.whoami"), nil)
	if err != nil || rs.Rows[0][1] != estate.LoggingLogin {
		t.Errorf("SQL login: %v %v", rs, err)
	}
}

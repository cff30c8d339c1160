package estate

import (
	"fmt"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// PSOp carries out one PowerShell operation on a node. Its result is marshalled to
// JSON and printed on stdout, as the real script would. It runs with the estate
// locked.
type PSOp func(c *OpContext, p Params) (any, error)

// SQLOp carries out one T-SQL operation on an instance and returns its result set
// (nil for none). It runs with the estate locked.
type SQLOp func(c *OpContext, p Params) (*script.ResultSet, error)

// ticker advances time-based state before every operation (worker agents that
// register some time after their service starts, the master's heartbeat). It runs
// with the estate locked.
type ticker func(e *Estate, now time.Time)

// OpContext is what an operation sees.
type OpContext struct {
	Estate *Estate
	// Node is where the operation runs: the node for PowerShell, the instance's node
	// for T-SQL (through the listener: the primary's node).
	Node *Node
	// User is who authenticated: DOMAIN\user for WinRM and Windows logins, the login
	// name for SQL logins.
	User string
	// ViaListener is true when the T-SQL came through the AG listener.
	ViaListener bool
	// Now is the lab clock at the start of the operation: it runs at 1/speed so the
	// estate's own delays keep a real estate's proportions.
	Now time.Time
	// Wall is the time the node's own clock shows (Get-Date, SYSDATETIMEOFFSET as a
	// person compares it with theirs): the wall clock when the lab serves the protocols,
	// Now in process. Zero means Now.
	Wall time.Time
	// Text is the T-SQL batch as sent: what SQL Server keeps of a batch that defines
	// an object, such as a job step's command. Empty for PowerShell.
	Text string
	// Script is the code of the PowerShell script that named the operation, less its
	// parameters (so no secret); empty for T-SQL and for the lab's own calls. What
	// PowerShell itself would do with the script's constructs is modelled from it.
	Script string
	// ScriptFile is the file in the node's %TEMP% that held the script when the client
	// uploaded it and ran it with -File; empty when it ran from the command line.
	ScriptFile string
	// ScriptFileParams names the parameters written into ScriptFile (those the client
	// sent on the command's stdin are not).
	ScriptFileParams []string
	// Running are the operations running on Node when this one started, itself
	// excluded (the runtime tracks them: they outlive their client's connection).
	Running []RunningOp
	// sleep is provided by the runtime: it scales d by the speed factor, charges it to
	// the node's busy time and releases the estate lock while it waits.
	sleep func(d time.Duration)
}

// NewOpContext builds a context; the runtime passes its sleep function (nil: no wait).
func NewOpContext(e *Estate, n *Node, user string, viaListener bool, now time.Time, sleep func(time.Duration)) *OpContext {
	return &OpContext{Estate: e, Node: n, User: user, ViaListener: viaListener, Now: now, sleep: sleep}
}

// Sleep waits as long as the real operation would take (scaled by the lab's speed).
// The estate lock is released while waiting, so re-read anything you read before.
func (c *OpContext) Sleep(d time.Duration) {
	if c.sleep != nil && d > 0 {
		c.sleep(d)
	}
}

// nextSeq returns a new number from the estate's sequence, for deterministic IDs.
func (c *OpContext) nextSeq() int {
	c.Estate.Seq++
	return c.Estate.Seq
}

// PSError is a PowerShell terminating error: the runtime writes it to stderr as
// CLIXML and exits 1, as powershell.exe does with $ErrorActionPreference = 'Stop'.
type PSError struct {
	Message string
	// FullyQualifiedErrorId, e.g. "ClusterNameUnavailable,Microsoft.FailoverClusters…".
	ErrorID string
}

func (e *PSError) Error() string { return e.Message }

// errorf returns a PSError.
func errorf(format string, args ...any) error {
	return &PSError{Message: fmt.Sprintf(format, args...)}
}

// SQLError is a SQL Server error: the runtime sends it as an ERROR token with the
// number, state and class SQL Server uses.
type SQLError struct {
	Number  int32
	State   uint8
	Class   uint8
	Message string
}

func (e *SQLError) Error() string { return fmt.Sprintf("Msg %d: %s", e.Number, e.Message) }

// SQLErrorf returns a SQLError of class 16 (state 1).
func SQLErrorf(number int32, format string, args ...any) error {
	return &SQLError{Number: number, State: 1, Class: 16, Message: fmt.Sprintf(format, args...)}
}

// Operations is the table of what the estate does for each operation a script names
// on its first line (ssisha-op), and the time-based behaviour that runs before each
// operation. NewOperations fills it; the runtime builds one and dispatches through it.
type Operations struct {
	ps      map[string]PSOp
	sql     map[string]SQLOp
	tickers []ticker
}

// NewOperations returns the table of every operation the lab carries out. A new
// operation is a function in an ops_*.go file, added to that file's list.
func NewOperations() *Operations {
	t := &Operations{ps: map[string]PSOp{}, sql: map[string]SQLOp{}}
	for _, add := range []func(*Operations){winOps, clusterOps, certOps, settingsOps, masterOps, workerOps, sqlOps, clrOps, agOps, ssisdbOps, failoverOps, lockOps, factsOps, inflightOps} {
		add(t)
	}
	t.tickers = []ticker{automaticSeeding, agentJobs, masterHeartbeat, workerRegistration}
	return t
}

// AddPS makes a PowerShell operation known; a name added twice is a programming error.
func (t *Operations) AddPS(op string, fn PSOp) {
	if _, dup := t.ps[op]; dup {
		panic("lab: PowerShell operation added twice: " + op)
	}
	t.ps[op] = fn
}

// AddSQL makes a T-SQL operation known; a name added twice is a programming error.
func (t *Operations) AddSQL(op string, fn SQLOp) {
	if _, dup := t.sql[op]; dup {
		panic("lab: T-SQL operation added twice: " + op)
	}
	t.sql[op] = fn
}

// PowerShell returns the handler of a PowerShell operation.
func (t *Operations) PowerShell(op string) (PSOp, bool) {
	fn, ok := t.ps[op]
	return fn, ok
}

// SQL returns the handler of a T-SQL operation.
func (t *Operations) SQL(op string) (SQLOp, bool) {
	fn, ok := t.sql[op]
	return fn, ok
}

// Tick brings the estate's time-based state up to now. The estate lock must be held.
func (t *Operations) Tick(e *Estate, now time.Time) {
	for _, tick := range t.tickers {
		tick(e, now)
	}
}

// Names lists the operations, sorted, for diagnostics and tests.
func (t *Operations) Names() (ps, sql []string) {
	return sortedKeys(t.ps), sortedKeys(t.sql)
}

// Params are an operation's parameters as decoded from the script (JSON numbers stay
// json.Number) or the RPC call (strings, int64, bool, []byte).
type Params map[string]any

// String returns a string parameter ("" when absent).
func (p Params) String(k string) string {
	switch v := p[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case []byte:
		return string(v)
	default:
		return fmt.Sprint(v)
	}
}

// Int returns an integer parameter (0 when absent or not a number).
func (p Params) Int(k string) int {
	switch v := p[k].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case interface{ Int64() (int64, error) }:
		n, _ := v.Int64()
		return int(n)
	case string:
		var n int
		_, _ = fmt.Sscan(v, &n)
		return n
	}
	return 0
}

// Bool returns a boolean parameter.
func (p Params) Bool(k string) bool {
	switch v := p[k].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true") || v == "1"
	case int64:
		return v != 0
	}
	return false
}

// Strings returns a list-of-strings parameter.
func (p Params) Strings(k string) []string {
	switch v := p[k].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	}
	return nil
}

// nodeTime is what the node's clock shows: Wall when set, else Now.
func (c *OpContext) nodeTime() time.Time {
	if !c.Wall.IsZero() {
		return c.Wall
	}
	return c.Now
}

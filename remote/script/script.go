// Package script defines how ssisha talks to nodes: PowerShell scripts and T-SQL
// batches built from named templates with typed parameters, and the Secret type
// that keeps passwords out of everything a person or a file can see.
//
// The same package is read by both sides of the wire: the client renders scripts,
// the lab parses them to find the operation and its parameters.
package script

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// PowerShell is one script run on one node. Its text is fully determined by Op,
// Params and Body, so it can be shown, hashed and golden-tested.
type PowerShell struct {
	// Op names the operation; the script's first line is "# ssisha-op: <Op>".
	Op string
	// Params are embedded as one JSON object in a single-quoted literal and read by
	// the body as $p. Secret values are allowed anywhere in it, but a parameter
	// holding one never goes in the text: it travels on stdin, as Input does.
	Params map[string]any
	// Input are parameters sent on the command's stdin instead of in the script text:
	// payloads too large for a command line (a PFX), which would otherwise make the
	// script itself too long for one and put the payload in the script block that
	// PowerShell's logging records. The body reads them as $p too. Secret values are
	// allowed.
	Input map[string]any
	// Body is the PowerShell that does the work, using $p. It writes exactly one JSON
	// object to stdout (ConvertTo-Json -Compress -Depth 5).
	Body string
	// ReadOnly marks a script that changes nothing; it may be retried.
	ReadOnly bool
	// Idempotent marks a script that may be retried after a transient failure.
	Idempotent bool
	// Timeout is how long the node may take to run the script when that is longer
	// than the client's per-command timeout (SQL Server setup takes many minutes);
	// 0 keeps the client's.
	Timeout time.Duration
}

// OpPrefixPS starts the first line of every PowerShell script.
const OpPrefixPS = "# ssisha-op: "

// OpPrefixSQL starts the first line of every T-SQL batch.
const OpPrefixSQL = "/* ssisha-op: "

// ParamsLinePrefix starts the line of a script that carries its parameters, all
// but those on stdin (secrets among them); the body reads them as $p.
const ParamsLinePrefix = "$p = ConvertFrom-Json "

// Render returns the text sent to the node, secrets revealed. Never log it.
func (s PowerShell) Render() string { return s.render(true) }

// Display returns the text with every secret replaced by its placeholder; this is
// what plans, bundles, logs and the screen show.
func (s PowerShell) Display() string { return s.render(false) }

func (s PowerShell) render(reveal bool) string {
	text, stdin := s.splitParams()
	var b strings.Builder
	b.WriteString(OpPrefixPS)
	b.WriteString(s.Op)
	b.WriteString("\n$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n")
	b.WriteString(ParamsLinePrefix)
	b.WriteString(QuotePS(string(encodeParams(text, reveal))))
	b.WriteString("\n")
	b.WriteString(inputLines(stdin))
	b.WriteString(strings.TrimRight(s.Body, "\n"))
	b.WriteString("\n")
	return b.String()
}

// ParsePowerShell reads the operation and parameters back out of a rendered script.
// The lab uses it; it fails on any script not built by this package.
func ParsePowerShell(text string) (op string, params map[string]any, err error) {
	text = strings.TrimPrefix(text, "\ufeff")
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], OpPrefixPS) {
		return "", nil, fmt.Errorf("script does not start with %q", strings.TrimSpace(OpPrefixPS))
	}
	op = strings.TrimSpace(strings.TrimPrefix(lines[0], OpPrefixPS))
	if op == "" {
		return "", nil, fmt.Errorf("script names no operation")
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, ParamsLinePrefix) {
			continue
		}
		lit, err := UnquotePS(strings.TrimSpace(strings.TrimPrefix(l, ParamsLinePrefix)))
		if err != nil {
			return op, nil, fmt.Errorf("parameters of %s: %w", op, err)
		}
		params = map[string]any{}
		dec := json.NewDecoder(strings.NewReader(lit))
		dec.UseNumber()
		if err := dec.Decode(&params); err != nil {
			return op, nil, fmt.Errorf("parameters of %s: %w", op, err)
		}
		return op, params, nil
	}
	return op, map[string]any{}, nil
}

// TSQL is one batch run on one SQL Server instance (or through the listener). Values
// travel as sp_executesql parameters, never spliced into Text.
type TSQL struct {
	// Op names the operation; the statement starts with "/* ssisha-op: <Op> */".
	Op string
	// Text is the T-SQL body. It refers to parameters as @Name. It returns at most one
	// result set.
	Text string
	// Params are sent as named parameters (sql.Named). Secret values are allowed.
	Params []Param
	// ReadOnly marks a batch that changes nothing; it may be retried.
	ReadOnly bool
	// Idempotent marks a batch that may be retried after a transient failure.
	Idempotent bool
	// Timeout is how long the server may take when that is longer than the client's
	// per-batch timeout; 0 keeps the client's.
	Timeout time.Duration
}

// Param is one named T-SQL parameter. Value is a string, int64, bool, []byte or Secret.
type Param struct {
	Name  string
	Value any
}

// Statement returns the text sent to the server (it never contains a secret).
func (b TSQL) Statement() string {
	return OpPrefixSQL + b.Op + " */\n" + strings.TrimRight(b.Text, "\n") + "\n"
}

// Display returns the statement preceded by the parameter values as comments, secrets
// replaced by placeholders; this is what plans, bundles, logs and the screen show.
func (b TSQL) Display() string {
	var sb strings.Builder
	sb.WriteString(OpPrefixSQL + b.Op + " */\n")
	for _, p := range b.Params {
		fmt.Fprintf(&sb, "-- @%s = %s\n", p.Name, displayValue(p.Value))
	}
	sb.WriteString(strings.TrimRight(b.Text, "\n"))
	sb.WriteString("\n")
	return sb.String()
}

// Args returns the parameter values ready for database/sql, secrets revealed, in order.
func (b TSQL) Args() []Param {
	out := make([]Param, len(b.Params))
	for i, p := range b.Params {
		v := p.Value
		if s, ok := v.(Secret); ok {
			v = s.Reveal()
		}
		out[i] = Param{Name: p.Name, Value: v}
	}
	return out
}

// ParseOpSQL returns the operation named on the first line of a statement.
func ParseOpSQL(stmt string) (string, error) {
	stmt = strings.TrimLeft(stmt, " \t\r\n\ufeff")
	if !strings.HasPrefix(stmt, OpPrefixSQL) {
		return "", fmt.Errorf("statement does not start with %q", strings.TrimSpace(OpPrefixSQL))
	}
	rest := strings.TrimPrefix(stmt, OpPrefixSQL)
	end := strings.Index(rest, "*/")
	if end < 0 {
		return "", fmt.Errorf("operation comment is not closed")
	}
	op := strings.TrimSpace(rest[:end])
	if op == "" {
		return "", fmt.Errorf("statement names no operation")
	}
	return op, nil
}

func displayValue(v any) string {
	switch x := v.(type) {
	case Secret:
		return x.String()
	case string:
		return QuoteSQLString(x)
	case []byte:
		return fmt.Sprintf("0x%X", x)
	case nil:
		return "NULL"
	default:
		return fmt.Sprint(x)
	}
}

// ResultSet is the one result set a batch returns.
type ResultSet struct {
	Columns []string
	Rows    [][]any
}

// Clone returns a copy whose rows can be changed without touching r's (the values
// themselves are shared; they are strings, numbers, times and byte slices nobody
// writes to).
func (r *ResultSet) Clone() *ResultSet {
	if r == nil {
		return nil
	}
	out := &ResultSet{Columns: append([]string(nil), r.Columns...), Rows: make([][]any, len(r.Rows))}
	for i, row := range r.Rows {
		out.Rows[i] = append([]any(nil), row...)
	}
	return out
}

// Maps returns the rows as column-name maps.
func (r *ResultSet) Maps() []map[string]any {
	if r == nil {
		return nil
	}
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		m := make(map[string]any, len(r.Columns))
		for j, c := range r.Columns {
			if j < len(row) {
				m[c] = row[j]
			}
		}
		out[i] = m
	}
	return out
}

// encodeParams marshals params with sorted keys; secrets become their value or
// their placeholder.
func encodeParams(params map[string]any, reveal bool) []byte {
	if params == nil {
		params = map[string]any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(substituteSecrets(params, reveal)); err != nil {
		// Params are built by our own templates from plain values; a failure here is a
		// programming error, and the script must not run half-formed.
		panic(fmt.Sprintf("script parameters cannot be encoded: %v", err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func substituteSecrets(v any, reveal bool) any {
	switch x := v.(type) {
	case Secret:
		if reveal {
			return x.Reveal()
		}
		return x.String()
	case map[string]any:
		m := make(map[string]any, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			m[k] = substituteSecrets(x[k], reveal)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i := range x {
			s[i] = substituteSecrets(x[i], reveal)
		}
		return s
	default:
		return v
	}
}

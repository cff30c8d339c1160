package conformance

import (
	"regexp"
	"strings"
)

// The T-SQL side of the extraction: every EXEC of a stored procedure and the
// parameters it names, outside comments and string literals, and again inside string
// literals that hold T-SQL of their own (a job step's @command, dynamic SQL).

// procCall is one EXEC of a stored procedure.
type procCall struct {
	Name   string // as written, without brackets
	Key    string // the catalog's name for it: see procKey
	Params []string
	Line   int
}

var (
	execName = regexp.MustCompile(`(?i)\bEXEC(?:UTE)?\s+(?:@\w+\s*=\s*)?((?:\[[^\]]+\]|[A-Za-z_#][\w$#]*)(?:\s*\.\s*(?:\[[^\]]+\]|[A-Za-z_#][\w$#]*))*)`)
	namedArg = regexp.MustCompile(`@(\w+)\s*=[^=]`)
	// A line whose first word starts another statement ends an EXEC's arguments.
	nextStatement = regexp.MustCompile(`(?i)^\s*(BEGIN|END|IF|ELSE|SELECT|SET|DECLARE|EXEC|EXECUTE|INSERT|UPDATE|DELETE|WHILE|RETURN|PRINT|RAISERROR|THROW|CLOSE|OPEN|FETCH|DEALLOCATE|GO|COMMIT|ROLLBACK|CREATE|ALTER|DROP|GRANT|REVOKE|WAITFOR|BREAK|CONTINUE|USE|WITH|MERGE|TRUNCATE|RECONFIGURE)\b`)
	hasExec       = regexp.MustCompile(`(?i)\bEXEC(UTE)?\b`)
)

// scanTSQL returns every procedure call in a batch.
func scanTSQL(src string) []procCall {
	masked, strs := maskTSQL(src)
	var calls []procCall
	for _, m := range execName.FindAllStringSubmatchIndex(masked, -1) {
		name := strings.NewReplacer("[", "", "]", "", " ", "", "\t", "").Replace(masked[m[2]:m[3]])
		c := procCall{Name: name, Key: procKey(name), Line: 1 + strings.Count(masked[:m[0]], "\n")}
		for _, a := range namedArg.FindAllStringSubmatch(execArgs(masked[m[1]:]), -1) {
			c.Params = append(c.Params, a[1])
		}
		calls = append(calls, c)
	}
	for _, s := range strs {
		if hasExec.MatchString(s) {
			calls = append(calls, scanTSQL(s)...)
		}
	}
	return calls
}

// execArgs cuts the text after a procedure name at the end of its statement.
func execArgs(rest string) string {
	if k := strings.IndexByte(rest, ';'); k >= 0 {
		rest = rest[:k]
	}
	lines := strings.Split(rest, "\n")
	for i := 1; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "" || nextStatement.MatchString(lines[i]) {
			return strings.Join(lines[:i], "\n")
		}
	}
	return rest
}

// maskTSQL blanks comments and the contents of string literals (keeping line breaks,
// so line numbers hold) and returns the literals' contents, unescaped.
func maskTSQL(src string) (string, []string) {
	var b strings.Builder
	var strs []string
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "--"):
			for i < len(src) && src[i] != '\n' {
				b.WriteByte(' ')
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 2
			}
			for _, c := range []byte(src[i:min(i+end+4, len(src))]) {
				b.WriteByte(keepNewline(c))
			}
			i += end + 4
		case src[i] == '\'':
			lit, next := singleQuoted(src, i)
			b.WriteByte('\'')
			for _, c := range []byte(lit) {
				b.WriteByte(keepNewline(c))
			}
			b.WriteByte('\'')
			strs = append(strs, lit)
			i = next
		default:
			b.WriteByte(src[i])
			i++
		}
	}
	return b.String(), strs
}

func keepNewline(c byte) byte {
	if c == '\n' {
		return '\n'
	}
	return 'x'
}

// procKey names a procedure the way its documentation page does: without the
// database, and without the dbo or sys schema that system procedures live in
// (msdb.dbo.sp_add_job and sys.sp_configure are sp_add_job and sp_configure), but
// with any other schema (SSISDB.catalog.enable_worker_agent is
// catalog.enable_worker_agent).
func procKey(name string) string {
	parts := strings.Split(strings.ToLower(name), ".")
	n := len(parts)
	if n == 1 {
		return parts[0]
	}
	if parts[n-2] == "dbo" || parts[n-2] == "sys" || parts[n-2] == "" {
		return parts[n-1]
	}
	return parts[n-2] + "." + parts[n-1]
}

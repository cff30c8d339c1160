package tds

import (
	"regexp"
	"strconv"
	"strings"
)

// Drivers open sessions with batches that only set session options (tedious,
// FreeTDS, pymssql) and check pooled connections with SELECT 1 (mssql). A real
// server runs them; the lab answers them itself, so the handler, which plays the
// instance's operations, still refuses every other script loudly.
var (
	setStatement = regexp.MustCompile(`(?i)^set\s+[a-z_]+(\s*,\s*[a-z_]+)*(\s+[a-z0-9_'".+-]+)+$`)
	selectNumber = regexp.MustCompile(`(?i)^select\s+(-?\d{1,9})$`)
)

// harmless answers a batch made only of SET statements, or a bare SELECT of an
// integer; ok is false for any other batch.
func harmless(t *tokens, text string) (ok bool) {
	var stmts []string
	for line := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ';' }) {
		if s := strings.TrimSpace(line); s != "" {
			stmts = append(stmts, s)
		}
	}
	if len(stmts) == 0 {
		return false
	}
	if len(stmts) == 1 {
		if m := selectNumber.FindStringSubmatch(stmts[0]); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 32)
			t.u8(tokColMetadata)
			t.u16(1)
			t.userType()
			t.u16(0x0001) // nullable
			t.u8(typIntN)
			t.u8(4)
			t.u8(0) // no column name
			t.u8(tokRow)
			t.u8(4)
			t.u32(uint32(int32(n)))
			t.done(tokDone, doneCount, curCmdSelect, 1)
			return true
		}
	}
	for _, s := range stmts {
		if !setStatement.MatchString(s) {
			return false
		}
	}
	t.done(tokDone, doneFinal, 0, 0)
	return true
}

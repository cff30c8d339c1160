package script

import (
	"fmt"
	"strings"
)

// QuotePS returns s as a PowerShell single-quoted literal. Inside such a literal only
// the quote characters are special; PowerShell accepts the typographic single quotes
// (U+2018, U+2019, U+201A, U+201B) as quotes too, so every one of them is doubled.
func QuotePS(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		if isPSQuote(r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// UnquotePS reverses QuotePS.
func UnquotePS(lit string) (string, error) {
	rs := []rune(lit)
	if len(rs) < 2 || !isPSQuote(rs[0]) || !isPSQuote(rs[len(rs)-1]) {
		return "", fmt.Errorf("not a single-quoted PowerShell literal")
	}
	rs = rs[1 : len(rs)-1]
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if isPSQuote(r) {
			if i+1 >= len(rs) || !isPSQuote(rs[i+1]) {
				return "", fmt.Errorf("unescaped quote inside a PowerShell literal")
			}
			i++
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

func isPSQuote(r rune) bool {
	return r == '\'' || r == '\u2018' || r == '\u2019' || r == '\u201A' || r == '\u201B'
}

// QuoteSQLString returns s as a T-SQL Unicode string literal, N'…' with ' doubled.
// Values normally travel as parameters; this is for the rare literal built client-side.
func QuoteSQLString(s string) string {
	return "N'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// QuoteName returns s as a bracketed T-SQL identifier like QUOTENAME: ] is doubled.
// It fails, as QUOTENAME returns NULL, for names over 128 characters.
func QuoteName(s string) (string, error) {
	if len([]rune(s)) > 128 {
		return "", fmt.Errorf("identifier longer than 128 characters")
	}
	return "[" + strings.ReplaceAll(s, "]", "]]") + "]", nil
}

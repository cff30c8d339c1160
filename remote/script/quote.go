package script

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// QuotePS returns s as a PowerShell single-quoted literal. Inside such a literal only
// the quote characters are special; PowerShell accepts the typographic single quotes
// (U+2018, U+2019, U+201A, U+201B) as quotes too, so every one of them is doubled.
func QuotePS(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isPSQuote(r) {
			b.WriteString(s[i : i+size])
		}
		// The original bytes, so that even invalid UTF-8 round-trips unchanged.
		b.WriteString(s[i : i+size])
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}

// UnquotePS reverses QuotePS.
func UnquotePS(lit string) (string, error) {
	first, fs := utf8.DecodeRuneInString(lit)
	last, ls := utf8.DecodeLastRuneInString(lit)
	if len(lit) < fs+ls || !isPSQuote(first) || !isPSQuote(last) {
		return "", fmt.Errorf("not a single-quoted PowerShell literal")
	}
	body := lit[fs : len(lit)-ls]
	var b strings.Builder
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		if isPSQuote(r) {
			r2, size2 := utf8.DecodeRuneInString(body[i+size:])
			if i+size >= len(body) || !isPSQuote(r2) {
				return "", fmt.Errorf("unescaped quote inside a PowerShell literal")
			}
			b.WriteString(body[i : i+size])
			i += size + size2
			continue
		}
		b.WriteString(body[i : i+size])
		i += size
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

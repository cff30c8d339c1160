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
	v, rest, err := CutPSLiteral(lit)
	if err != nil {
		return "", err
	}
	if rest != "" {
		return "", fmt.Errorf("unescaped quote inside a PowerShell literal")
	}
	return v, nil
}

// CutPSLiteral reads the single-quoted PowerShell literal that s starts with and
// returns its value and the text after it. As in PowerShell, the literal ends at the
// first quote character that is not followed by another one; a pair of quote
// characters stands for one.
func CutPSLiteral(s string) (value, rest string, err error) {
	first, fs := utf8.DecodeRuneInString(s)
	if !isPSQuote(first) {
		return "", s, fmt.Errorf("not a single-quoted PowerShell literal")
	}
	var b strings.Builder
	for i := fs; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isPSQuote(r) {
			// The original bytes, so that invalid UTF-8 comes back unchanged.
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		r2, size2 := utf8.DecodeRuneInString(s[i+size:])
		if !isPSQuote(r2) {
			return b.String(), s[i+size:], nil
		}
		b.WriteString(s[i : i+size])
		i += size + size2
	}
	return "", s, fmt.Errorf("unterminated PowerShell literal")
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

package script

import (
	"strings"
	"testing"
)

func TestCutPSLiteral(t *testing.T) {
	tests := []struct {
		in, value, rest, err string
	}{
		{in: "'abc'", value: "abc"},
		{in: "'it''s',\n'next'", value: "it's", rest: ",\n'next'"},
		{in: "''", value: ""},
		{in: "''''", value: "'"},
		{in: "\u2018typographic\u2019\u2019 quote\u2019)", value: "typographic\u2019 quote", rest: ")"},
		{in: "'line one\nline two'\n)", value: "line one\nline two", rest: "\n)"},
		{in: "abc", err: "not a single-quoted"},
		{in: "", err: "not a single-quoted"},
		{in: "'open", err: "unterminated"},
		{in: "'ends in a doubled quote''", err: "unterminated"},
	}
	for _, tt := range tests {
		v, rest, err := CutPSLiteral(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CutPSLiteral(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || v != tt.value || rest != tt.rest {
			t.Errorf("CutPSLiteral(%q) = %q, %q, %v; want %q, %q", tt.in, v, rest, err, tt.value, tt.rest)
		}
	}
}

// FuzzCutPSLiteral checks that a literal QuotePS wrote is read back whole, however
// the text after it goes on, as long as that text does not itself start with a
// quote (which would make the closing quote a doubled one).
func FuzzCutPSLiteral(f *testing.F) {
	for _, s := range []string{"", "'", "x'y", "\u2019", "a\nb", "\xff\xfe"} {
		f.Add(s, ",\n'next'")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, tail string) {
		if r := []rune(tail); len(r) > 0 && isPSQuote(r[0]) {
			return
		}
		v, rest, err := CutPSLiteral(QuotePS(s) + tail)
		if err != nil || v != s || rest != tail {
			t.Fatalf("CutPSLiteral(QuotePS(%q)+%q) = %q, %q, %v", s, tail, v, rest, err)
		}
	})
}

package script

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

// Every spelling a template gives a secret is redacted: in a rendered PowerShell
// script (JSON inside a single-quoted literal), as JSON with and without HTML
// escaping and as Windows PowerShell writes it, in XML, in a T-SQL literal, and in a
// rendered script quoted again as JSON (an event or error record).
func TestRedactorCoversEveryEncoding(t *testing.T) {
	values := []string{
		`Canary'with"both1`,
		`Canary\back<sl>&ash`,
		"Canary’typographic‘q",
		`Canary]]br'a"ck\et<`,
	}
	for _, v := range values {
		s := NewSecret("pw", v)
		r := NewRedactor(s)
		ps := PowerShell{Op: "x.y", Params: map[string]any{"pw": s}, Body: "$r = 1"}.Render()
		var htmlJSON, plainJSON, xmlText bytes.Buffer
		_ = json.NewEncoder(&htmlJSON).Encode(v)
		enc := json.NewEncoder(&plainJSON)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		_ = xml.EscapeText(&xmlText, []byte(v))
		psJSON := strings.ReplaceAll(htmlJSON.String(), "'", `\u0027`)
		quoted, _ := json.Marshal(ps)
		forms := map[string]string{
			"rendered PowerShell":           ps,
			"JSON":                          htmlJSON.String(),
			"JSON without HTML escaping":    plainJSON.String(),
			"ConvertTo-Json":                psJSON,
			"XML (Go)":                      xmlText.String(),
			"XML (named entities)":          xmlEscape(v),
			"T-SQL literal":                 QuoteSQLString(v),
			"bracketed name":                strings.ReplaceAll(v, "]", "]]"),
			"rendered PowerShell as JSON":   string(quoted),
			"error record quoting the line": "At line:4 char:1\n+ " + strings.Split(ps, "\n")[3] + "\n+ ~~~",
		}
		for name, text := range forms {
			if out := r.Redact(text); strings.Contains(out, "Canary") {
				t.Errorf("%q in %s is not redacted: %s", v, name, out)
			}
		}
	}
}

// A short value is replaced only where it stands alone, so that it is neither given
// away nor does it mangle the names it is part of.
func TestRedactorShortValuesOnlyWhereTheyStandAlone(t *testing.T) {
	r := NewRedactor(NewSecret("pfx-password", "node1"))
	tests := []struct{ in, want string }{
		{"connecting to node1.contoso.com", "connecting to node1.contoso.com"},
		{`C:\node1\x and node12 and mynode1`, `C:\node1\x and node12 and mynode1`},
		{"the password is node1.", "the password is <secret:pfx-password>."},
		{"pw='node1' then", "pw='<secret:pfx-password>' then"},
		{"node1", "<secret:pfx-password>"},
	}
	for _, tt := range tests {
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

package script

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

const canary = "Canary-P@ss-0'\";--"

func TestPowerShellRoundTrip(t *testing.T) {
	s := PowerShell{
		Op:     "test.op",
		Params: map[string]any{"name": "O'Brien ‘quoted’", "port": 8391, "pw": NewSecret("pw", canary), "list": []any{"a", NewSecret("inner", "Inner-Secret-1")}},
		Body:   "$r = [pscustomobject]@{ ok = $true }\n$r | ConvertTo-Json -Compress -Depth 5",
	}
	text := s.Render()
	if !strings.HasPrefix(text, "# ssisha-op: test.op\n$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n") {
		t.Fatalf("script does not start with the op line and preferences:\n%s", text)
	}
	op, params, err := ParsePowerShell(text)
	if err != nil {
		t.Fatal(err)
	}
	// The parameters holding a secret travel on stdin, never in the text.
	if _, ok := params["pw"]; ok || strings.Contains(text, "Canary-P@ss-0") || strings.Contains(text, "Inner-Secret-1") {
		t.Errorf("a secret is in the script text:\n%s", text)
	}
	if !ReadsInput(text) || !strings.Contains(text, "# on stdin: list, pw=<secret:pw>\n") {
		t.Errorf("the script does not read list and pw from stdin:\n%s", text)
	}
	if err := MergeInput(params, s.InputBytes()); err != nil {
		t.Fatal(err)
	}
	if op != "test.op" || params["name"] != "O'Brien ‘quoted’" || params["pw"] != canary || fmt.Sprint(params["port"]) != "8391" {
		t.Errorf("parsed %s %v", op, params)
	}
	if list, _ := params["list"].([]any); len(list) != 2 || list[1] != "Inner-Secret-1" {
		t.Errorf("nested secret not revealed for sending: %v", params["list"])
	}
	shown := s.Display()
	if strings.Contains(shown, "Canary-P@ss-0") || strings.Contains(shown, "Inner-Secret-1") {
		t.Errorf("Display shows a secret:\n%s", shown)
	}
	if shown != text {
		t.Errorf("Display differs from the text sent, though no secret is in it:\n%s", shown)
	}
}

func TestParsePowerShellRefusesForeignScripts(t *testing.T) {
	for _, text := range []string{"", "Get-Service", "# ssisha-op: \n", "# ssisha-op: x\n$p = ConvertFrom-Json 'not json'\n", "# ssisha-op: x\n$p = ConvertFrom-Json 'unterminated\n"} {
		if _, _, err := ParsePowerShell(text); err == nil {
			t.Errorf("ParsePowerShell(%q) accepted it", text)
		}
	}
}

func TestTSQL(t *testing.T) {
	b := TSQL{Op: "sql.test", Text: "SELECT @name AS name;", Params: []Param{{"name", "x'; DROP TABLE t; --"}, {"pw", NewSecret("logging-password", canary)}, {"n", int64(5)}, {"b", []byte{1, 2}}, {"null", nil}}}
	stmt := b.Statement()
	if op, err := ParseOpSQL(stmt); err != nil || op != "sql.test" {
		t.Errorf("ParseOpSQL = %q, %v", op, err)
	}
	if strings.Contains(stmt, "DROP TABLE") || strings.Contains(stmt, "Canary") {
		t.Errorf("a value was spliced into the statement:\n%s", stmt)
	}
	args := b.Args()
	if args[1].Value != canary || args[0].Value != "x'; DROP TABLE t; --" {
		t.Errorf("Args = %v", args)
	}
	shown := b.Display()
	if strings.Contains(shown, "Canary") || !strings.Contains(shown, "<secret:logging-password>") || !strings.Contains(shown, "N'x''; DROP TABLE t; --'") || !strings.Contains(shown, "0x0102") || !strings.Contains(shown, "NULL") {
		t.Errorf("Display:\n%s", shown)
	}
	for _, bad := range []string{"SELECT 1", "/* ssisha-op: */", "/* ssisha-op: x"} {
		if _, err := ParseOpSQL(bad); err == nil {
			t.Errorf("ParseOpSQL(%q) accepted it", bad)
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("master-key", canary)
	outs := []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s), s.String(), s.GoString()}
	j, _ := json.Marshal(map[string]any{"s": s})
	txt, _ := s.MarshalText()
	outs = append(outs, string(j), string(txt), fmt.Sprint(struct{ S Secret }{s}))
	for _, o := range outs {
		if strings.Contains(o, "Canary") {
			t.Errorf("secret printed: %s", o)
		}
	}
	if s.Reveal() != canary || s.Name() != "master-key" || s.IsZero() || !NewSecret("x", "").IsZero() {
		t.Error("accessors")
	}
}

func TestRedactor(t *testing.T) {
	r := NewRedactor(NewSecret("a", canary), NewSecret("short", "Pw1"), NewSecret("empty", ""))
	in := "text " + canary + " and " + strings.ReplaceAll(canary, "'", "''") + " and json " + `Canary-P@ss-0'\";--` + " and Pw1."
	out := r.Redact(in)
	if strings.Contains(out, "Canary") || strings.Contains(out, "Pw1") {
		t.Errorf("Redact left a secret: %s", out)
	}
	err := r.RedactError(fmt.Errorf("login failed for %s: %w", canary, errBase))
	if strings.Contains(err.Error(), "Canary") || !errors.Is(err, errBase) {
		t.Errorf("RedactError: %v (Is base: %v)", err, errors.Is(err, errBase))
	}
	var nilR *Redactor
	if nilR.Redact("x") != "x" || nilR.RedactError(nil) != nil {
		t.Error("nil redactor must pass text through")
	}
}

var errBase = errors.New("base")

func FuzzQuotePS(f *testing.F) {
	for _, s := range []string{"", "'", "''", "‘x’", "a'b\u2019c", "$(Remove-Item C:\\)", "`n", "\x00", "';Stop-Computer;'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := QuotePS(s)
		got, err := UnquotePS(q)
		if err != nil || got != s {
			t.Fatalf("round trip of %q: %q, %v", s, got, err)
		}
		// No way out of the literal: every quote inside it is doubled, so a scanner that
		// ends the literal at the first lone quote ends it exactly at the end.
		body := q[1 : len(q)-1]
		for i := 0; i < len(body); {
			r, size := utf8.DecodeRuneInString(body[i:])
			i += size
			if !isPSQuote(r) {
				continue
			}
			r2, size2 := utf8.DecodeRuneInString(body[i:])
			if i >= len(body) || !isPSQuote(r2) {
				t.Fatalf("lone quote before byte %d in %q", i, q)
			}
			i += size2
		}
	})
}

func FuzzQuoteSQLString(f *testing.F) {
	for _, s := range []string{"", "'", "x'; DROP TABLE t; --", "N'", "]]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := QuoteSQLString(s)
		if !strings.HasPrefix(q, "N'") || !strings.HasSuffix(q, "'") {
			t.Fatalf("not a literal: %q", q)
		}
		inner := q[2 : len(q)-1]
		if strings.Count(strings.ReplaceAll(inner, "''", ""), "'") != 0 {
			t.Fatalf("lone quote inside %q", q)
		}
		if strings.ReplaceAll(inner, "''", "'") != s {
			t.Fatalf("round trip of %q gave %q", s, inner)
		}
	})
}

func FuzzQuoteName(f *testing.F) {
	for _, s := range []string{"", "]", "AG_SSIS", "CONTOSO\\svc", "a]]b", strings.Repeat("x", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := QuoteName(s)
		if len([]rune(s)) > 128 {
			if err == nil {
				t.Fatalf("QuoteName accepted %d characters", len([]rune(s)))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		inner := q[1 : len(q)-1]
		if strings.Count(strings.ReplaceAll(inner, "]]", ""), "]") != 0 {
			t.Fatalf("lone ] inside %q", q)
		}
		if strings.ReplaceAll(inner, "]]", "]") != s {
			t.Fatalf("round trip of %q gave %q", s, inner)
		}
	})
}

func FuzzParsePowerShell(f *testing.F) {
	f.Add("# ssisha-op: x\n$p = ConvertFrom-Json '{}'\n")
	f.Add(PowerShell{Op: "a.b", Params: map[string]any{"v": "it's"}}.Render())
	f.Fuzz(func(t *testing.T, text string) {
		op, params, err := ParsePowerShell(text)
		if err == nil && op == "" {
			t.Fatalf("no op but no error for %q", text)
		}
		_ = params
	})
}

func FuzzParamsRoundTrip(f *testing.F) {
	f.Add("value", "key")
	f.Add("'", "k'")
	f.Fuzz(func(t *testing.T, v, k string) {
		if !utf8.ValidString(k) {
			t.Skip("JSON keys are text; the templates name their parameters")
		}
		s := PowerShell{Op: "fuzz.op", Params: map[string]any{k: v}}
		_, params, err := ParsePowerShell(s.Render())
		if err != nil {
			t.Fatalf("parse of rendered script: %v", err)
		}
		// JSON cannot carry invalid UTF-8; encoding/json replaces each bad byte with U+FFFD.
		if want := string([]rune(v)); params[k] != want {
			t.Fatalf("value %q came back as %v", v, params[k])
		}
	})
}

func TestInputStaysOutOfTheText(t *testing.T) {
	s := PowerShell{Op: "cert.import", Params: map[string]any{"thumbprint": "AB12"},
		Input: map[string]any{"pfx": NewSecret("master-pfx", canary), "password": NewSecret("pfx-password", "pässwörd😀")}, Body: "'{}'"}
	for _, text := range []string{s.Render(), s.Display()} {
		if strings.Contains(text, canary) || !ReadsInput(text) || !strings.Contains(text, "# on stdin: password=<secret:pfx-password>, pfx=<secret:master-pfx>\n") {
			t.Fatalf("script text:\n%s", text)
		}
	}
	in := s.InputBytes()
	for _, b := range in {
		if b >= 0x80 {
			t.Fatalf("input is not ASCII: %q", in)
		}
	}
	op, params, err := ParsePowerShell(s.Render())
	if err != nil || op != "cert.import" {
		t.Fatal(op, err)
	}
	if err := MergeInput(params, in); err != nil {
		t.Fatal(err)
	}
	if params["thumbprint"] != "AB12" || params["pfx"] != canary || params["password"] != "pässwörd😀" {
		t.Fatalf("params = %v", params)
	}
	if (PowerShell{Op: "x"}).InputBytes() != nil || ReadsInput(PowerShell{Op: "x"}.Render()) {
		t.Fatal("a script without Input reads stdin")
	}
}

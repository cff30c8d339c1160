package answers

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// withoutLines drops what Parse records about the file, so answers compare by value.
func withoutLines(a *Answers) *Answers {
	c := *a
	c.lines = nil
	return &c
}

func TestLoadGoodFileEqualsExample(t *testing.T) {
	a, err := Load(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if errs := Validate(a); len(errs) > 0 {
		t.Fatalf("Validate found problems in the good file:\n%v", errs)
	}
	want := Example()
	if !reflect.DeepEqual(withoutLines(a), withoutLines(want)) {
		t.Errorf("good.yaml loads as\n%+v\nwant the example\n%+v", a, want)
	}
	if got := a.Line("masterService.account"); got != 16 {
		t.Errorf("Line(masterService.account) = %d, want 16", got)
	}
	if got := a.Line("masters[1].host"); got != 13 {
		t.Errorf("Line(masters[1].host) = %d, want 13", got)
	}
	if got := a.Line("workers[0].account"); got != 32 {
		t.Errorf("Line(workers[0].account) = %d, want 32", got)
	}
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "unknown.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data)
	var pe ParseErrors
	if !errors.As(err, &pe) {
		t.Fatalf("Parse error %v is not ParseErrors", err)
	}
	want := []string{
		"line 5: unknown key masterService.acount; did you mean account?",
		"line 9: unknown key connection.winrm.authentication; did you mean auth?",
	}
	if len(pe) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(pe), len(want), err)
	}
	for i, w := range want {
		if pe[i].Error() != w {
			t.Errorf("problem %d = %q, want %q", i, pe[i].Error(), w)
		}
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		contains   string
	}{
		{"syntax", "domain: CONTOSO\ncluster:\n  name: [SSISCL\n", 3, "YAML syntax error"},
		{"bad int", "domain: CONTOSO\nmasterService:\n  port: eighty\n", 3, `masterService.port is "eighty"; type a whole number`},
		{"bad bool", "cluster:\n  create: maybe\n", 2, "cluster.create"},
		{"duplicate", "domain: A\ndomain: B\n", 2, "already defined"},
		{"far off key", "zzzz: 1\n", 1, "the keys allowed here are"},
		{"two documents", "domain: A\n---\ndomain: B\n", 3, "more than one YAML document"},
		{"list for a section", "masterService:\n  - a\n", 2, "masterService"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			var pe ParseErrors
			if !errors.As(err, &pe) || len(pe) == 0 {
				t.Fatalf("Parse error %v is not ParseErrors", err)
			}
			if pe[0].Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", pe[0].Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestParseEmptyFile(t *testing.T) {
	a, err := Parse(nil)
	if err != nil {
		t.Fatalf("Parse(empty): %v", err)
	}
	if len(Validate(a)) == 0 {
		t.Error("an empty answer file validated clean")
	}
}

func TestApplyDefaults(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		https bool
	}{
		{"https absent", "connection:\n  winrm: { auth: ntlm }\n", true},
		{"connection absent", "domain: CONTOSO\n", true},
		{"https false kept", "connection:\n  winrm: { https: false }\n", false},
		{"https true kept", "connection:\n  winrm: { https: true }\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			a.Masters = []Master{{Host: "n1"}}
			a.ApplyDefaults()
			if a.Connection.WinRM.HTTPS != tt.https {
				t.Errorf("https = %v, want %v", a.Connection.WinRM.HTTPS, tt.https)
			}
			if a.MasterService.Port != 8391 || a.AvailabilityGroup.EndpointPort != 5022 ||
				a.AvailabilityGroup.Listener.Port != 1433 || a.Masters[0].SQLInstance != "MSSQLSERVER" ||
				a.Logging.Login != "##MS_SSISLogDBWorkerAgentLogin##" || a.Connection.WinRM.Auth != "ntlm" ||
				a.Connection.SQL.Auth != "windows" || a.Connection.SQL.Encrypt != "true" {
				t.Errorf("defaults not applied: %+v", a)
			}
		})
	}
}

func TestApplyDefaultsInCode(t *testing.T) {
	a := &Answers{}
	a.ApplyDefaults()
	if !a.Connection.WinRM.HTTPS {
		t.Error("answers built in code with no winrm section: https should default to true")
	}
	b := &Answers{Connection: Connection{WinRM: WinRMConnection{Auth: "basic", AllowBasicOverHTTP: true}}}
	b.ApplyDefaults()
	if b.Connection.WinRM.HTTPS {
		t.Error("answers built in code with a winrm section: https false must be kept")
	}
}

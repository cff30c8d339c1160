package estate

import (
	"strings"
	"testing"
)

func TestParseConnString(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"Data Source=ssislsn,1433;User Id=##L##;Password='a;b''c';", map[string]string{"data source": "ssislsn,1433", "user id": "##L##", "password": "a;b'c"}},
		{`Server = x ; Pwd="q""q"`, map[string]string{"server": "x", "pwd": `q"q`}},
		{"", map[string]string{}},
	}
	for _, tt := range tests {
		got := hcParseConnString(tt.in)
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("hcParseConnString(%q)[%q] = %q, want %q", tt.in, k, got[k], v)
			}
		}
	}
}

func FuzzParseConnString(f *testing.F) {
	for _, s := range []string{"Data Source=a,1;Password='x''y';", "a=", "=;;'", `k="unterminated`, "tcp:h\\i,99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = hcParseConnString(s)
		host, _ := hcServerAndPort(s)
		if strings.Contains(host, ",") && !strings.Contains(s, ",,") && strings.Count(s, ",") == 1 {
			t.Fatalf("hcServerAndPort(%q) kept the port separator in %q", s, host)
		}
	})
}

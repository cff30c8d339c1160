package clients_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab"
)

// freetdsConf writes a freetds.conf naming the instance and the listener, with
// the lab CA for certificate checks.
func freetdsConf(t *testing.T, f *fixture, encryption string) string {
	t.Helper()
	host, port := f.sqlAddr(t)
	lhost, lport, err := net.SplitHostPort(f.ep.Listener)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range []struct{ name, host, port string }{{"node", host, port}, {"listener", lhost, lport}} {
		fmt.Fprintf(&b, "[%s]\n\thost = %s\n\tport = %s\n\ttds version = auto\n\tencryption = %s\n\tca file = %s\n\n",
			s.name, s.host, s.port, encryption, f.ep.CAFile)
	}
	p := filepath.Join(t.TempDir(), "freetds.conf")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFreeTDS logs in with tsql, SQL and NTLM logins in each encryption mode
// FreeTDS has, and runs a batch; a wrong password gets 18456.
func TestFreeTDS(t *testing.T) {
	tsql := need(t, "tsql")
	f := startLab(t, lab.Options{})
	batch := "SELECT 1\ngo\n/* ssisha-op: " + echoOp + " */ SELECT 2\ngo\nexit\n"
	for _, enc := range []string{"off", "request", "require"} {
		conf := freetdsConf(t, f, enc)
		env := append(f.env(), "FREETDSCONF="+conf)
		for _, login := range []struct{ name, user, passVar, server string }{
			{"sql login", sqlLogin, envSQLPassword, "node"},
			{"ntlm login", f.domain + `\` + f.admin, envWindowsPassword, "node"},
			{"through the listener", sqlLogin, envSQLPassword, "listener"},
		} {
			t.Run(enc+"/"+login.name, func(t *testing.T) {
				out, err := run(t, env, batch, "sh", "-c", `exec "$0" -S "$1" -U "$2" -P "$(printenv "$3")"`, tsql, login.server, login.user, login.passVar)
				if err != nil || !strings.Contains(out, "(1 row affected)") {
					t.Fatalf("tsql: %v\n%s", err, out)
				}
			})
		}
	}
	t.Run("wrong password", func(t *testing.T) {
		env := append(f.env(), "FREETDSCONF="+freetdsConf(t, f, "require"))
		out, _ := run(t, env, "SELECT 1\ngo\nexit\n", "sh", "-c", `exec "$0" -S node -U "$1" -P "$(printenv "$2")"`, tsql, sqlLogin, envWrongPassword)
		if !strings.Contains(out, "18456") {
			t.Fatalf("a wrong password did not get Msg 18456:\n%s", out)
		}
	})
}

// TestImpacket drives the instance with impacket's TDS client, a TDS 7.1 client
// that encrypts only its LOGIN7, with SQL and NTLM logins.
func TestImpacket(t *testing.T) {
	py := needPython(t, "impacket.tds")
	script := testdata(t, "python/impacket_tds.py")
	f := startLab(t, lab.Options{})
	host, port := f.sqlAddr(t)
	lhost, lport, _ := net.SplitHostPort(f.ep.Listener)
	for _, tc := range []struct{ name, host, port, user, passVar, domain string }{
		{"sql login", host, port, sqlLogin, envSQLPassword, ""},
		{"ntlm login", host, port, f.admin, envWindowsPassword, f.domain},
		{"through the listener", lhost, lport, sqlLogin, envSQLPassword, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, f.env(), "", py, script, tc.host, tc.port, tc.user, tc.passVar, tc.domain,
				"SELECT 1", "/* ssisha-op: "+echoOp+" */ SELECT 2", "DROP TABLE nothing")
			if err != nil || lineOf(out, "login-ok") == "" {
				t.Fatalf("impacket: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 4 || !strings.HasPrefix(lines[1], "ok ") || !strings.HasPrefix(lines[2], "ok ") || !strings.HasPrefix(lines[3], "error 102 ") {
				t.Errorf("impacket saw:\n%s\nwant two batches answered and an arbitrary script refused with Msg 102", out)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		out, _ := run(t, f.env(), "", py, script, host, port, sqlLogin, envWrongPassword, "")
		if !strings.Contains(lineOf(out, "login-failed"), "18456") {
			t.Fatalf("a wrong password: %s, want login-failed 18456", out)
		}
	})
}

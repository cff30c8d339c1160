package clients_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
)

// tediousDir is where .ci/run installs the pinned tedious (npm ci).
const tediousDir = "tedious"

// TestTedious drives the instance with tedious over TLS, checking the lab CA:
// SQL and NTLM logins asking for TDS 7.4 and older versions, a batch, an RPC with varchar, decimal, money and datetime
// parameters, prepare and execute; a wrong password gets 18456.
func TestTedious(t *testing.T) {
	node := need(t, "node")
	if _, err := os.Stat(filepath.Join(tediousDir, "node_modules", "tedious")); err != nil {
		missing(t, "tedious is not installed: run npm ci in remote/lab/clients/tedious")
	}
	f := startLab(t, lab.Options{})
	host, port := f.sqlAddr(t)
	client := testdata(t, filepath.Join(tediousDir, "client.js"))
	tedious := func(t *testing.T, user, passVar, domain, tdsVersion string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, client, host, port, user, passVar, domain, f.ep.CAFile, echoOp)
		cmd.Dir = tediousDir
		cmd.Env = append(f.env(), "NODE_NO_WARNINGS=1", "TEDIOUS_TDS_VERSION="+tdsVersion)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tedious: %v\n%s", err, out)
		}
		return string(out)
	}
	for _, tc := range []struct{ name, user, passVar, domain, tdsVersion string }{
		{"sql login", sqlLogin, envSQLPassword, "", "7_4"},
		{"ntlm login", f.admin, envWindowsPassword, f.domain, "7_4"},
		{"sql login asking for TDS 7.1", sqlLogin, envSQLPassword, "", "7_1"},
		{"ntlm login asking for TDS 7.2", f.admin, envWindowsPassword, f.domain, "7_2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tedious(t, tc.user, tc.passVar, tc.domain, tc.tdsVersion)
			want := map[string]string{
				"login":   "login ok",
				"batch":   `batch ok [{"":1}]`,
				"rpc":     `rpc ok [{"amount":"1234.5678","at":"2026-01-02 03:04:05 +0000 UTC","name":"café","price":"19.5"}]`,
				"prepare": "prepare ok",
				"execute": `execute ok [{"n":"42"}]`,
			}
			for step, w := range want {
				if got := lineOf(out, step+" "); !strings.HasPrefix(got, w) {
					t.Errorf("%s: got %q, want %q\nall output:\n%s", step, got, w, out)
				}
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		out := tedious(t, sqlLogin, envWrongPassword, "", "7_4")
		if got := lineOf(out, "login "); !strings.HasPrefix(got, "login error 18456") {
			t.Fatalf("a wrong password: %q, want login error 18456\n%s", got, out)
		}
	})
}

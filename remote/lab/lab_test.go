package lab

import (
	"encoding/json"
	"fmt"
	"github.com/ssisha/ssisha/envvar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

func TestStartKeepsStatePortsAndSecretsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	l, err := Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	before := l.Endpoints()
	secrets := l.Secrets()
	l.Estate(func(e *estate.Estate) { e.Seq = 4242 })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"state.json", "ports.json", "ca.pem", "ca-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not kept: %v", f, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "state.json")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("state.json mode %v, want 0600 (it holds passwords)", fi.Mode().Perm())
	}

	l2, err := Start(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	after := l2.Endpoints()
	if len(after.Nodes) != len(before.Nodes) || after.Listener != before.Listener {
		t.Fatalf("endpoints changed: %+v -> %+v", before, after)
	}
	for i := range before.Nodes {
		if before.Nodes[i] != after.Nodes[i] {
			t.Errorf("node endpoint changed: %+v -> %+v", before.Nodes[i], after.Nodes[i])
		}
	}
	var seq int
	l2.Estate(func(e *estate.Estate) { seq = e.Seq })
	if seq != 4242 {
		t.Errorf("estate not restored: seq %d", seq)
	}
	for k, v := range secrets {
		if l2.Secrets()[k] != v {
			t.Errorf("secret %s changed across a restart", k)
		}
	}
}

func TestEndpointsDescribeTheEstate(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	ep := l.Endpoints()
	if ep.AdminUser != `CONTOSO\dba` {
		t.Errorf("admin user %q", ep.AdminUser)
	}
	if ep.ListenerName != defaultListenerName {
		t.Errorf("listener name %q before a listener exists", ep.ListenerName)
	}
	pem, err := os.ReadFile(ep.CAFile)
	if err != nil || !strings.Contains(string(pem), "BEGIN CERTIFICATE") {
		t.Errorf("CA file %s: %v", ep.CAFile, err)
	}
	masters := 0
	for _, n := range ep.Nodes {
		if !strings.HasPrefix(n.WinRM, "127.0.0.1:") {
			t.Errorf("%s WinRM at %q, want loopback", n.Host, n.WinRM)
		}
		switch n.Role {
		case "master":
			masters++
			if !strings.HasPrefix(n.SQL, "127.0.0.1:") {
				t.Errorf("%s SQL at %q", n.Host, n.SQL)
			}
		case "worker":
			if n.SQL != "" {
				t.Errorf("worker %s has SQL %q", n.Host, n.SQL)
			}
		}
	}
	if masters < 2 || !strings.HasPrefix(ep.Listener, "127.0.0.1:") {
		t.Errorf("endpoints %+v", ep)
	}
}

func TestInMemoryLabRemovesItsCAFileOnClose(t *testing.T) {
	l, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ca := l.Endpoints().CAFile
	if _, err := os.Stat(ca); err != nil {
		t.Fatalf("CA file: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ca); !os.IsNotExist(err) {
		t.Errorf("CA file %s left behind", ca)
	}
}

func TestSecretsAreStrongAndMatchTheEstate(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	s := l.Secrets()
	for _, k := range []string{envvar.WinRMPassword, envvar.SQLPassword, envvar.MasterAccountPassword, envvar.WorkerAccountPassword, envvar.LoggingPassword, envvar.MasterKeyPassword, envvar.PFXPassword} {
		v := s[k]
		if len(v) < 16 {
			t.Errorf("%s has %d characters", k, len(v))
		}
		var up, lo, dig, sym bool
		for _, r := range v {
			switch {
			case unicode.IsUpper(r):
				up = true
			case unicode.IsLower(r):
				lo = true
			case unicode.IsDigit(r):
				dig = true
			case strings.ContainsRune(`'";`, r):
				t.Errorf("%s contains %q", k, r)
			default:
				sym = true
			}
		}
		if !up || !lo || !dig || !sym {
			t.Errorf("%s lacks a character class", k)
		}
	}
	l.Estate(func(e *estate.Estate) {
		if e.Accounts[`contoso\svc_ssismaster`].Password != s[envvar.MasterAccountPassword] {
			t.Error("master account password is not the estate's")
		}
		if e.Accounts[`contoso\dba`].Password != s[envvar.WinRMPassword] {
			t.Error("WinRM password is not the admin's")
		}
	})
	if s[envvar.LoggingPassword] == s[envvar.MasterKeyPassword] || s[envvar.MasterKeyPassword] == s[envvar.PFXPassword] {
		t.Error("generated secrets repeat")
	}
}

func TestStartRefusesBadOptionsAndBadState(t *testing.T) {
	if _, err := Start(Options{Encrypt: "maybe"}); err == nil || !strings.Contains(err.Error(), "strict") {
		t.Errorf("bad encrypt mode: %v", err)
	}
	for _, year := range []int{2017, 2019} {
		_, err := Start(Options{Encrypt: "strict", Seed: estate.SeedOptions{SQLVersion: year}})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("SQL Server %d", year)) || !strings.Contains(err.Error(), "2022") {
			t.Errorf("strict on SQL Server %d: %v", year, err)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Errorf("corrupt state: %v", err)
	}
}

func TestStateFileHoldsTheEstate(t *testing.T) {
	dir := t.TempDir()
	l := newTestLab(t, healthyEstate(t), Options{Dir: dir})
	_ = l
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Estate.AG == nil || st.Estate.AG.Name != "AG_SSIS" {
		t.Errorf("saved estate lacks the AG: %+v", st.Estate.AG)
	}
}

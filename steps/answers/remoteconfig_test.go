package answers

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
)

func TestRemoteConfig(t *testing.T) {
	a := Example()
	a.Masters[1].WinRM = Address{Address: "127.0.0.1", Port: 40002}
	a.Masters[1].SQL = Address{Address: "127.0.0.1", Port: 41002}
	a.Workers[0].WinRM = Address{Address: "127.0.0.1", Port: 40003}
	a.AvailabilityGroup.Listener.Connect = Address{Address: "127.0.0.1", Port: 41433}
	a.Connection.WinRM.User = `CONTOSO\admin`
	a.Connection.SQL.User = `CONTOSO\dba`
	s, err := LoadSecrets(envMap(map[string]string{
		EnvWinRMPassword: canary,
		EnvSQLPassword:   canary + "sql",
		EnvSQLUser:       `CONTOSO\other`,
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := RemoteConfig(a, s)
	wantNodes := []remote.Endpoint{
		{Host: "node1.contoso.com", WinRMPort: 5986, SQLPort: 1433, SQLInstance: "MSSQLSERVER"},
		{Host: "node2.contoso.com", WinRMAddress: "127.0.0.1", WinRMPort: 40002, SQLAddress: "127.0.0.1", SQLPort: 41002, SQLInstance: "MSSQLSERVER"},
		{Host: "worker1.contoso.com", WinRMAddress: "127.0.0.1", WinRMPort: 40003},
	}
	if len(cfg.Nodes) != len(wantNodes) {
		t.Fatalf("nodes = %+v", cfg.Nodes)
	}
	for i, w := range wantNodes {
		if cfg.Nodes[i] != w {
			t.Errorf("node %d = %+v, want %+v", i, cfg.Nodes[i], w)
		}
	}
	if want := (remote.Endpoint{Host: "ssislsn", SQLAddress: "127.0.0.1", SQLPort: 41433}); cfg.Listener != want {
		t.Errorf("listener = %+v, want %+v", cfg.Listener, want)
	}
	if cfg.WinRM.Auth != "ntlm" || !cfg.WinRM.HTTPS || cfg.WinRM.User != `CONTOSO\admin` || cfg.WinRM.Password.Reveal() != canary {
		t.Errorf("winrm = %+v", cfg.WinRM)
	}
	if cfg.SQL.Auth != "windows" || cfg.SQL.Encrypt != "true" || cfg.SQL.User != `CONTOSO\other` || cfg.SQL.Password.Reveal() != canary+"sql" {
		t.Errorf("sql = %+v", cfg.SQL)
	}
	if got := cfg.Redactor.Redact("x " + canary + " y"); strings.Contains(got, "Canary") {
		t.Errorf("redactor left the secret: %s", got)
	}
	a.Connection.WinRM.Auth, a.Connection.WinRM.CertFile, a.Connection.WinRM.KeyFile = "certificate", "client.pem", "client.key"
	if w := RemoteConfig(a, s).WinRM; w.Auth != remote.WinRMAuthCertificate || w.CertFile != "client.pem" || w.KeyFile != "client.key" {
		t.Errorf("certificate auth: winrm = %+v", w)
	}
	plain := RemoteConfig(Example(), nil)
	if plain.Listener.SQLPort != 1433 || plain.Redactor == nil {
		t.Errorf("config without secrets: %+v", plain)
	}
}

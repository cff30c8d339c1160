package mssql

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// TestKerberosConnConfig checks what a Kerberos login asks of the driver: the krb5
// authenticator, krb5.conf from KRB5_CONFIG, the SPN after the instance's name and
// port (not the address dialled), the user without its NetBIOS domain, and kinit's
// ticket when no password is given.
func TestKerberosConnConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(conf, []byte("[libdefaults]\n  default_realm = CONTOSO.COM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", conf)
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(dir, "cc"))
	ep := remote.Endpoint{Host: "node1.contoso.com", SQLAddress: "127.0.0.1", SQLPort: 41433, SQLInstance: "MSSQLSERVER"}
	o := remote.SQLOptions{Auth: remote.SQLAuthKerberos, Encrypt: "true", User: `CONTOSO\dba`}
	if err := checkOptions(o); err != nil {
		t.Fatal(err)
	}
	cfg, err := connConfig(ep, false, o)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerSPN != "MSSQLSvc/node1.contoso.com:41433" || cfg.User != "dba" || cfg.Host != "127.0.0.1" {
		t.Errorf("SPN %q, user %q, host %q", cfg.ServerSPN, cfg.User, cfg.Host)
	}
	p := cfg.Parameters
	if p["authenticator"] != "krb5" || p["krb5-configfile"] != conf || p["krb5-credcachefile"] != filepath.Join(dir, "cc") {
		t.Errorf("driver parameters %v", p)
	}

	o.Password = script.NewSecret("sql-password", "Secret-123")
	if cfg, _ = connConfig(ep, false, o); cfg.Parameters["krb5-credcachefile"] != "" || cfg.Password != "Secret-123" {
		t.Error("with a password the login should ask the KDC with it, not use the credential cache")
	}

	t.Setenv("KRB5_CONFIG", filepath.Join(dir, "missing.conf"))
	if err := checkOptions(o); err == nil || !strings.Contains(err.Error(), "KRB5_CONFIG") {
		t.Errorf("a missing krb5.conf: %v", err)
	}
}

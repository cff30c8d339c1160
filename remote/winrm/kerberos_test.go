package winrm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

func TestKerberosConfigurationErrors(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(conf, []byte("[libdefaults]\n  default_realm = CONTOSO.COM\n[realms]\n  CONTOSO.COM = {\n    kdc = 127.0.0.1:1\n  }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("not a keytab"), 0o600); err != nil {
		t.Fatal(err)
	}
	pass := script.NewSecret("winrm-password", "Secret-123")
	tests := []struct {
		name  string
		opts  remote.WinRMOptions
		field string // empty: New succeeds
	}{
		{"missing krb5.conf", remote.WinRMOptions{KrbConfig: filepath.Join(dir, "nope.conf"), User: "svc", Password: pass}, "krbConfig"},
		{"unreadable ccache", remote.WinRMOptions{KrbConfig: conf, KrbCCache: junk}, "krbCCache"},
		{"unreadable keytab", remote.WinRMOptions{KrbConfig: conf, KrbKeytab: junk, User: "svc"}, "krbKeytab"},
		{"no credentials", remote.WinRMOptions{KrbConfig: conf}, "connection.winrm.user"},
		{"user and password", remote.WinRMOptions{KrbConfig: conf, User: `CONTOSO\svc`, Password: pass}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Auth, tt.opts.HTTPS = AuthKerberos, true
			_, err := New(remote.Config{WinRM: tt.opts})
			if tt.field == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("error = %v, want it to name %s", err, tt.field)
			}
			if strings.Contains(err.Error(), "Secret-123") {
				t.Fatalf("the password leaked: %v", err)
			}
		})
	}
}

// TestKerberosRealmOfADomainUser checks which realm a user is asked for: the one
// given, else krb5.conf's default realm for DOMAIN\user (a NetBIOS domain is not
// a realm), the UPN suffix for user@domain.
func TestKerberosRealmOfADomainUser(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(conf, []byte("[libdefaults]\n  default_realm = CONTOSO.COM\n[realms]\n  CONTOSO.COM = {\n    kdc = 127.0.0.1:1\n  }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pass := script.NewSecret("winrm-password", "Secret-123")
	for _, tt := range []struct{ user, realm, want string }{
		{`CONTOSO\svc`, "", "CONTOSO.COM"},
		{"svc@fabrikam.com", "", "FABRIKAM.COM"},
		{`CONTOSO\svc`, "CORP.CONTOSO.COM", "CORP.CONTOSO.COM"},
	} {
		k, err := newKerberosAuth(remote.WinRMOptions{KrbConfig: conf, User: tt.user, KrbRealm: tt.realm, Password: pass})
		if err != nil {
			t.Fatalf("%s: %v", tt.user, err)
		}
		if got := k.cl.Credentials.Domain(); got != tt.want || k.cl.Credentials.UserName() != "svc" {
			t.Errorf("%s (realm %q): principal %s@%s, want svc@%s", tt.user, tt.realm, k.cl.Credentials.UserName(), got, tt.want)
		}
	}
}

package krbaccept

import (
	"encoding/base64"
	"net"
	"path/filepath"
	"testing"
)

// FuzzAccept feeds arbitrary client tokens to the acceptor: it must refuse them
// with an error, never panic (a TDS connection's goroutine would take the lab down).
func FuzzAccept(f *testing.F) {
	// A SPNEGO NegTokenInit offering Kerberos with a truncated AP-REQ, a raw
	// Kerberos token header, and an NTLM NEGOTIATE.
	for _, s := range []string{
		"YIIBBgYGKwYBBQUCoIH7MIH4oDAwLgYJKoZIgvcSAQICBgkqhkiG9xIBAgIGCisGAQQBgjcCAh4GCisGAQQBgjcCAgqigcMEgcBggb0GCSqGSIb3EgECAgEAboGtMIGqoAMCAQWhAwIBDg==",
		"YBMGCSqGSIb3EgECAgEAbgYwBKADAgEF",
		"TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==",
	} {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a := &Acceptor{Realm: "CONTOSO.COM", KeytabFile: filepath.Join(f.TempDir(), "none.keytab")}
	f.Fuzz(func(t *testing.T, token []byte) {
		_ = IsKerberos(token)
		if _, _, err := a.Accept(token, []string{"HTTP/node1.contoso.com"}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}); err == nil {
			t.Fatal("a token was accepted without a keytab")
		}
	})
}

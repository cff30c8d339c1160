package labca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

func TestIssuedCertificatesVerifyAgainstTheCA(t *testing.T) {
	ca, err := New("ssisha lab CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("node1.contoso.com", "node1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"node1.contoso.com", "node1"} {
		if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: ca.Pool()}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "node2.contoso.com", Roots: ca.Pool()}); err == nil {
		t.Error("a certificate for node1 verified as node2")
	}
	other, err := New("another CA")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "node1", Roots: other.Pool()}); err == nil {
		t.Error("the certificate verified against a CA that did not issue it")
	}
}

func TestSaveAndLoadKeepTheCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := New("ssisha lab CA")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
	if err := ca.Save(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the CA key is not private: %v %v", fi.Mode(), err)
	}
	loaded, err := Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := loaded.Issue("ssislsn")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: "ssislsn", Roots: ca.Pool()}); err != nil {
		t.Errorf("a certificate from the reloaded CA does not verify against the original: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.pem"), keyFile); err == nil {
		t.Error("Load accepted a missing file")
	}
}

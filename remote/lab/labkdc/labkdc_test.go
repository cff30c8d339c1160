package labkdc

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRealmIssuesTickets starts a realm, adds a user and a service, and gets the
// user a ticket with MIT's kinit; a wrong password gets none.
func TestRealmIssuesTickets(t *testing.T) {
	k := StartForTest(t, "CONTOSO.COM", "contoso.com")
	if err := k.AddUser("dba", "Dba-Pa55word!"); err != nil {
		t.Fatal(err)
	}
	if err := k.AddService("HTTP/node1.contoso.com"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(k.Keytab); err != nil || st.Size() == 0 {
		t.Fatalf("keytab: %v", err)
	}
	if err := k.Kinit("dba", "Dba-Pa55word!", filepath.Join(t.TempDir(), "cc")); err != nil {
		t.Fatal(err)
	}
	if err := k.Kinit("dba", "wrong", filepath.Join(t.TempDir(), "cc")); err == nil {
		t.Fatal("kinit with a wrong password succeeded")
	}
}

package cli

import (
	"github.com/ssisha/ssisha/envvar"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/labkdc"
	"github.com/ssisha/ssisha/steps/answers"
)

// TestLabEndToEndWithKerberos runs a full apply, verify and rollback against a lab
// in a domain that has NTLM off, ssisha authenticating to WinRM and SQL Server
// with tickets from a real MIT KDC (for SQL Server, the one a DBA gets from kinit). The node names
// resolve to loopback through the answers' address overrides; the SPNs name the
// nodes and the ports dialled.
func TestLabEndToEndWithKerberos(t *testing.T) {
	kdc := labkdc.StartForTest(t, "CONTOSO.COM", "contoso.com")
	dir := t.TempDir()
	f := labFlags{dir: dir, masters: 2, workers: 2, sqlVersion: 2019, encrypt: "tls",
		krbRealm: kdc.Realm, krbKeytab: kdc.Keytab, noNTLM: true}
	if err := f.check(); err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(f.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	secrets := l.Secrets()
	if err := kdc.AddUser("dba", secrets[envvar.WinRMPassword]); err != nil {
		t.Fatal(err)
	}
	for _, spn := range l.ServicePrincipals() {
		if err := kdc.AddService(spn); err != nil {
			t.Fatal(err)
		}
	}
	ccache := filepath.Join(dir, "krb5cc")
	if err := kdc.Kinit("dba", secrets[envvar.WinRMPassword], ccache); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", kdc.Config)
	t.Setenv("KRB5CCNAME", "FILE:"+ccache)

	ans := labAnswers(l, f)
	if ans.Connection.WinRM.Auth != remote.WinRMAuthKerberos || ans.Connection.SQL.Auth != remote.SQLAuthKerberos {
		t.Fatalf("the lab's answers for a Kerberos lab authenticate with %s and %s", ans.Connection.WinRM.Auth, ans.Connection.SQL.Auth)
	}
	ansPath := filepath.Join(dir, "answers.yaml")
	if err := answers.Save(ansPath, ans); err != nil {
		t.Fatal(err)
	}
	// SQL Server gets kinit's ticket: no SQL password is given. WinRM still gets
	// the admin's password, which creating the cluster needs (it runs as a
	// scheduled task with the user's credentials); ssisha's WinRM client then asks
	// the KDC for its own ticket with it.
	delete(secrets, envvar.SQLPassword)
	secrets[answers.EnvWaitScale] = strconv.FormatFloat(labsetup.WaitScale(f.speed), 'g', -1, 64)
	secPath := filepath.Join(dir, "secrets.env")
	if err := answers.WriteSecretsFile(secPath, secrets); err != nil {
		t.Fatal(err)
	}
	r := &labRun{t: t, lab: l, dir: dir, answers: ansPath, secrets: secPath,
		env: map[string]string{"SSISHA_STATE_DIR": filepath.Join(dir, "state")}}
	before := r.estateJSON()

	out := r.must("apply", "--yes")
	r.assertNoSecretLeaked(out)
	if !strings.Contains(out, "14 of 14 targets succeeded") {
		t.Errorf("apply with Kerberos did not report every target succeeded:\n%s", out)
	}
	r.assertAllDone("after apply with Kerberos")
	if code, out := r.cmd("verify"); code != 0 {
		t.Errorf("verify with Kerberos exited %d:\n%s", code, out)
	}
	out = r.must("rollback", "--yes")
	r.assertNoSecretLeaked(out)
	for _, d := range estateDiff("", before, r.estateJSON()) {
		t.Errorf("rollback with Kerberos left a difference: %s", d)
	}
}

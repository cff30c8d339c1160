package clients_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/labkdc"
)

// kerberosFixture is a lab in a domain that has NTLM off, with a real MIT KDC
// holding the admin account and the lab's SPNs, and the admin's ticket from kinit.
type kerberosFixture struct {
	*fixture
	kdc *labkdc.KDC
	env []string // the fixture's environment with KRB5_CONFIG and KRB5CCNAME
}

func startKerberosLab(t *testing.T) *kerberosFixture {
	t.Helper()
	kdc := labkdc.StartForTest(t, "CONTOSO.COM", "contoso.com")
	f := startLab(t, lab.Options{DisableNTLM: true, Kerberos: &lab.Kerberos{Realm: kdc.Realm, Keytab: kdc.Keytab}})
	if err := kdc.AddUser(f.admin, f.winPassword); err != nil {
		t.Fatal(err)
	}
	for _, spn := range f.lab.ServicePrincipals() {
		if err := kdc.AddService(spn); err != nil {
			t.Fatal(err)
		}
	}
	ccache := filepath.Join(t.TempDir(), "krb5cc")
	if err := kdc.Kinit(f.admin, f.winPassword, ccache); err != nil {
		t.Fatal(err)
	}
	env := append(f.env(), "KRB5_CONFIG="+kdc.Config, "KRB5CCNAME=FILE:"+ccache)
	return &kerberosFixture{fixture: f, kdc: kdc, env: env}
}

// TestPyWinRMKerberos runs PowerShell with pywinrm's Kerberos transport
// (requests-kerberos over MIT GSSAPI, mutual authentication required) and the
// kinit ticket, on a lab that has NTLM off; NTLM is refused there.
func TestPyWinRMKerberos(t *testing.T) {
	py := needPython(t, "winrm, requests_kerberos")
	script := testdata(t, "python/pywinrm_shell.py")
	k := startKerberosLab(t)
	node := k.ep.Nodes[0]
	url := "https://" + node.WinRM + "/wsman"
	ps := "# ssisha-op: " + whoamiOp + "\n"
	out, err := run(t, k.env, "", py, script, url, k.admin+"@"+k.kdc.Realm, "UNUSED", "kerberos", k.ep.CAFile, ps, node.Host)
	if err != nil || lineOf(out, "exit ") != "exit 0" || !strings.Contains(out, "whoami:"+k.domain) {
		t.Fatalf("pywinrm over Kerberos: %v\n%s", err, out)
	}
	// The node's 401 carries no NTLM challenge: pywinrm gives up (requests-ntlm
	// fails on the missing challenge), and nothing runs.
	out, _ = run(t, k.env, "", py, script, url, k.ep.AdminUser, envWindowsPassword, "ntlm", k.ep.CAFile, ps)
	if lineOf(out, "exit ") != "" || strings.Contains(out, "whoami:") {
		t.Fatalf("pywinrm over NTLM ran on a lab with NTLM off:\n%s", out)
	}
}

// TestCurlNegotiate sends an authenticated WS-Management Identify with curl's
// SPNEGO (MIT GSSAPI), the node's name pinned to loopback as the answers'
// address overrides do; curl checks the server's answer token.
func TestCurlNegotiate(t *testing.T) {
	curl := need(t, "curl")
	k := startKerberosLab(t)
	node := k.ep.Nodes[0]
	_, port, err := net.SplitHostPort(node.WinRM)
	if err != nil {
		t.Fatal(err)
	}
	identify := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
	out, err := run(t, k.env, "", curl, "--silent", "--show-error", "--fail", "--negotiate", "-u", ":",
		"--cacert", k.ep.CAFile, "--resolve", node.Host+":"+port+":127.0.0.1",
		"-H", "Content-Type: application/soap+xml;charset=UTF-8", "--data", identify,
		"https://"+node.Host+":"+port+"/wsman")
	if err != nil || !strings.Contains(out, "IdentifyResponse") || !strings.Contains(out, "OS: 10.0") {
		t.Fatalf("curl --negotiate: %v\n%s", err, out)
	}
}

// TestFreeTDSKerberos logs in with tsql and no user name, which makes FreeTDS use
// Kerberos (MIT GSSAPI) with kinit's ticket, on a lab that has NTLM off; the SPN
// is pinned in freetds.conf, since the host dialled is a loopback address.
func TestFreeTDSKerberos(t *testing.T) {
	tsql := need(t, "tsql")
	k := startKerberosLab(t)
	host, port := k.sqlAddr(t)
	var name string
	for _, n := range k.ep.Nodes {
		if strings.HasSuffix(n.SQL, ":"+port) {
			name = strings.ToLower(n.Host)
		}
	}
	conf := filepath.Join(t.TempDir(), "freetds.conf")
	text := "[node]\n\thost = " + host + "\n\tport = " + port + "\n\ttds version = 7.4\n\tencryption = require\n\tca file = " + k.ep.CAFile +
		"\n\tspn = MSSQLSvc/" + name + ":" + port + "\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, append(k.env, "FREETDSCONF="+conf), "SELECT 1\ngo\nexit\n", tsql, "-S", "node")
	if err != nil || !strings.Contains(out, "(1 row affected)") {
		t.Fatalf("tsql with Kerberos: %v\n%s", err, out)
	}
}

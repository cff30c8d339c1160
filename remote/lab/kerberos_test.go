package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/ssisha/ssisha/envvar"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab/labkdc"
	"github.com/ssisha/ssisha/remote/mssql"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/remote/winrm"
)

// kerberosLab starts a real KDC and a lab in a domain that has NTLM off, whose
// servers take the KDC's tickets; the admin account and every service principal
// of the lab are in the realm.
func kerberosLab(t *testing.T) (*Lab, *labkdc.KDC) {
	t.Helper()
	kdc := labkdc.StartForTest(t, "CONTOSO.COM", "contoso.com")
	l := newTestLab(t, healthyEstate(t), Options{DisableNTLM: true, Kerberos: &Kerberos{Realm: kdc.Realm, Keytab: kdc.Keytab}})
	if err := kdc.AddUser("dba", l.Secrets()[envvar.WinRMPassword]); err != nil {
		t.Fatal(err)
	}
	for _, spn := range l.ServicePrincipals() {
		if err := kdc.AddService(spn); err != nil {
			t.Fatal(err)
		}
	}
	return l, kdc
}

// kerberosConfig is labConfig authenticating with Kerberos to WinRM and SQL
// Server, krb5.conf found through KRB5_CONFIG as MIT tools find it.
func kerberosConfig(t *testing.T, l *Lab, kdc *labkdc.KDC) remote.Config {
	t.Helper()
	t.Setenv("KRB5_CONFIG", kdc.Config)
	cfg := labConfig(t, l)
	cfg.WinRM.Auth = remote.WinRMAuthKerberos
	cfg.SQL.Auth = remote.SQLAuthKerberos
	return cfg
}

// TestWinRMKerberosWithARealKDC runs PowerShell on two nodes with ssisha's WinRM
// client holding tickets from MIT's KDC, on a lab that has NTLM off: NTLM is
// refused, a wrong password gets no ticket.
func TestWinRMKerberosWithARealKDC(t *testing.T) {
	l, kdc := kerberosLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := winrm.New(kerberosConfig(t, l, kdc))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for _, host := range []string{fxNode1, fxNode2} {
		if _, err := ws.PowerShell(ctx, host, script.PowerShell{Op: "test.echo", Body: "x"}); err != nil {
			t.Errorf("Kerberos to %s: %v", host, err)
		}
	}

	ntlm, err := winrm.New(labConfig(t, l))
	if err != nil {
		t.Fatal(err)
	}
	defer ntlm.Close()
	if _, err := ntlm.PowerShell(ctx, fxNode1, script.PowerShell{Op: "test.echo", Body: "x"}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("NTLM on a lab with NTLM off: %v, want a 401", err)
	}

	wrong := kerberosConfig(t, l, kdc)
	wrong.WinRM.Password = script.NewSecret("wrong", "Wrong-Pa55-1")
	wrong.Redactor = script.NewRedactor(wrong.WinRM.Password)
	bad, err := winrm.New(wrong)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, err := bad.PowerShell(ctx, fxNode1, script.PowerShell{Op: "test.echo", Body: "x"}); err == nil {
		t.Error("a wrong Kerberos password got in")
	}
}

// TestSQLKerberosWithARealKDC logs in to an instance and through the listener
// with ssisha's SQL client and a ticket from MIT's KDC, on a lab that has NTLM
// off; a Windows login over NTLM is refused with Msg 18452, as SQL Server does.
func TestSQLKerberosWithARealKDC(t *testing.T) {
	l, kdc := kerberosLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sq, err := mssql.New(kerberosConfig(t, l, kdc))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	for _, target := range []string{fxNode1, remote.Listener} {
		rs, err := sq.SQL(ctx, target, script.TSQL{Op: "test.sql.whoami", Text: "SELECT 1"})
		if err != nil {
			t.Fatalf("Kerberos to %s: %v", target, err)
		}
		if got := fmt.Sprint(rs.Rows); !strings.Contains(got, `CONTOSO\dba`) {
			t.Errorf("%s saw the login as %s, want CONTOSO\\dba", target, got)
		}
	}
	ntlm, err := mssql.New(labConfig(t, l))
	if err != nil {
		t.Fatal(err)
	}
	defer ntlm.Close()
	_, err = ntlm.SQL(ctx, fxNode1, script.TSQL{Op: "test.sql.whoami", Text: "SELECT 1"})
	var se *mssql.SQLError
	if !errors.As(err, &se) || se.Number != 18452 {
		t.Errorf("NTLM on a lab with NTLM off: %v, want Msg 18452", err)
	}
}

// TestKerberosTicketForAnotherNodeRefused presents node2's service ticket to
// node1's WinRM: Windows accepts only tickets for its own SPNs, and so does the
// lab (401); node1's own ticket gets in with the SPNEGO completion.
func TestKerberosTicketForAnotherNodeRefused(t *testing.T) {
	l, kdc := kerberosLab(t)
	cfg, err := config.Load(kdc.Config)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.NewWithPassword("dba", kdc.Realm, l.Secrets()[envvar.WinRMPassword], cfg, client.DisablePAFXFAST(true))
	defer cl.Destroy()
	pem, err := os.ReadFile(l.Endpoints().CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: fxNode1}}}
	identify := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`
	post := func(spn string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, "https://"+l.Endpoints().Nodes[0].WinRM+"/wsman", strings.NewReader(identify))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		if err := spnego.SetSPNEGOHeader(cl, req, spn); err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp
	}
	if l.Endpoints().Nodes[0].Host != fxNode1 {
		t.Fatalf("the first node is %s", l.Endpoints().Nodes[0].Host)
	}
	if resp := post("HTTP/" + fxNode2); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("node1 took node2's ticket: %d", resp.StatusCode)
	}
	resp := post("HTTP/" + fxNode1)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate ") {
		t.Errorf("node1's own ticket: %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

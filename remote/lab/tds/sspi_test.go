package tds

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/Azure/go-ntlmssp"
	gasn1 "github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// TestSSPINegotiateSPNEGO logs in with NTLM wrapped in SPNEGO, as SSPI clients
// using the Negotiate package do.
func TestSSPINegotiateSPNEGO(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{{"right password", "Right-1", true}, {"wrong password", "wrong", false}} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialServer(t, Options{ServerName: "NODE1", Domain: "LAB", PasswordFor: func(u string, windows bool) (string, bool) {
				return "Right-1", windows && u == `LAB\alice`
			}})
			negotiate, _ := ntlmssp.NewNegotiateMessage("LAB", "")
			init := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
				MechTypes: []gasn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}}, MechTokenBytes: negotiate}}
			initBytes, err := init.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			c.send(pktLogin7, buildLogin7("", "", "", initBytes))
			reply := c.read()
			if reply[0] != tokSSPI {
				t.Fatalf("the SPNEGO NEGOTIATE was answered % x, want an SSPI token", reply)
			}
			var resp spnego.SPNEGOToken
			if err := resp.Unmarshal(reply[3 : 3+binary.LittleEndian.Uint16(reply[1:])]); err != nil || !resp.Resp {
				t.Fatalf("the SSPI answer is not a SPNEGO NegTokenResp: %v", err)
			}
			auth, err := ntlmssp.NewAuthenticateMessage(resp.NegTokenResp.ResponseToken, `LAB\alice`, tc.password, nil)
			if err != nil {
				t.Fatal(err)
			}
			next := spnego.SPNEGOToken{Resp: true, NegTokenResp: spnego.NegTokenResp{NegState: 1, ResponseToken: auth}}
			nextBytes, err := next.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			c.send(pktSSPI, nextBytes)
			reply = c.read()
			if got := bytes.Contains(reply, []byte{tokLoginAck}); got != tc.ok || (!tc.ok && !hasError(reply, 18456)) {
				t.Errorf("login answered % x; want success %v", reply, tc.ok)
			}
		})
	}
}

// TestNTLMOffRefusesWindowsLogins sends an NTLM NEGOTIATE to an instance of a
// domain that has NTLM off: the login fails at once with Msg 18452, as SQL Server
// answers, and no CHALLENGE is sent.
func TestNTLMOffRefusesWindowsLogins(t *testing.T) {
	c := dialServer(t, Options{ServerName: "NODE1", Domain: "LAB", DisableNTLM: true, PasswordFor: func(string, bool) (string, bool) { return "Right-1", true }})
	negotiate, _ := ntlmssp.NewNegotiateMessage("LAB", "")
	c.send(pktLogin7, buildLogin7("", "", "", negotiate))
	reply := c.read()
	if reply[0] == tokSSPI || !hasError(reply, 18452) || bytes.Contains(reply, []byte{tokLoginAck}) {
		t.Fatalf("NTLM with NTLM off answered % x, want Msg 18452", reply)
	}
}

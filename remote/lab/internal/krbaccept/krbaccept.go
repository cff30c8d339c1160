// Package krbaccept is the lab's Kerberos service side, shared by WinRM (HTTP
// Negotiate, RFC 4559) and TDS (SSPI in LOGIN7): it verifies a client's AP-REQ,
// raw or wrapped in SPNEGO, against the service keys in a keytab, through gokrb5's
// service and spnego packages. A ticket is accepted only for the SPNs of the
// server it reached, as Windows accepts only tickets for its own account.
package krbaccept

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Acceptor holds a realm's service keys.
type Acceptor struct {
	// Realm is the Kerberos realm, e.g. CONTOSO.COM.
	Realm string
	// KeytabFile holds the service keys. It is read again when it changes, since
	// services are registered while the lab runs (their SPNs name its ports).
	KeytabFile string

	mu      sync.Mutex
	kt      *keytab.Keytab
	modTime time.Time
	size    int64
}

// IsKerberos says whether a client's first token is Kerberos: a raw Kerberos
// GSS-API token, or SPNEGO offering Kerberos first with its AP-REQ.
func IsKerberos(token []byte) bool {
	_, _, err := mechToken(token)
	return err == nil
}

// Accept verifies token for one of spns (e.g. HTTP/node1.contoso.com) from the
// client at addr. It returns the client as user@REALM and the token to send back,
// as Windows does: when the client asked for mutual authentication, an AP-REP
// proving the server holds the service key; when it wrapped its AP-REQ in SPNEGO,
// the SPNEGO completion (carrying the AP-REP when there is one); else nothing.
func (a *Acceptor) Accept(token []byte, spns []string, addr net.Addr) (user string, reply []byte, err error) {
	// The token is the client's, parsed and decrypted deep inside gokrb5: a
	// malformed one must cost the client its login, not the lab its server.
	defer func() {
		if p := recover(); p != nil {
			user, reply, err = "", nil, fmt.Errorf("krbaccept: malformed Kerberos token: %v", p)
		}
	}()
	mech, wrappedIn, err := mechToken(token)
	if err != nil {
		return "", nil, err
	}
	var k5 spnego.KRB5Token
	if err := k5.Unmarshal(mech); err != nil || !k5.IsAPReq() {
		return "", nil, errors.New("krbaccept: the token carries no AP-REQ")
	}
	req := &k5.APReq
	sname := req.Ticket.SName.PrincipalNameString()
	if !strings.EqualFold(req.Ticket.Realm, a.Realm) || !containsFold(spns, sname) {
		return "", nil, fmt.Errorf("krbaccept: the ticket is for %s@%s, not this server", sname, req.Ticket.Realm)
	}
	kt, err := a.keytab()
	if err != nil {
		return "", nil, err
	}
	opts := []func(*service.Settings){service.DecodePAC(false)}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		opts = append(opts, service.ClientAddress(types.HostAddressFromNetIP(tcp.IP)))
	}
	ok, creds, err := service.VerifyAPREQ(req, service.NewSettings(kt, opts...))
	if err != nil || !ok || creds == nil {
		return "", nil, fmt.Errorf("krbaccept: the AP-REQ does not verify: %v", err)
	}
	var apRep []byte
	if mutualRequested(req.Authenticator) {
		if apRep, err = apRepToken(req); err != nil {
			return "", nil, err
		}
	}
	switch {
	case wrappedIn != nil:
		reply, err = (&spnego.NegTokenResp{NegState: 0, SupportedMech: wrappedIn, ResponseToken: apRep}).Marshal()
		if err != nil {
			return "", nil, fmt.Errorf("krbaccept: %w", err)
		}
	default:
		reply = apRep
	}
	return creds.UserName() + "@" + strings.ToUpper(creds.Domain()), reply, nil
}

// gssMutualFlag is GSS_C_MUTUAL_FLAG in the authenticator's GSS checksum (RFC 4121
// 4.1.1), whose flags follow the 4-byte length and the 16-byte channel binding.
const gssMutualFlag = 2

func mutualRequested(auth types.Authenticator) bool {
	c := auth.Cksum.Checksum
	return auth.Cksum.CksumType == chksumtype.GSSAPI && len(c) >= 24 && binary.LittleEndian.Uint32(c[20:24])&gssMutualFlag != 0
}

// apRepToken is the GSS-API Kerberos token (RFC 4121 4.1) carrying the AP-REP
// for a verified AP-REQ: the client's time, encrypted in the ticket's session key.
func apRepToken(req *messages.APReq) ([]byte, error) {
	part, err := asn1.Marshal(messages.EncAPRepPart{CTime: req.Authenticator.CTime, Cusec: req.Authenticator.Cusec})
	if err != nil {
		return nil, fmt.Errorf("krbaccept: AP-REP: %w", err)
	}
	enc, err := crypto.GetEncryptedData(asn1tools.AddASNAppTag(part, asnAppTag.EncAPRepPart), req.Ticket.DecryptedEncPart.Key, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, fmt.Errorf("krbaccept: AP-REP: %w", err)
	}
	rep, err := asn1.Marshal(messages.APRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: enc})
	if err != nil {
		return nil, fmt.Errorf("krbaccept: AP-REP: %w", err)
	}
	oid, _ := asn1.Marshal(gssapi.OIDKRB5.OID())
	b := append(oid, 0x02, 0x00) // TOK_ID of KRB_AP_REP
	b = append(b, asn1tools.AddASNAppTag(rep, asnAppTag.APREP)...)
	return asn1tools.AddASNAppTag(b, 0), nil
}

// mechToken returns the raw Kerberos GSS-API token inside token and, when it came
// wrapped in SPNEGO, the Kerberos mechanism the client named (the answer names it
// back), else nil.
func mechToken(token []byte) ([]byte, asn1.ObjectIdentifier, error) {
	var k5 spnego.KRB5Token
	if k5.Unmarshal(token) == nil {
		return token, nil, nil
	}
	var st spnego.SPNEGOToken
	if err := st.Unmarshal(token); err != nil {
		return nil, nil, fmt.Errorf("krbaccept: neither Kerberos nor SPNEGO: %w", err)
	}
	if !st.Init || len(st.NegTokenInit.MechTypes) == 0 || len(st.NegTokenInit.MechTokenBytes) == 0 {
		return nil, nil, errors.New("krbaccept: SPNEGO without an initial Kerberos token")
	}
	oid := st.NegTokenInit.MechTypes[0]
	if !oid.Equal(gssapi.OIDKRB5.OID()) && !oid.Equal(gssapi.OIDMSLegacyKRB5.OID()) {
		return nil, nil, errors.New("krbaccept: SPNEGO offers another mechanism first")
	}
	return st.NegTokenInit.MechTokenBytes, oid, nil
}

// keytab returns the keytab, read again when the file changed.
func (a *Acceptor) keytab() (*keytab.Keytab, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fi, err := os.Stat(a.KeytabFile)
	if err != nil {
		return nil, fmt.Errorf("krbaccept: keytab: %w", err)
	}
	if a.kt == nil || !fi.ModTime().Equal(a.modTime) || fi.Size() != a.size {
		kt, err := keytab.Load(a.KeytabFile)
		if err != nil {
			return nil, fmt.Errorf("krbaccept: keytab %s: %w", a.KeytabFile, err)
		}
		a.kt, a.modTime, a.size = kt, fi.ModTime(), fi.Size()
	}
	return a.kt, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Package krbaccept is the lab's Kerberos service side, shared by WinRM (HTTP
// Negotiate, RFC 4559) and TDS (SSPI in LOGIN7): it verifies a client's AP-REQ,
// raw or wrapped in SPNEGO, against the service keys in a keytab, through gokrb5's
// service and spnego packages. A ticket is accepted only for the SPNs of the
// server it reached, as Windows accepts only tickets for its own account.
package krbaccept

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/keytab"
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

// acceptCompleted is the SPNEGO answer once a Kerberos context is established
// (NegTokenResp accept-completed, mech Kerberos); the lab does not ask for mutual
// authentication, so it carries no AP-REP.
var acceptCompleted = func() []byte {
	r := spnego.NegTokenResp{NegState: 0, SupportedMech: gssapi.OIDKRB5.OID()}
	b, _ := r.Marshal()
	return b
}()

// IsKerberos says whether a client's first token is Kerberos: a raw Kerberos
// GSS-API token, or SPNEGO offering Kerberos first with its AP-REQ.
func IsKerberos(token []byte) bool {
	_, _, err := mechToken(token)
	return err == nil
}

// Accept verifies token for one of spns (e.g. HTTP/node1.contoso.com) from the
// client at addr. It returns the client as user@REALM and the token to send back:
// the SPNEGO completion when the client wrapped its AP-REQ, else nothing.
func (a *Acceptor) Accept(token []byte, spns []string, addr net.Addr) (user string, reply []byte, err error) {
	mech, wrapped, err := mechToken(token)
	if err != nil {
		return "", nil, err
	}
	var k5 spnego.KRB5Token
	if err := k5.Unmarshal(mech); err != nil || !k5.IsAPReq() {
		return "", nil, errors.New("krbaccept: the token carries no AP-REQ")
	}
	sname := k5.APReq.Ticket.SName.PrincipalNameString()
	if !strings.EqualFold(k5.APReq.Ticket.Realm, a.Realm) || !containsFold(spns, sname) {
		return "", nil, fmt.Errorf("krbaccept: the ticket is for %s@%s, not this server", sname, k5.APReq.Ticket.Realm)
	}
	kt, err := a.keytab()
	if err != nil {
		return "", nil, err
	}
	opts := []func(*service.Settings){service.DecodePAC(false)}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		opts = append(opts, service.ClientAddress(types.HostAddressFromNetIP(tcp.IP)))
	}
	st := &spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{MechTypes: []asn1.ObjectIdentifier{gssapi.OIDKRB5.OID()}, MechTokenBytes: mech}}
	ok, ctx, status := spnego.SPNEGOService(kt, opts...).AcceptSecContext(st)
	if !ok || status.Code != gssapi.StatusComplete {
		return "", nil, fmt.Errorf("krbaccept: %s", status.Message)
	}
	creds, _ := ctx.Value(credsKey).(*credentials.Credentials)
	if creds == nil {
		return "", nil, errors.New("krbaccept: no client identity in the verified ticket")
	}
	if wrapped {
		reply = acceptCompleted
	}
	return creds.UserName() + "@" + strings.ToUpper(creds.Domain()), reply, nil
}

// credsKey is where gokrb5 puts the verified client in the context it returns.
const credsKey = "github.com/jcmturner/gokrb5/v8/ctxCredentials"

// mechToken returns the raw Kerberos GSS-API token inside token, and whether it
// came wrapped in SPNEGO.
func mechToken(token []byte) ([]byte, bool, error) {
	var k5 spnego.KRB5Token
	if k5.Unmarshal(token) == nil {
		return token, false, nil
	}
	var st spnego.SPNEGOToken
	if err := st.Unmarshal(token); err != nil {
		return nil, false, fmt.Errorf("krbaccept: neither Kerberos nor SPNEGO: %w", err)
	}
	if !st.Init || len(st.NegTokenInit.MechTypes) == 0 || len(st.NegTokenInit.MechTokenBytes) == 0 {
		return nil, false, errors.New("krbaccept: SPNEGO without an initial Kerberos token")
	}
	oid := st.NegTokenInit.MechTypes[0]
	if !oid.Equal(gssapi.OIDKRB5.OID()) && !oid.Equal(gssapi.OIDMSLegacyKRB5.OID()) {
		return nil, false, errors.New("krbaccept: SPNEGO offers another mechanism first")
	}
	return st.NegTokenInit.MechTokenBytes, true, nil
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

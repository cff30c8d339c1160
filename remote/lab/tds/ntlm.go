package tds

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

// NTLM message types and the flags the challenge offers (MS-NLMP 2.2.2.5).
const (
	ntlmNegotiate    = 1
	ntlmChallenge    = 2
	ntlmAuthenticate = 3

	ntlmFlags = 0x00000001 | // UNICODE
		0x00000004 | // REQUEST_TARGET
		0x00000200 | // NTLM
		0x00008000 | // ALWAYS_SIGN
		0x00010000 | // TARGET_TYPE_DOMAIN
		0x00080000 | // EXTENDED_SESSIONSECURITY
		0x00800000 // TARGET_INFO
)

var ntlmSignature = []byte("NTLMSSP\x00")

// ntlmServer holds one connection's NTLM exchange.
type ntlmServer struct {
	domain    string
	computer  string
	challenge [8]byte
}

// challengeMessage answers the client's NEGOTIATE.
func (n *ntlmServer) challengeMessage(negotiate []byte) ([]byte, error) {
	if len(negotiate) < 12 || !bytes.Equal(negotiate[:8], ntlmSignature) ||
		binary.LittleEndian.Uint32(negotiate[8:]) != ntlmNegotiate {
		return nil, errors.New("tds: SSPI data is not an NTLM NEGOTIATE message")
	}
	if _, err := rand.Read(n.challenge[:]); err != nil {
		return nil, err
	}
	target := ucs2(n.domain)
	var info []byte
	avPair := func(id uint16, v []byte) {
		info = binary.LittleEndian.AppendUint16(info, id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(v)))
		info = append(info, v...)
	}
	avPair(2, ucs2(n.domain))   // MsvAvNbDomainName
	avPair(1, ucs2(n.computer)) // MsvAvNbComputerName
	avPair(0, nil)              // MsvAvEOL

	const head = 48
	msg := make([]byte, head, head+len(target)+len(info))
	copy(msg, ntlmSignature)
	le := binary.LittleEndian
	le.PutUint32(msg[8:], ntlmChallenge)
	le.PutUint16(msg[12:], uint16(len(target)))
	le.PutUint16(msg[14:], uint16(len(target)))
	le.PutUint32(msg[16:], head)
	le.PutUint32(msg[20:], ntlmFlags)
	copy(msg[24:32], n.challenge[:])
	le.PutUint16(msg[40:], uint16(len(info)))
	le.PutUint16(msg[42:], uint16(len(info)))
	le.PutUint32(msg[44:], uint32(head+len(target)))
	msg = append(msg, target...)
	msg = append(msg, info...)
	return msg, nil
}

// ntlmAuth is what the client's AUTHENTICATE message claims.
type ntlmAuth struct {
	Domain, User string
	nt           []byte
}

// parseAuthenticate reads the client's AUTHENTICATE message.
func parseAuthenticate(b []byte) (*ntlmAuth, error) {
	if len(b) < 64 || !bytes.Equal(b[:8], ntlmSignature) ||
		binary.LittleEndian.Uint32(b[8:]) != ntlmAuthenticate {
		return nil, errors.New("tds: SSPI data is not an NTLM AUTHENTICATE message")
	}
	field := func(at int) ([]byte, error) {
		n := int(binary.LittleEndian.Uint16(b[at:]))
		off := int(binary.LittleEndian.Uint32(b[at+4:]))
		if off < 0 || off+n > len(b) {
			return nil, fmt.Errorf("tds: NTLM AUTHENTICATE field at %d points past the message", at)
		}
		return b[off : off+n], nil
	}
	nt, err := field(20)
	if err != nil {
		return nil, err
	}
	dom, err := field(28)
	if err != nil {
		return nil, err
	}
	usr, err := field(36)
	if err != nil {
		return nil, err
	}
	a := &ntlmAuth{nt: nt}
	if a.Domain, err = fromUCS2(dom); err != nil {
		return nil, err
	}
	if a.User, err = fromUCS2(usr); err != nil {
		return nil, err
	}
	return a, nil
}

// verify checks the NTLMv2 proof against password: the client must have computed
// HMAC-MD5 over our challenge and its blob with the key derived from the password.
// NTLMv1 and anonymous logins are refused, as modern domains do.
func (n *ntlmServer) verify(a *ntlmAuth, password string) bool {
	return ntlmv2.Verify(password, a.User, a.Domain, n.challenge[:], a.nt)
}

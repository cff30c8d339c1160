// Package ntlmv2 is the server side of NTLM for the lab's WinRM and TDS servers
// alike: it builds the CHALLENGE, reads the AUTHENTICATE and checks its NTLMv2 or
// LMv2 proof (MS-NLMP).
package ntlmv2

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf16"

	//lint:ignore SA1019 NTLM is defined over MD4; the lab must verify what Windows clients send.
	"golang.org/x/crypto/md4"
)

// MinResponse is the shortest NtChallengeResponse that is an NTLMv2 response: the
// 16-byte NTProofStr and the fixed part of the client's blob. NTLMv1 and anonymous
// responses are shorter.
const MinResponse = 16 + 28

// lmv2Len is the length of an LMv2 response: 16 bytes of proof and the client's
// 8-byte challenge.
const lmv2Len = 24

// Message types (MS-NLMP 2.2.1).
const (
	Negotiate    = 1
	ChallengeMsg = 2
	Authenticate = 3
)

// challengeFlags are what the CHALLENGE offers: Unicode, target requested, NTLM,
// always sign, a domain target, extended session security and target info. No LM
// key and no key exchange, so clients answer with NTLMv2 (and LMv2).
const challengeFlags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00010000 | 0x00080000 | 0x00800000

var signature = []byte("NTLMSSP\x00")

// MessageType is the type of an NTLM message, or 0 when msg is not one.
func MessageType(msg []byte) uint32 {
	if len(msg) < 12 || !bytes.Equal(msg[:8], signature) {
		return 0
	}
	return binary.LittleEndian.Uint32(msg[8:])
}

// Challenge builds the CHALLENGE answering a NEGOTIATE. TargetName carries the
// NetBIOS domain, because some clients take the user's domain from it, and the
// target info names the domain and the computer as Windows does.
func Challenge(domain, computer string, challenge []byte) []byte {
	target := UTF16LE(strings.ToUpper(domain))
	var info []byte
	avPair := func(id uint16, v []byte) {
		info = binary.LittleEndian.AppendUint16(info, id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(v)))
		info = append(info, v...)
	}
	avPair(2, UTF16LE(strings.ToUpper(domain)))   // MsvAvNbDomainName
	avPair(1, UTF16LE(strings.ToUpper(computer))) // MsvAvNbComputerName
	avPair(0, nil)                                // MsvAvEOL

	const head = 48
	m := make([]byte, head, head+len(target)+len(info))
	copy(m, signature)
	le := binary.LittleEndian
	le.PutUint32(m[8:], ChallengeMsg)
	putField(m[12:], len(target), head)
	le.PutUint32(m[20:], challengeFlags)
	copy(m[24:32], challenge)
	putField(m[40:], len(info), head+len(target))
	m = append(m, target...)
	return append(m, info...)
}

func putField(b []byte, n, off int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(off))
}

// Auth is what a client's AUTHENTICATE message claims.
type Auth struct {
	Domain, User string
	LM, NT       []byte // LmChallengeResponse and NtChallengeResponse
}

// ParseAuthenticate reads a client's AUTHENTICATE message.
func ParseAuthenticate(b []byte) (*Auth, error) {
	if len(b) < 64 || MessageType(b) != Authenticate {
		return nil, errors.New("ntlm: not an AUTHENTICATE message")
	}
	field := func(at int) ([]byte, error) {
		n := int(binary.LittleEndian.Uint16(b[at:]))
		off := int(binary.LittleEndian.Uint32(b[at+4:]))
		if off < 0 || off+n > len(b) || off+n < off {
			return nil, errors.New("ntlm: an AUTHENTICATE field points past the message")
		}
		return b[off : off+n], nil
	}
	var a Auth
	var raw [4][]byte
	for i, at := range []int{12, 20, 28, 36} {
		var err error
		if raw[i], err = field(at); err != nil {
			return nil, err
		}
	}
	a.LM, a.NT = raw[0], raw[1]
	a.Domain, a.User = FromUTF16LE(raw[2]), FromUTF16LE(raw[3])
	return &a, nil
}

// Checkable reports whether a carries a response of the kind Verify checks, so a
// response that cannot pass never makes the server look up a password.
func (a *Auth) Checkable() bool { return len(a.NT) >= MinResponse || len(a.LM) == lmv2Len }

// Verify reports whether a, the client's answer to challenge, proves that its
// user knows password: a match on either the NTLMv2 or the LMv2 response is
// accepted (MS-NLMP 3.2.5.1.2), each an HMAC-MD5 over our challenge and the
// client's with the key derived from the password. NTLMv1 and anonymous logins
// are refused, as modern domains do.
func Verify(password string, a *Auth, challenge []byte) bool {
	h := md4.New()
	h.Write(UTF16LE(password))
	key := hmacMD5(h.Sum(nil), UTF16LE(strings.ToUpper(a.User)+a.Domain))
	if len(a.NT) >= MinResponse && hmac.Equal(hmacMD5(key, challenge, a.NT[16:]), a.NT[:16]) {
		return true
	}
	return len(a.LM) == lmv2Len && hmac.Equal(hmacMD5(key, challenge, a.LM[16:]), a.LM[:16])
}

// UTF16LE encodes s as NTLM and the Windows wire formats spell strings.
func UTF16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// FromUTF16LE decodes UTF-16LE; an odd last byte is dropped.
func FromUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

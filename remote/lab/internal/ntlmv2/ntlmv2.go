// Package ntlmv2 checks the NTLMv2 proof of an NTLM AUTHENTICATE message, for the
// lab's WinRM and TDS servers alike.
package ntlmv2

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"strings"
	"unicode/utf16"

	//lint:ignore SA1019 NTLM is defined over MD4; the lab must verify what Windows clients send.
	"golang.org/x/crypto/md4"
)

// MinResponse is the shortest NtChallengeResponse that is an NTLMv2 response: the
// 16-byte NTProofStr and the fixed part of the client's blob. NTLMv1 and anonymous
// responses are shorter.
const MinResponse = 16 + 28

// Verify reports whether nt, the client's NtChallengeResponse to challenge, proves
// that user of domain (as the AUTHENTICATE message names them) knows password: the
// client must have computed HMAC-MD5 over the challenge and its blob with the key
// derived from the password.
func Verify(password, user, domain string, challenge, nt []byte) bool {
	if len(nt) < MinResponse {
		return false
	}
	h := md4.New()
	h.Write(utf16le(password))
	key := hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(user)+domain))
	return hmac.Equal(hmacMD5(key, challenge, nt[16:]), nt[:16])
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

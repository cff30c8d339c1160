package wsman

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

// connState is the authentication state of one TCP connection: NTLM authenticates
// the connection, not the request, so it lives as long as the connection does.
type connState struct {
	mu        sync.Mutex
	challenge []byte // server challenge sent in the last CHALLENGE, nil when none is pending
	user      string // DOMAIN\user once NTLM succeeded on this connection
}

// NTLM negotiate flags the CHALLENGE offers: Unicode, target requested, NTLM, a
// domain target, extended session security and target info. No LM key and no key
// exchange, so clients answer with plain NTLMv2.
const challengeFlags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00010000 | 0x00080000 | 0x00800000

var ntlmSignature = []byte("NTLMSSP\x00")

// authenticate decides who sent r. It returns the user, or writes the 401 and
// returns "" when the request must not proceed.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, cs *connState) string {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic") && !s.opts.DisableBasic:
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		if err != nil {
			s.unauthorized(w, "")
			return ""
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			s.unauthorized(w, "")
			return ""
		}
		full := s.qualify(user, "")
		if want, known := s.password(full); known && want == pass {
			return full
		}
		s.unauthorized(w, "")
		return ""
	case (strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "NTLM")) && !s.opts.DisableNTLM:
		msg, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		if err != nil || len(msg) < 12 || !bytes.Equal(msg[:8], ntlmSignature) {
			s.unauthorized(w, "")
			return ""
		}
		switch binary.LittleEndian.Uint32(msg[8:12]) {
		case 1:
			challenge := make([]byte, 8)
			_, _ = rand.Read(challenge)
			cs.mu.Lock()
			cs.challenge = challenge
			cs.user = ""
			cs.mu.Unlock()
			s.unauthorized(w, scheme+" "+base64.StdEncoding.EncodeToString(s.challengeMessage(challenge)))
			return ""
		case 3:
			cs.mu.Lock()
			challenge := cs.challenge
			cs.challenge = nil
			cs.mu.Unlock()
			user, err := s.verifyAuthenticate(msg, challenge)
			if err != nil {
				s.unauthorized(w, "")
				return ""
			}
			cs.mu.Lock()
			cs.user = user
			cs.mu.Unlock()
			return user
		}
		s.unauthorized(w, "")
		return ""
	}
	cs.mu.Lock()
	user := cs.user
	cs.mu.Unlock()
	if user != "" && h == "" {
		return user
	}
	s.unauthorized(w, "")
	return ""
}

// unauthorized answers 401, offering every enabled scheme, or continuing one.
func (s *Server) unauthorized(w http.ResponseWriter, cont string) {
	w.Header().Set("Content-Type", contentType)
	if cont != "" {
		w.Header().Add("WWW-Authenticate", cont)
	} else {
		if !s.opts.DisableNTLM {
			w.Header().Add("WWW-Authenticate", "Negotiate")
			w.Header().Add("WWW-Authenticate", "NTLM")
		}
		if !s.opts.DisableBasic {
			w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
		}
	}
	w.WriteHeader(http.StatusUnauthorized)
}

func (s *Server) password(user string) (string, bool) {
	if s.opts.PasswordFor == nil {
		return "", false
	}
	return s.opts.PasswordFor(user)
}

// qualify turns the names clients send (user, DOMAIN\user, user@domain.tld) into
// DOMAIN\user, the form PasswordFor and the Handler see.
func (s *Server) qualify(user, domain string) string {
	if d, u, ok := strings.Cut(user, `\`); ok {
		return strings.ToUpper(d) + `\` + u
	}
	if u, d, ok := strings.Cut(user, "@"); ok {
		first, _, _ := strings.Cut(d, ".")
		return strings.ToUpper(first) + `\` + u
	}
	if domain == "" {
		domain = s.opts.Domain
	}
	return strings.ToUpper(domain) + `\` + user
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func fromUTF16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// challengeMessage builds an NTLM CHALLENGE. TargetName carries the NetBIOS domain
// because some clients take the user's domain from it.
func (s *Server) challengeMessage(challenge []byte) []byte {
	target := utf16le(strings.ToUpper(s.opts.Domain))
	info := []byte{0, 0, 0, 0} // MsvAvEOL
	const fixed = 48
	m := make([]byte, fixed, fixed+len(target)+len(info))
	copy(m, ntlmSignature)
	binary.LittleEndian.PutUint32(m[8:], 2)
	putVar(m[12:], len(target), fixed)
	binary.LittleEndian.PutUint32(m[20:], challengeFlags)
	copy(m[24:32], challenge)
	putVar(m[40:], len(info), fixed+len(target))
	m = append(m, target...)
	return append(m, info...)
}

func putVar(b []byte, n, off int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(off))
}

func readVar(msg []byte, at int) ([]byte, error) {
	if len(msg) < at+8 {
		return nil, errors.New("NTLM message too short")
	}
	n := int(binary.LittleEndian.Uint16(msg[at:]))
	off := int(binary.LittleEndian.Uint32(msg[at+4:]))
	if off < 0 || off+n > len(msg) || off+n < off {
		return nil, errors.New("NTLM field beyond the message")
	}
	return msg[off : off+n], nil
}

// verifyAuthenticate checks an NTLMv2 AUTHENTICATE against the challenge this
// connection was sent, recomputing the NTProofStr from the user's password.
func (s *Server) verifyAuthenticate(msg, challenge []byte) (string, error) {
	if challenge == nil {
		return "", errors.New("AUTHENTICATE without a CHALLENGE on this connection")
	}
	nt, err := readVar(msg, 20)
	if err != nil {
		return "", err
	}
	domainRaw, err := readVar(msg, 28)
	if err != nil {
		return "", err
	}
	userRaw, err := readVar(msg, 36)
	if err != nil {
		return "", err
	}
	// Checked before the password is asked for, so a response that cannot pass
	// never reaches PasswordFor.
	if len(nt) < ntlmv2.MinResponse {
		return "", errors.New("not an NTLMv2 response")
	}
	domain, user := fromUTF16LE(domainRaw), fromUTF16LE(userRaw)
	full := s.qualify(user, domain)
	pass, ok := s.password(full)
	if !ok {
		return "", errors.New("unknown user")
	}
	if !ntlmv2.Verify(pass, user, domain, challenge, nt) {
		return "", errors.New("wrong password")
	}
	return full, nil
}

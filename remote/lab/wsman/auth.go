package wsman

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

// connState is the authentication state of one TCP connection: NTLM authenticates
// the connection, not the request, so it lives as long as the connection does.
type connState struct {
	mu        sync.Mutex
	challenge []byte // server challenge sent in the last CHALLENGE, nil when none is pending
	user      string // DOMAIN\user once NTLM succeeded on this connection
}

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
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		if err != nil {
			s.unauthorized(w, "")
			return ""
		}
		// GSSAPI clients wrap NTLM in SPNEGO on Negotiate (RFC 4559); the
		// answers go back wrapped the same way.
		msg, wrapped, err := ntlmv2.Unwrap(raw)
		if err != nil || (wrapped && !strings.EqualFold(scheme, "Negotiate")) {
			s.unauthorized(w, "")
			return ""
		}
		switch ntlmv2.MessageType(msg) {
		case ntlmv2.Negotiate:
			challenge := make([]byte, 8)
			_, _ = rand.Read(challenge)
			cs.mu.Lock()
			cs.challenge = challenge
			cs.user = ""
			cs.mu.Unlock()
			reply := s.challengeMessage(challenge)
			if wrapped {
				reply = ntlmv2.WrapChallenge(reply)
			}
			s.unauthorized(w, scheme+" "+base64.StdEncoding.EncodeToString(reply))
			return ""
		case ntlmv2.Authenticate:
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
			if wrapped {
				w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(ntlmv2.Accepted()))
			}
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

// challengeMessage builds an NTLM CHALLENGE for this node.
func (s *Server) challengeMessage(challenge []byte) []byte {
	return ntlmv2.Challenge(s.opts.Domain, shortHost(s.opts.Host), challenge)
}

// verifyAuthenticate checks an AUTHENTICATE against the challenge this connection
// was sent, recomputing the NTLMv2 or LMv2 proof from the user's password.
func (s *Server) verifyAuthenticate(msg, challenge []byte) (string, error) {
	if challenge == nil {
		return "", errors.New("AUTHENTICATE without a CHALLENGE on this connection")
	}
	a, err := ntlmv2.ParseAuthenticate(msg)
	if err != nil {
		return "", err
	}
	// Checked before the password is asked for, so a response that cannot pass
	// never reaches PasswordFor.
	if !a.Checkable() {
		return "", errors.New("neither an NTLMv2 nor an LMv2 response")
	}
	full := s.qualify(a.User, a.Domain)
	pass, ok := s.password(full)
	if !ok {
		return "", errors.New("unknown user")
	}
	if !ntlmv2.Verify(pass, a, challenge) {
		return "", errors.New("wrong password")
	}
	return full, nil
}

// shortHost is a host's first DNS label, its NetBIOS computer name.
func shortHost(host string) string {
	h, _, _ := strings.Cut(host, ".")
	return h
}

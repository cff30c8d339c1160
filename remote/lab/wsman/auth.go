package wsman

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/ssisha/ssisha/remote/lab/internal/krbaccept"
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
		// WinRM takes Basic for local accounts only: a domain account is refused
		// whatever its password, and an account naming no domain is the node's.
		full, local := s.localAccount(user)
		if !local {
			s.unauthorized(w, "")
			return ""
		}
		if want, known := s.password(full); known && want == pass {
			return full
		}
		s.unauthorized(w, "")
		return ""
	case s.opts.Kerberos != nil && (strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "Kerberos")) && krbaccept.IsKerberos(decoded(token)):
		return s.kerberos(w, r, scheme, decoded(token), cs)
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

// kerberos verifies a Kerberos AP-REQ for this node's SPNs. Like NTLM, it
// authenticates the connection; the account must be one PasswordFor knows (its
// password is not needed: the ticket proves it).
func (s *Server) kerberos(w http.ResponseWriter, r *http.Request, scheme string, token []byte, cs *connState) string {
	addr, _ := net.ResolveTCPAddr("tcp", r.RemoteAddr)
	principal, reply, err := s.opts.Kerberos.Accept(token, s.spns(), addr)
	if err != nil {
		s.unauthorized(w, "")
		return ""
	}
	user := s.qualify(principal, "")
	if _, ok := s.password(user); !ok {
		s.unauthorized(w, "")
		return ""
	}
	cs.mu.Lock()
	cs.challenge, cs.user = nil, user
	cs.mu.Unlock()
	if reply != nil {
		w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(reply))
	}
	return user
}

// spns are the service principal names a Kerberos ticket to this node names.
func (s *Server) spns() []string {
	short := shortHost(s.opts.Host)
	return []string{"HTTP/" + s.opts.Host, "HTTP/" + short, "WSMAN/" + s.opts.Host, "WSMAN/" + short}
}

// decoded is a base64 token, or nil when it is not base64.
func decoded(token string) []byte {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return nil
	}
	return b
}

// unauthorized answers 401, offering every enabled scheme, or continuing one.
func (s *Server) unauthorized(w http.ResponseWriter, cont string) {
	w.Header().Set("Content-Type", contentType)
	if cont != "" {
		w.Header().Add("WWW-Authenticate", cont)
	} else {
		if !s.opts.DisableNTLM || s.opts.Kerberos != nil {
			w.Header().Add("WWW-Authenticate", "Negotiate")
		}
		if s.opts.Kerberos != nil {
			w.Header().Add("WWW-Authenticate", "Kerberos")
		}
		if !s.opts.DisableNTLM {
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

// localAccount qualifies a Basic user name as Windows does (no domain, or ".",
// is this computer) and says whether it names one of this node's local accounts.
func (s *Server) localAccount(user string) (string, bool) {
	computer := strings.ToUpper(shortHost(s.opts.Host))
	if d, u, ok := strings.Cut(user, `\`); ok && d == "." {
		user = u
	}
	if !strings.ContainsAny(user, `\@`) {
		user = computer + `\` + user
	}
	full := s.qualify(user, "")
	d, _, _ := strings.Cut(full, `\`)
	return full, computer != "" && d == computer
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

package tds

import (
	"crypto/rand"
	"errors"

	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

// ntlmServer holds one connection's NTLM exchange.
type ntlmServer struct {
	domain    string
	computer  string
	challenge [8]byte
}

// challengeMessage answers the client's NEGOTIATE.
func (n *ntlmServer) challengeMessage(negotiate []byte) ([]byte, error) {
	if ntlmv2.MessageType(negotiate) != ntlmv2.Negotiate {
		return nil, errors.New("tds: SSPI data is not an NTLM NEGOTIATE message")
	}
	if _, err := rand.Read(n.challenge[:]); err != nil {
		return nil, err
	}
	return ntlmv2.Challenge(n.domain, n.computer, n.challenge[:]), nil
}

// parseAuthenticate reads the client's AUTHENTICATE message.
func parseAuthenticate(b []byte) (*ntlmv2.Auth, error) {
	a, err := ntlmv2.ParseAuthenticate(b)
	if err != nil {
		return nil, errors.New("tds: SSPI data is not a well-formed NTLM AUTHENTICATE message")
	}
	return a, nil
}

// verify checks the client's NTLMv2 or LMv2 proof against password.
func (n *ntlmServer) verify(a *ntlmv2.Auth, password string) bool {
	return ntlmv2.Verify(password, a, n.challenge[:])
}

package winrm

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/Azure/go-ntlmssp"
)

// ntlmConn authenticates the one kept-alive connection of a doer with NTLM. The
// library's negotiator sends every request anonymously first and starts the
// handshake only after the 401, which costs a wasted request on every new
// connection; this one starts the handshake directly (Negotiate carrying the NTLM
// NEGOTIATE message, as curl and Windows clients do) while the connection is not
// known to be authenticated, and hands the request to the library's negotiator once
// it is: that one re-authenticates by itself if the node forgot the connection.
//
// A doer holds one connection (MaxConnsPerHost 1), and NTLM authenticates a
// connection, so requests take turns.
type ntlmConn struct {
	rt   http.RoundTripper // one connection
	neg  http.RoundTripper // the library's negotiator over rt
	mu   sync.Mutex
	auth bool // the connection completed a handshake and has not failed since
}

func newNTLMConn(rt http.RoundTripper) *ntlmConn {
	return &ntlmConn{rt: rt, neg: ntlmssp.Negotiator{RoundTripper: rt}}
}

// RoundTrip sends req, whose Basic credentials are the NTLM user and password; they
// never leave as Basic.
func (c *ntlmConn) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	user, password, ok := req.BasicAuth()
	if !ok || req.GetBody == nil {
		return c.neg.RoundTrip(req)
	}
	if c.auth {
		resp, err := c.neg.RoundTrip(req)
		if err != nil {
			c.auth = false
		}
		return resp, err
	}
	resp, done, err := c.handshake(req, user, password)
	if err != nil {
		return nil, err
	}
	if done {
		c.auth = resp.StatusCode != http.StatusUnauthorized
		return resp, nil
	}
	// The node answered the NEGOTIATE with something else than a challenge: let the
	// library negotiate from the start, as it would have.
	return c.neg.RoundTrip(req)
}

// handshake sends req with the NEGOTIATE, then with the AUTHENTICATE that answers
// the node's challenge. done is false when the node did not challenge (nothing of
// the request took effect: it answered 401).
func (c *ntlmConn) handshake(req *http.Request, user, password string) (resp *http.Response, done bool, err error) {
	send := func(token []byte) (*http.Response, error) {
		r := req.Clone(req.Context())
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
		r.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
		return c.rt.RoundTrip(r)
	}
	negotiate, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return nil, false, err
	}
	resp, err = send(negotiate)
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		// Authenticated without a challenge (RFC 4559 allows it).
		return resp, true, nil
	}
	challenge := challengeToken(resp.Header)
	drain(resp)
	if challenge == nil {
		return nil, false, nil
	}
	authenticate, err := ntlmssp.NewAuthenticateMessage(challenge, user, password, nil)
	if err != nil {
		return nil, false, nil
	}
	resp, err = send(authenticate)
	if err != nil {
		return nil, false, err
	}
	return resp, true, nil
}

// challengeToken is the NTLM CHALLENGE in a 401's WWW-Authenticate, or nil.
func challengeToken(h http.Header) []byte {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || !(strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "NTLM")) {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token)); err == nil && len(b) > 0 {
			return b
		}
	}
	return nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

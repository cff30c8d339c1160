package ntlmv2

import (
	"errors"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// oidNTLM is NTLMSSP's mechanism in SPNEGO (RFC 4178, MS-SPNG).
var oidNTLM = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}

// SPNEGO negState values (RFC 4178 4.2.2).
const (
	acceptCompleted  = 0
	acceptIncomplete = 1
)

// Unwrap returns the NTLM message a Negotiate token carries: the token itself
// when it is raw NTLM, or the mechToken of a SPNEGO NegTokenInit or the
// responseToken of a NegTokenResp (RFC 4559), with wrapped set.
func Unwrap(token []byte) (msg []byte, wrapped bool, err error) {
	if MessageType(token) != 0 {
		return token, false, nil
	}
	var t spnego.SPNEGOToken
	if err := t.Unmarshal(token); err != nil {
		return nil, false, errors.New("ntlm: the Negotiate token is neither NTLM nor SPNEGO")
	}
	switch {
	case t.Init && MessageType(t.NegTokenInit.MechTokenBytes) != 0:
		return t.NegTokenInit.MechTokenBytes, true, nil
	case t.Resp && MessageType(t.NegTokenResp.ResponseToken) != 0:
		return t.NegTokenResp.ResponseToken, true, nil
	}
	return nil, true, errors.New("ntlm: the SPNEGO token carries no NTLM message (only NTLM is offered)")
}

// WrapChallenge puts a CHALLENGE in the SPNEGO NegTokenResp that answers a
// wrapped NEGOTIATE: NTLM chosen, negotiation incomplete.
func WrapChallenge(challenge []byte) []byte {
	return wrapResp(acceptIncomplete, challenge)
}

// Accepted is the final SPNEGO NegTokenResp once the AUTHENTICATE is verified.
func Accepted() []byte { return wrapResp(acceptCompleted, nil) }

func wrapResp(state asn1.Enumerated, token []byte) []byte {
	r := spnego.NegTokenResp{NegState: state, SupportedMech: oidNTLM, ResponseToken: token}
	b, err := r.Marshal()
	if err != nil {
		// Marshalling fixed, well-formed values cannot fail.
		panic("ntlm: SPNEGO NegTokenResp: " + err.Error())
	}
	return b
}

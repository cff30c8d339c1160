package ntlmv2

import (
	"encoding/hex"
	"testing"
)

// The NTLMv2 example of MS-NLMP 4.2.4: user "User" of "Domain", password
// "Password", server challenge 0123456789abcdef.
const (
	specChallenge  = "0123456789abcdef"
	specNTProofStr = "68cd0ab851e51c96aabc927bebef6a1c"
	specLMv2       = "86c35097ac9cec102554764a57cccc19" + "aaaaaaaaaaaaaaaa"
	specBlob       = "0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000" +
		"02000c0044006f006d00610069006e00" + "01000c00530065007200760065007200" + "00000000" + "00000000"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerify(t *testing.T) {
	challenge := unhex(t, specChallenge)
	nt := append(unhex(t, specNTProofStr), unhex(t, specBlob)...)
	lm := unhex(t, specLMv2)
	auth := func(user string, lm, nt []byte) *Auth { return &Auth{Domain: "Domain", User: user, LM: lm, NT: nt} }
	cases := []struct {
		name      string
		password  string
		a         *Auth
		challenge []byte
		want      bool
	}{
		{"the specification's NTLMv2 response", "Password", auth("User", nil, nt), challenge, true},
		{"the user compared case-insensitively", "Password", auth("user", nil, nt), challenge, true},
		{"a wrong password", "password", auth("User", nil, nt), challenge, false},
		{"another challenge", "Password", auth("User", nil, nt), unhex(t, "fedcba9876543210"), false},
		{"shorter than NTLMv2", "Password", auth("User", nil, nt[:MinResponse-1]), challenge, false},
		{"LMv2 with an NT response that cannot be checked", "Password", auth("User", lm, make([]byte, 24)), challenge, true},
		{"LMv2 with a wrong password", "Password1", auth("User", lm, nil), challenge, false},
		{"LMv2 to another challenge", "Password", auth("User", lm, nil), unhex(t, "fedcba9876543210"), false},
		{"neither response", "Password", auth("User", make([]byte, 24), make([]byte, 24)), challenge, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Verify(tc.password, tc.a, tc.challenge); got != tc.want {
				t.Errorf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChallengeAndAuthenticateRoundTrip(t *testing.T) {
	c := Challenge("contoso", "node1", []byte("12345678"))
	if MessageType(c) != ChallengeMsg || string(c[24:32]) != "12345678" {
		t.Fatalf("challenge = % x", c)
	}
	if MessageType([]byte("NTLMSSP")) != 0 {
		t.Error("a short message has a type")
	}
	if _, err := ParseAuthenticate(c); err == nil {
		t.Error("a CHALLENGE parsed as an AUTHENTICATE")
	}
}

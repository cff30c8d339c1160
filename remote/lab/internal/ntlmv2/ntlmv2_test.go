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
	if !Verify("Password", "User", "Domain", challenge, nt) {
		t.Fatal("the specification's response is refused")
	}
	if !Verify("Password", "user", "Domain", challenge, nt) {
		t.Fatal("the user name is not compared case-insensitively")
	}
	if Verify("password", "User", "Domain", challenge, nt) {
		t.Fatal("a wrong password is accepted")
	}
	if Verify("Password", "User", "Domain", unhex(t, "fedcba9876543210"), nt) {
		t.Fatal("a response to another challenge is accepted")
	}
	if Verify("Password", "User", "Domain", challenge, nt[:MinResponse-1]) {
		t.Fatal("a response shorter than NTLMv2's is accepted")
	}
}

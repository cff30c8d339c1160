package tds

import (
	"bytes"
	"testing"
)

// The parsers read what any client on the network sends; none may panic.

func FuzzReadMessage(f *testing.F) {
	var buf bytes.Buffer
	_ = writeMessage(&buf, pktSQLBatch, bytes.Repeat([]byte{1}, 5000), 4096)
	f.Add(buf.Bytes())
	f.Add([]byte{0x12, 0x01, 0x00, 0x08, 0, 0, 1, 0})
	f.Add([]byte{0x12, 0x01, 0x00, 0x02, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = readMessage(bytes.NewReader(b))
	})
}

func FuzzParsePrelogin(f *testing.F) {
	f.Add(buildPrelogin([6]byte{15}, encryptOn))
	f.Add([]byte{0xFF})
	f.Add([]byte{0x01, 0xFF, 0xFF, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parsePrelogin(b)
	})
}

func FuzzParseLogin7(f *testing.F) {
	f.Add(buildLogin7("sa", "pw", "SSISDB", nil))
	f.Add(buildLogin7("", "", "", []byte("NTLMSSP\x00\x01\x00\x00\x00")))
	f.Add(make([]byte, login7HeaderLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseLogin7(b)
	})
}

func FuzzParseRPC(f *testing.F) {
	f.Add(buildRPC("SELECT @a", "x"))
	f.Add(buildRPC("", ""))
	f.Add([]byte{4, 0, 0, 0, 0xFF, 0xFF, 10, 0, 0, 0, 0, 0, typDateTimeOffN, 7, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseRPC(b, true)
		_, _ = parseRPC(b, false)
		_, _ = parseSQLBatch(b, true)
	})
}

func FuzzParseAuthenticate(f *testing.F) {
	msg := make([]byte, 64)
	copy(msg, "NTLMSSP\x00")
	msg[8] = 3 // AUTHENTICATE
	f.Add(msg)
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := parseAuthenticate(b); err == nil {
			n := &ntlmServer{domain: "LAB"}
			_ = n.verify(a, "pw")
		}
		n := &ntlmServer{domain: "LAB", computer: "NODE1"}
		_, _ = n.challengeMessage(b)
	})
}

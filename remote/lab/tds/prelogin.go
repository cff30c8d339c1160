package tds

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// PRELOGIN option tokens and ENCRYPTION values (MS-TDS 2.2.6.5).
const (
	plVersion    = 0x00
	plEncryption = 0x01
	plInstOpt    = 0x02
	plThreadID   = 0x03
	plMARS       = 0x04
	plTerminator = 0xFF

	encryptOff    = 0x00
	encryptOn     = 0x01
	encryptNotSup = 0x02
	encryptReq    = 0x03
)

// parsePrelogin returns the client's PRELOGIN options by token.
func parsePrelogin(b []byte) (map[byte][]byte, error) {
	opts := map[byte][]byte{}
	for i := 0; ; i += 5 {
		if i >= len(b) {
			return nil, errors.New("tds: PRELOGIN option list is not terminated")
		}
		tok := b[i]
		if tok == plTerminator {
			return opts, nil
		}
		if i+5 > len(b) {
			return nil, errShort
		}
		off := int(binary.BigEndian.Uint16(b[i+1:]))
		n := int(binary.BigEndian.Uint16(b[i+3:]))
		if off+n > len(b) {
			return nil, errors.New("tds: PRELOGIN option points past the message")
		}
		opts[tok] = b[off : off+n]
	}
}

// buildPrelogin returns the server's PRELOGIN answer.
func buildPrelogin(version [6]byte, encrypt byte) []byte {
	type opt struct {
		tok  byte
		data []byte
	}
	opts := []opt{
		{plVersion, version[:]},
		{plEncryption, []byte{encrypt}},
		{plInstOpt, []byte{0}},
		{plThreadID, []byte{0, 0, 0, 0}},
		{plMARS, []byte{0}},
	}
	off := len(opts)*5 + 1
	var head, data []byte
	for _, o := range opts {
		head = append(head, o.tok, byte(off>>8), byte(off), byte(len(o.data)>>8), byte(len(o.data)))
		data = append(data, o.data...)
		off += len(o.data)
	}
	head = append(head, plTerminator)
	return append(head, data...)
}

// parseVersion turns "15.0.4345.5" into the PRELOGIN VERSION field and the
// LOGINACK version word; parts that do not parse count as zero.
func parseVersion(v string) (prelogin [6]byte, loginAck uint32) {
	parts := strings.Split(v, ".")
	num := func(i int) int {
		if i >= len(parts) {
			return 0
		}
		n, _ := strconv.Atoi(parts[i])
		return n
	}
	major, minor, build, rev := num(0), num(1), num(2), num(3)
	prelogin = [6]byte{byte(major), byte(minor), byte(build >> 8), byte(build), byte(rev >> 8), byte(rev)}
	loginAck = uint32(byte(major))<<24 | uint32(byte(minor))<<16 | uint32(uint16(build))
	return prelogin, loginAck
}

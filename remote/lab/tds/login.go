package tds

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// LOGIN7 flags the server looks at (MS-TDS 2.2.6.4).
const (
	login7HeaderLen     = 94
	flagIntegrated      = 0x80 // OptionFlags2: fIntSecurity
	flagReadOnlyIntent  = 0x20 // TypeFlags: fReadOnlyIntent
	tdsVersionStrict    = 0x08000000
	tdsVersionDefault74 = 0x74000004
	tdsVersion72        = 0x72090002
	tdsVersion73        = 0x730A0003
)

// login7 is the part of a LOGIN7 message the server acts on.
type login7 struct {
	TDSVersion uint32
	PacketSize uint32
	Integrated bool
	ReadOnly   bool
	HostName   string
	UserName   string
	Password   string
	AppName    string
	ServerName string
	Database   string
	SSPI       []byte
}

// parseLogin7 decodes a LOGIN7 payload, the password unmangled.
func parseLogin7(b []byte) (*login7, error) {
	if len(b) < login7HeaderLen {
		return nil, fmt.Errorf("tds: LOGIN7 of %d bytes is shorter than its %d-byte header", len(b), login7HeaderLen)
	}
	le := binary.LittleEndian
	l := &login7{
		TDSVersion: le.Uint32(b[4:]),
		PacketSize: le.Uint32(b[8:]),
		Integrated: b[25]&flagIntegrated != 0,
		ReadOnly:   b[26]&flagReadOnlyIntent != 0,
	}
	var err error
	str := func(at int) string {
		if err != nil {
			return ""
		}
		off, n := int(le.Uint16(b[at:])), int(le.Uint16(b[at+2:]))
		if off+2*n > len(b) {
			err = fmt.Errorf("tds: LOGIN7 field at offset %d points past the message", at)
			return ""
		}
		var s string
		s, err = fromUCS2(b[off : off+2*n])
		return s
	}
	l.HostName = str(36)
	l.UserName = str(40)
	if err == nil {
		off, n := int(le.Uint16(b[44:])), int(le.Uint16(b[46:]))
		if off+2*n > len(b) {
			return nil, errors.New("tds: LOGIN7 password points past the message")
		}
		l.Password, err = fromUCS2(unmangle(b[off : off+2*n]))
	}
	l.AppName = str(48)
	l.ServerName = str(52)
	l.Database = str(68)
	if err != nil {
		return nil, err
	}
	off, n := int(le.Uint16(b[78:])), int(le.Uint16(b[80:]))
	if n == 0xFFFF {
		long := le.Uint32(b[90:])
		if uint64(long) > uint64(len(b)) {
			return nil, errors.New("tds: LOGIN7 SSPI length points past the message")
		}
		n = int(long)
	}
	if off+n > len(b) {
		return nil, errors.New("tds: LOGIN7 SSPI data points past the message")
	}
	if n > 0 {
		l.SSPI = append([]byte(nil), b[off:off+n]...)
	}
	return l, nil
}

// agreedVersion is the TDS version a server that speaks up to 7.4 answers a
// client asking for v with: the highest both speak, in LOGINACK's spelling
// (MS-TDS 2.2.7.14, which writes 7.0 and 7.1 differently from LOGIN7).
func agreedVersion(v uint32) uint32 {
	switch {
	case v >= tdsVersionDefault74 || v == tdsVersionStrict:
		return tdsVersionDefault74
	case v >= 0x730B0003:
		return 0x730B0003
	case v >= tdsVersion73:
		return tdsVersion73
	case v >= tdsVersion72:
		return tdsVersion72
	case v >= 0x71000001:
		return 0x71000001
	case v >= 0x71000000:
		return 0x07010000
	default:
		return 0x07000000
	}
}

// unmangle reverses the LOGIN7 password obfuscation: each byte was nibble-swapped
// and then XORed with 0xA5.
func unmangle(p []byte) []byte {
	out := make([]byte, len(p))
	for i, c := range p {
		c ^= 0xA5
		out[i] = c<<4 | c>>4
	}
	return out
}

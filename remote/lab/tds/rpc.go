package tds

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// procExecuteSQL is sp_executesql's well-known procedure ID.
const procExecuteSQL = 10

// parseSQLBatch reads a SQLBatch payload: ALL_HEADERS, then the UTF-16 text.
func parseSQLBatch(b []byte) (Request, error) {
	r := &reader{b: b}
	r.skipAllHeaders()
	if r.err != nil {
		return Request{}, r.err
	}
	text, err := fromUCS2(r.b[r.off:])
	if err != nil {
		return Request{}, err
	}
	return Request{Text: text}, nil
}

// parseRPC reads an RPC payload. For sp_executesql the statement becomes Text and
// the declaration is dropped; any other procedure is named in Text and all its
// parameters are kept.
func parseRPC(b []byte) (Request, error) {
	r := &reader{b: b}
	r.skipAllHeaders()
	nameLen := r.u16()
	var proc string
	isExec := false
	if nameLen == 0xFFFF {
		isExec = r.u16() == procExecuteSQL
		if !isExec && r.err == nil {
			return Request{}, errors.New("tds: RPC calls a special procedure other than sp_executesql")
		}
	} else {
		proc = r.ucs2(int(nameLen))
		isExec = strings.EqualFold(strings.TrimPrefix(proc, "sys."), "sp_executesql")
	}
	r.u16() // option flags
	if r.err != nil {
		return Request{}, r.err
	}
	req := Request{RPC: true, Params: map[string]any{}}
	if !isExec {
		req.Text = proc
	}
	for i := 0; r.remaining() > 0; i++ {
		if r.b[r.off] == 0x80 || r.b[r.off] == 0xFF {
			break // batch separator: only the first call is served
		}
		name := r.ucs2(int(r.u8()))
		r.u8() // status flags (output parameters are not supported)
		if r.err != nil {
			return Request{}, r.err
		}
		v, err := readValue(r)
		if err != nil {
			return Request{}, fmt.Errorf("tds: RPC parameter %d (%q): %w", i+1, name, err)
		}
		switch {
		case isExec && i == 0:
			s, ok := v.(string)
			if !ok {
				return Request{}, errors.New("tds: sp_executesql statement is not a string")
			}
			req.Text = s
		case isExec && i == 1 && strings.HasPrefix(name, "@params"):
			// the declaration string describes the parameters that follow
		default:
			req.Params[strings.TrimPrefix(name, "@")] = v
		}
	}
	return req, nil
}

// readValue reads one TYPE_INFO and the value that follows it.
func readValue(r *reader) (any, error) {
	typ := r.u8()
	if r.err != nil {
		return nil, r.err
	}
	switch typ {
	case typNull:
		return nil, nil
	case typInt1:
		return int64(r.u8()), r.err
	case typBit:
		return r.u8() != 0, r.err
	case typInt2:
		return int64(int16(r.u16())), r.err
	case typInt4:
		return int64(int32(r.u32())), r.err
	case typInt8:
		return int64(r.u64()), r.err
	case typFlt4:
		return float64(math.Float32frombits(r.u32())), r.err
	case typFlt8:
		return math.Float64frombits(r.u64()), r.err
	case typIntN, typBitN, typFltN, typGUID:
		r.u8() // declared size
		p := r.bytes8()
		if p == nil {
			return nil, r.err
		}
		return fixedValue(typ, p)
	case typNVarChar, typNChar, typBigVarChar, typBigChar:
		maxLen := r.u16()
		r.take(len(collation))
		p, null, err := varValue(r, maxLen)
		if err != nil || null {
			return nil, err
		}
		if typ == typBigVarChar || typ == typBigChar {
			return latin1(p), nil
		}
		return fromUCS2(p)
	case typBigVarBinary, typBigBinary:
		maxLen := r.u16()
		p, null, err := varValue(r, maxLen)
		if err != nil || null {
			return nil, err
		}
		return append([]byte{}, p...), nil
	case typDateTime2N, typDateTimeOffN, typTimeN:
		scale := int(r.u8())
		if scale > 7 {
			return nil, fmt.Errorf("time scale %d is over 7", scale)
		}
		p := r.bytes8()
		if p == nil {
			return nil, r.err
		}
		if typ == typTimeN {
			return nil, errors.New("time parameters are not supported")
		}
		tm, err := decodeDateTime(p, scale)
		if err != nil {
			return nil, err
		}
		if typ == typDateTimeOffN {
			tl := timeLen(scale) + 3
			if len(p) < tl+2 {
				return nil, errShort
			}
			return withOffset(tm, int16(uint16(p[tl])|uint16(p[tl+1])<<8)), nil
		}
		return tm, nil
	case typDateN:
		p := r.bytes8()
		if p == nil {
			return nil, r.err
		}
		if len(p) != 3 {
			return nil, fmt.Errorf("date of %d bytes", len(p))
		}
		return decodeDateTime(append([]byte{0, 0, 0}, p...), 0)
	}
	return nil, fmt.Errorf("parameter type %#x is not supported", typ)
}

func fixedValue(typ byte, p []byte) (any, error) {
	var u uint64
	for i := len(p) - 1; i >= 0; i-- {
		u = u<<8 | uint64(p[i])
	}
	switch typ {
	case typIntN:
		switch len(p) {
		case 1:
			return int64(u), nil
		case 2:
			return int64(int16(u)), nil
		case 4:
			return int64(int32(u)), nil
		case 8:
			return int64(u), nil
		}
	case typBitN:
		if len(p) == 1 {
			return p[0] != 0, nil
		}
	case typFltN:
		switch len(p) {
		case 4:
			return float64(math.Float32frombits(uint32(u))), nil
		case 8:
			return math.Float64frombits(u), nil
		}
	case typGUID:
		if len(p) == 16 {
			return append([]byte{}, p...), nil
		}
	}
	return nil, fmt.Errorf("type %#x with a value of %d bytes", typ, len(p))
}

// varValue reads a USHORTLEN value, or a PLP value when maxLen is 0xFFFF.
func varValue(r *reader, maxLen uint16) (p []byte, null bool, err error) {
	if maxLen != 0xFFFF {
		n := r.u16()
		if n == 0xFFFF {
			return nil, true, r.err
		}
		p = r.take(int(n))
		return p, false, r.err
	}
	total := r.u64()
	if total == plpNull {
		return nil, true, r.err
	}
	if total != plpUnknownLength && total > uint64(r.remaining()) {
		return nil, false, errors.New("PLP length points past the message")
	}
	for r.err == nil {
		n := r.u32()
		if n == 0 {
			break
		}
		if uint64(n) > uint64(r.remaining()) {
			return nil, false, errors.New("PLP chunk points past the message")
		}
		p = append(p, r.take(int(n))...)
	}
	return p, false, r.err
}

func latin1(p []byte) string {
	rs := make([]rune, len(p))
	for i, c := range p {
		rs[i] = rune(c)
	}
	return string(rs)
}

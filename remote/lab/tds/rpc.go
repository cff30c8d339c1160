package tds

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The well-known procedure IDs (MS-TDS 2.2.6.6) the lab serves.
const (
	procExecuteSQL = 10
	procPrepare    = 11
	procExecute    = 12
	procPrepExec   = 13
	procUnprepare  = 15
)

// procByName maps the names clients may send instead of the IDs.
var procByName = map[string]uint16{
	"sp_executesql": procExecuteSQL,
	"sp_prepare":    procPrepare,
	"sp_execute":    procExecute,
	"sp_prepexec":   procPrepExec,
	"sp_unprepare":  procUnprepare,
}

// rpcCall is one RPC as read: the request the handler gets, and for the
// prepare family the handle it names.
type rpcCall struct {
	Request
	proc   uint16 // one of the proc* IDs, 0 for a procedure called by name
	handle int32  // sp_execute's and sp_unprepare's handle
}

// parseSQLBatch reads a SQLBatch payload: ALL_HEADERS (from TDS 7.2), then the
// UTF-16 text.
func parseSQLBatch(b []byte, allHeaders bool) (Request, error) {
	r := &reader{b: b}
	if allHeaders {
		r.skipAllHeaders()
	}
	if r.err != nil {
		return Request{}, r.err
	}
	text, err := fromUCS2(r.b[r.off:])
	if err != nil {
		return Request{}, err
	}
	return Request{Text: text}, nil
}

// parseRPC reads an RPC payload. The statement of sp_executesql, sp_prepexec and
// sp_prepare becomes Text and the declaration is dropped; the values that follow
// are Params. Any other procedure is named in Text and all its parameters are
// kept.
func parseRPC(b []byte, allHeaders bool) (rpcCall, error) {
	r := &reader{b: b}
	if allHeaders {
		r.skipAllHeaders()
	}
	nameLen := r.u16()
	var call rpcCall
	if nameLen == 0xFFFF {
		call.proc = r.u16()
		if !isKnownProc(call.proc) && r.err == nil {
			return rpcCall{}, &Error{Number: 2812, State: 62, Class: 16, Message: fmt.Sprintf("Could not find stored procedure with ID %d.", call.proc)}
		}
	} else {
		name := r.ucs2(int(nameLen))
		call.proc = procByName[strings.ToLower(strings.TrimPrefix(strings.ToLower(name), "sys."))]
		if call.proc == 0 {
			call.Text = name
		}
	}
	r.u16() // option flags
	if r.err != nil {
		return rpcCall{}, r.err
	}
	call.RPC = true
	call.Params = map[string]any{}
	// fixed is how many leading parameters the procedure itself takes: its
	// statement, declaration and handle.
	fixed := map[uint16]int{procExecuteSQL: 2, procPrepare: 4, procExecute: 1, procPrepExec: 3, procUnprepare: 1}[call.proc]
	for i := 0; r.remaining() > 0; i++ {
		if r.b[r.off] == 0x80 || r.b[r.off] == 0xFF {
			break // batch separator: only the first call is served
		}
		name := r.ucs2(int(r.u8()))
		r.u8() // status flags: an OUTPUT value is sent back only for the prepare handle
		if r.err != nil {
			return rpcCall{}, r.err
		}
		v, err := readValue(r)
		if err != nil {
			return rpcCall{}, badParameter(i+1, name, err)
		}
		switch {
		case i >= fixed || (call.proc == procExecuteSQL && i == 1 && !strings.HasPrefix(name, "@params")):
			if name == "" {
				name = "@P" + strconv.Itoa(i+1-fixed)
			}
			call.Params[strings.TrimPrefix(name, "@")] = v
		case isStatement(call.proc, i):
			s, ok := v.(string)
			if !ok {
				return rpcCall{}, badParameter(i+1, name, errors.New("the statement is not a string"))
			}
			call.Text = s
		case (call.proc == procExecute || call.proc == procUnprepare) && i == 0:
			n, ok := v.(int64)
			if !ok {
				return rpcCall{}, badParameter(i+1, name, errors.New("the handle is not an int"))
			}
			call.handle = int32(n)
		}
	}
	return call, nil
}

func isKnownProc(id uint16) bool {
	for _, p := range procByName {
		if p == id {
			return true
		}
	}
	return false
}

// isStatement reports whether parameter i of proc is its statement text.
func isStatement(proc uint16, i int) bool {
	switch proc {
	case procExecuteSQL:
		return i == 0
	case procPrepare, procPrepExec:
		return i == 2
	}
	return false
}

// badParameter is the error SQL Server answers a parameter it cannot read with;
// the session survives it.
func badParameter(ordinal int, name string, err error) error {
	return &Error{Number: 8016, State: 1, Class: 16, Message: fmt.Sprintf(
		"The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is incorrect. Parameter %d (%q): %v.", ordinal, name, err)}
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
			// A time of day is a datetime2 on 0001-01-01.
			return decodeDateTime(append(append([]byte{}, p...), 0, 0, 0), scale)
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
	case typDecimalN, typNumericN:
		r.u8() // declared size
		r.u8() // precision
		scale := int(r.u8())
		p := r.bytes8()
		if p == nil {
			return nil, r.err
		}
		return decimalValue(p, scale)
	case typMoneyN, typDateTimeN:
		r.u8() // declared size
		p := r.bytes8()
		if p == nil {
			return nil, r.err
		}
		return legacyValue(typ, p)
	case typMoney, typDateTime:
		return legacyValue(typ, r.take(8))
	case typMoney4, typDateTim4:
		return legacyValue(typ, r.take(4))
	case typText, typNText, typImage:
		r.u32() // declared size
		if typ != typImage {
			r.take(len(collation))
		}
		n := r.u32()
		if n == 0xFFFFFFFF {
			return nil, r.err
		}
		if uint64(n) > uint64(r.remaining()) {
			return nil, errShort
		}
		p := r.take(int(n))
		switch typ {
		case typText:
			return latin1(p), r.err
		case typNText:
			return fromUCS2(p)
		}
		return append([]byte{}, p...), r.err
	}
	return nil, fmt.Errorf("data type 0x%02X is unknown", typ)
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

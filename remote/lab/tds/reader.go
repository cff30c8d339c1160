package tds

import (
	"encoding/binary"
	"errors"
)

// errShort reports a message that ends in the middle of a field.
var errShort = errors.New("tds: message ends in the middle of a field")

// reader walks a message payload; every read is bounds-checked so that a hostile
// client can make parsing fail but never panic.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.err = errShort
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

// bytes8 reads a one-byte length and that many bytes. It returns nil for a zero
// length (a NULL value) and when the message ends early (r.err says which).
func (r *reader) bytes8() []byte {
	n := int(r.u8())
	if n == 0 {
		return nil
	}
	return r.take(n)
}

func (r *reader) u8() byte {
	p := r.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) u16() uint16 {
	p := r.take(2)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(p)
}

func (r *reader) u32() uint32 {
	p := r.take(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

func (r *reader) u64() uint64 {
	p := r.take(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

func (r *reader) remaining() int { return len(r.b) - r.off }

// ucs2 reads n UTF-16 code units.
func (r *reader) ucs2(n int) string {
	p := r.take(2 * n)
	if p == nil {
		return ""
	}
	s, err := fromUCS2(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return s
}

// skipAllHeaders skips the ALL_HEADERS block that starts SQLBatch, RPC and
// TransMgrReq payloads (its first field is its own total length).
func (r *reader) skipAllHeaders() {
	if r.remaining() < 4 {
		r.err = errShort
		return
	}
	total := binary.LittleEndian.Uint32(r.b[r.off:])
	if total < 4 || uint64(total) > uint64(r.remaining()) {
		r.err = errors.New("tds: ALL_HEADERS length is out of range")
		return
	}
	r.off += int(total)
}

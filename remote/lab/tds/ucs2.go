package tds

import (
	"errors"
	"unicode/utf16"
)

var errOddUCS2 = errors.New("tds: UTF-16 text has an odd number of bytes")

// ucs2 encodes s as UTF-16LE, the encoding of every TDS string.
func ucs2(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i] = byte(c)
		b[2*i+1] = byte(c >> 8)
	}
	return b
}

// ucs2Len is the length of s in UTF-16 code units, the unit TDS counts in.
func ucs2Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// fromUCS2 decodes UTF-16LE bytes.
func fromUCS2(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", errOddUCS2
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u)), nil
}

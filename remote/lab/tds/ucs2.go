package tds

import (
	"errors"

	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

var errOddUCS2 = errors.New("tds: UTF-16 text has an odd number of bytes")

// ucs2 encodes s as UTF-16LE, the encoding of every TDS string.
func ucs2(s string) []byte { return ntlmv2.UTF16LE(s) }

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
	return ntlmv2.FromUTF16LE(b), nil
}

package tds

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// colType is the SQL type a result column is sent as, chosen from its Go values.
type colType int

const (
	colNVarchar colType = iota // nvarchar(4000)
	colNVarcharMax
	colBigInt
	colBit
	colVarbinaryMax
	colFloat
	colDateTime2
	colDateTimeOffset
	// What the newer types become for clients that speak an older TDS.
	colNText    // nvarchar(max) before TDS 7.2
	colImage    // varbinary(max) before TDS 7.2
	colDateTime // datetime2 and datetimeoffset before TDS 7.3
)

// TDS type bytes for result columns and parameters.
const (
	typNull           = 0x1F
	typInt1           = 0x30
	typBit            = 0x32
	typInt2           = 0x34
	typInt4           = 0x38
	typDateN          = 0x28
	typTimeN          = 0x29
	typDateTime2N     = 0x2A
	typDateTimeOffN   = 0x2B
	typFlt4           = 0x3B
	typFlt8           = 0x3E
	typInt8           = 0x7F
	typGUID           = 0x24
	typIntN           = 0x26
	typBitN           = 0x68
	typFltN           = 0x6D
	typBigVarBinary   = 0xA5
	typBigVarChar     = 0xA7
	typBigBinary      = 0xAD
	typBigChar        = 0xAF
	typNVarChar       = 0xE7
	typImage          = 0x22
	typText           = 0x23
	typDateTim4       = 0x3A
	typMoney          = 0x3C
	typDateTime       = 0x3D
	typNText          = 0x63
	typDecimalN       = 0x6A
	typNumericN       = 0x6C
	typMoneyN         = 0x6E
	typDateTimeN      = 0x6F
	typMoney4         = 0x7A
	typNChar          = 0xEF
	plpNull           = 0xFFFFFFFFFFFFFFFF
	plpUnknownLength  = 0xFFFFFFFFFFFFFFFE
	nvarcharMaxInline = 4000
)

// inferColumns picks each column's type from its non-nil values. A column whose
// values disagree is sent as text, so a handler's mixed column still arrives.
func inferColumns(rs *script.ResultSet) []colType {
	types := make([]colType, len(rs.Columns))
	for c := range rs.Columns {
		var kind colType = -1
		long := false
		for _, row := range rs.Rows {
			if c >= len(row) || row[c] == nil {
				continue
			}
			k := kindOf(row[c])
			if s, ok := row[c].(string); ok && ucs2Len(s) > nvarcharMaxInline {
				long = true
			}
			switch {
			case kind == -1:
				kind = k
			case kind == k:
			case (kind == colDateTime2 && k == colDateTimeOffset) || (kind == colDateTimeOffset && k == colDateTime2):
				kind = colDateTimeOffset
			default:
				kind = colNVarchar
				long = true
			}
		}
		switch {
		case kind == -1:
			kind = colNVarchar
		case kind == colNVarchar && long:
			kind = colNVarcharMax
		}
		types[c] = kind
	}
	return types
}

func kindOf(v any) colType {
	switch x := v.(type) {
	case string:
		return colNVarchar
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return colBigInt
	case bool:
		return colBit
	case []byte:
		return colVarbinaryMax
	case float32, float64:
		return colFloat
	case time.Time:
		if x.Location() == time.UTC {
			return colDateTime2
		}
		return colDateTimeOffset
	default:
		return colNVarchar
	}
}

// writeResult appends COLMETADATA and one ROW per row.
func writeResult(t *tokens, rs *script.ResultSet) {
	types := inferColumns(rs)
	for i, ct := range types {
		switch {
		case ct == colNVarcharMax && t.before72():
			types[i] = colNText
		case ct == colVarbinaryMax && t.before72():
			types[i] = colImage
		case (ct == colDateTime2 || ct == colDateTimeOffset) && t.before73():
			types[i] = colDateTime
		}
	}
	t.u8(tokColMetadata)
	t.u16(uint16(len(types)))
	for i, ct := range types {
		t.userType()
		t.u16(0x0001) // nullable
		switch ct {
		case colNVarchar:
			t.u8(typNVarChar)
			t.u16(2 * nvarcharMaxInline)
			t.Write(collation)
		case colNVarcharMax:
			t.u8(typNVarChar)
			t.u16(0xFFFF)
			t.Write(collation)
		case colBigInt:
			t.u8(typIntN)
			t.u8(8)
		case colBit:
			t.u8(typBitN)
			t.u8(1)
		case colVarbinaryMax:
			t.u8(typBigVarBinary)
			t.u16(0xFFFF)
		case colFloat:
			t.u8(typFltN)
			t.u8(8)
		case colDateTime2:
			t.u8(typDateTime2N)
			t.u8(7)
		case colDateTimeOffset:
			t.u8(typDateTimeOffN)
			t.u8(7)
		case colNText:
			t.u8(typNText)
			t.u32(0x7FFFFFFE)
			t.Write(collation)
			t.u16(0) // no table name
		case colImage:
			t.u8(typImage)
			t.u32(0x7FFFFFFF)
			t.u16(0) // no table name
		case colDateTime:
			t.u8(typDateTimeN)
			t.u8(8)
		}
		t.Write(bVarchar(nil, rs.Columns[i]))
	}
	for _, row := range rs.Rows {
		t.u8(tokRow)
		for c, ct := range types {
			var v any
			if c < len(row) {
				v = row[c]
			}
			writeValue(t, ct, v)
		}
	}
}

func writeValue(t *tokens, ct colType, v any) {
	switch ct {
	case colNText, colImage:
		if v == nil {
			t.u8(0) // no text pointer: NULL
			return
		}
		b, ok := v.([]byte)
		if ct == colNText || !ok {
			b = ucs2(toText(v))
		}
		t.u8(16)
		t.Write(make([]byte, 16+8)) // text pointer and timestamp, unused by readers
		t.u32(uint32(len(b)))
		t.Write(b)
	case colDateTime:
		if v == nil {
			t.u8(0)
			return
		}
		t.u8(8)
		t.Write(encodeLegacyDateTime(v.(time.Time)))
	case colNVarchar:
		if v == nil {
			t.u16(0xFFFF)
			return
		}
		u := ucs2(toText(v))
		t.u16(uint16(len(u)))
		t.Write(u)
	case colNVarcharMax:
		if v == nil {
			t.u64(plpNull)
			return
		}
		writePLP(t, ucs2(toText(v)))
	case colVarbinaryMax:
		if v == nil {
			t.u64(plpNull)
			return
		}
		writePLP(t, v.([]byte))
	case colBigInt:
		if v == nil {
			t.u8(0)
			return
		}
		t.u8(8)
		t.u64(uint64(toInt64(v)))
	case colBit:
		if v == nil {
			t.u8(0)
			return
		}
		t.u8(1)
		if v.(bool) {
			t.u8(1)
		} else {
			t.u8(0)
		}
	case colFloat:
		if v == nil {
			t.u8(0)
			return
		}
		f, ok := v.(float64)
		if !ok {
			f = float64(v.(float32))
		}
		t.u8(8)
		t.u64(math.Float64bits(f))
	case colDateTime2, colDateTimeOffset:
		if v == nil {
			t.u8(0)
			return
		}
		tm := v.(time.Time)
		if ct == colDateTime2 {
			t.u8(8)
			t.Write(encodeDateTime(tm))
			return
		}
		_, offset := tm.Zone()
		t.u8(10)
		t.Write(encodeDateTime(tm.UTC()))
		t.u16(uint16(int16(offset / 60)))
	}
}

// writePLP writes a partially length-prefixed value in one chunk.
func writePLP(t *tokens, b []byte) {
	t.u64(uint64(len(b)))
	if len(b) > 0 {
		t.u32(uint32(len(b)))
		t.Write(b)
	}
	t.u32(0)
}

func toText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if b, ok := v.([]byte); ok {
		return fmt.Sprintf("0x%X", b)
	}
	return fmt.Sprint(v)
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	}
	return 0
}

// daysTo1970 is the number of days from 0001-01-01 to 1970-01-01, the epoch of
// the TDS date part.
const daysTo1970 = 719162

// encodeDateTime writes tm's wall clock as a scale-7 time (5 bytes) and a date
// (3 bytes), the datetime2 layout.
func encodeDateTime(tm time.Time) []byte {
	y, m, d := tm.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	wall := time.Date(y, m, d, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC)
	ticks := uint64(wall.Sub(midnight) / 100)
	days := uint32(midnight.Unix()/86400 + daysTo1970)
	b := make([]byte, 8)
	var tb [8]byte
	binary.LittleEndian.PutUint64(tb[:], ticks)
	copy(b[:5], tb[:5])
	b[5], b[6], b[7] = byte(days), byte(days>>8), byte(days>>16)
	return b
}

// decodeDateTime reverses encodeDateTime for any scale.
func decodeDateTime(b []byte, scale int) (time.Time, error) {
	tl := timeLen(scale)
	if len(b) < tl+3 {
		return time.Time{}, errShort
	}
	var tb [8]byte
	copy(tb[:], b[:tl])
	units := binary.LittleEndian.Uint64(tb[:])
	for i := scale; i < 9; i++ {
		units *= 10
	}
	days := int64(b[tl]) | int64(b[tl+1])<<8 | int64(b[tl+2])<<16
	base := time.Unix((days-daysTo1970)*86400, 0).UTC()
	return base.Add(time.Duration(units)), nil
}

// timeLen is the byte length of a TDS time part at a given scale.
func timeLen(scale int) int {
	switch {
	case scale <= 2:
		return 3
	case scale <= 4:
		return 4
	default:
		return 5
	}
}

// withOffset shows tm (UTC) in a fixed zone of the given minutes east of UTC, as
// a datetimeoffset parameter means it.
func withOffset(tm time.Time, minutes int16) time.Time {
	if minutes == 0 {
		return tm
	}
	return tm.In(time.FixedZone("", int(minutes)*60))
}

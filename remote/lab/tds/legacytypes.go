package tds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"
)

// The older SQL Server types drivers still send as parameters: decimal and
// numeric, money and smallmoney, datetime and smalldatetime (MS-TDS 2.2.5.5).

// decimalValue reads a decimal's sign byte and little-endian magnitude; the
// handler gets the nearest float64 of the exact value.
func decimalValue(p []byte, scale int) (any, error) {
	if len(p) < 2 || scale > 38 {
		return nil, errors.New("a decimal value of an impossible length or scale")
	}
	mag := make([]byte, len(p)-1)
	for i, c := range p[1:] {
		mag[len(mag)-1-i] = c
	}
	n := new(big.Int).SetBytes(mag)
	if p[0] == 0 {
		n.Neg(n)
	}
	text := n.String()
	if scale > 0 {
		neg := n.Sign() < 0
		digits := new(big.Int).Abs(n).String()
		for len(digits) <= scale {
			digits = "0" + digits
		}
		text = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
		if neg {
			text = "-" + text
		}
	}
	return strconv.ParseFloat(text, 64)
}

// epoch1900 is day 0 of datetime and smalldatetime.
var epoch1900 = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// legacyValue reads a money or datetime value of 4 or 8 bytes: money as a
// float64 of units (the wire holds ten-thousandths), datetime as UTC time.
func legacyValue(typ byte, p []byte) (any, error) {
	le := binary.LittleEndian
	switch {
	case len(p) == 8 && (typ == typMoneyN || typ == typMoney):
		v := int64(uint64(le.Uint32(p))<<32 | uint64(le.Uint32(p[4:])))
		return float64(v) / 10000, nil
	case len(p) == 4 && (typ == typMoneyN || typ == typMoney4):
		return float64(int32(le.Uint32(p))) / 10000, nil
	case len(p) == 8 && (typ == typDateTimeN || typ == typDateTime):
		days, ticks := int32(le.Uint32(p)), le.Uint32(p[4:])
		// ticks are 1/300 s; rounded to the millisecond as SQL Server shows them.
		ms := (int64(ticks)*10 + 1) / 3
		return epoch1900.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond), nil
	case len(p) == 4 && (typ == typDateTimeN || typ == typDateTim4):
		days, mins := le.Uint16(p), le.Uint16(p[2:])
		return epoch1900.AddDate(0, 0, int(days)).Add(time.Duration(mins) * time.Minute), nil
	}
	return nil, fmt.Errorf("data type 0x%02X with a value of %d bytes", typ, len(p))
}

// encodeLegacyDateTime writes tm's wall clock as a datetime: days since 1900 and
// 1/300 s ticks since midnight.
func encodeLegacyDateTime(tm time.Time) []byte {
	y, m, d := tm.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	wall := time.Date(y, m, d, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC)
	days := int32(midnight.Sub(epoch1900).Hours() / 24)
	ticks := uint32(wall.Sub(midnight).Milliseconds() * 3 / 10)
	b := binary.LittleEndian.AppendUint32(nil, uint32(days))
	return binary.LittleEndian.AppendUint32(b, ticks)
}

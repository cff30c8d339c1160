package tds

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
)

// Token types and DONE status bits (MS-TDS 2.2.7).
const (
	tokReturnStatus = 0x79
	tokReturnValue  = 0xAC
	tokColMetadata  = 0x81
	tokError        = 0xAA
	tokInfo         = 0xAB
	tokLoginAck     = 0xAD
	tokRow          = 0xD1
	tokEnvChange    = 0xE3
	tokSSPI         = 0xED
	tokDone         = 0xFD
	tokDoneProc     = 0xFE
	tokDoneInProc   = 0xFF

	doneFinal = 0x00
	doneMore  = 0x01
	doneError = 0x02
	doneCount = 0x10
	doneAttn  = 0x20

	curCmdSelect = 0xC1

	envDatabase   = 1
	envLanguage   = 2
	envPacketSize = 4
	envCollation  = 7
	envBeginTran  = 8
	envCommit     = 9
	envRollback   = 10
)

// collation is Latin1_General_CI_AS, what SQL Server reports for nvarchar.
var collation = []byte{0x09, 0x04, 0xD0, 0x00, 0x34}

// tokens builds a reply's token stream in the layouts of the TDS version the
// login agreed (0 means the newest).
type tokens struct {
	bytes.Buffer
	tds uint32
}

// before72 reports whether the stream uses the TDS 7.0/7.1 layouts: 4-byte row
// counts in DONE, 2-byte user types and line numbers, no (max) types. TDS 8.0 (0x08000000) and 0
// use the newest layouts.
func (t *tokens) before72() bool {
	return t.tds != 0 && t.tds != tdsVersionStrict && t.tds < tdsVersion72
}

// before73 reports whether the stream predates the date and time types of TDS 7.3.
func (t *tokens) before73() bool {
	return t.tds != 0 && t.tds != tdsVersionStrict && t.tds < tdsVersion73
}

func (t *tokens) u8(v byte)    { t.WriteByte(v) }
func (t *tokens) u16(v uint16) { t.Write(binary.LittleEndian.AppendUint16(nil, v)) }
func (t *tokens) u32(v uint32) { t.Write(binary.LittleEndian.AppendUint32(nil, v)) }
func (t *tokens) u64(v uint64) { t.Write(binary.LittleEndian.AppendUint64(nil, v)) }

// bVarchar writes a string with a one-byte length in UTF-16 units.
func bVarchar(b []byte, s string) []byte {
	u := ucs2(s)
	if len(u) > 2*255 {
		u = u[:2*255]
	}
	b = append(b, byte(len(u)/2))
	return append(b, u...)
}

// usVarchar writes a string with a two-byte length in UTF-16 units.
func usVarchar(b []byte, s string) []byte {
	u := ucs2(s)
	if len(u) > 2*0xFFFE {
		u = u[:2*0xFFFE]
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(u)/2))
	return append(b, u...)
}

// withLen writes a token whose body is preceded by its two-byte length.
func (t *tokens) withLen(tok byte, body []byte) {
	t.u8(tok)
	t.u16(uint16(len(body)))
	t.Write(body)
}

func (t *tokens) envChangeString(typ byte, newV, oldV string) {
	b := bVarchar([]byte{typ}, newV)
	t.withLen(tokEnvChange, bVarchar(b, oldV))
}

func (t *tokens) envChangeBytes(typ byte, newV, oldV []byte) {
	b := []byte{typ, byte(len(newV))}
	b = append(b, newV...)
	b = append(b, byte(len(oldV)))
	t.withLen(tokEnvChange, append(b, oldV...))
}

// message writes an ERROR or INFO token.
func (t *tokens) message(tok byte, number int32, state, class byte, msg, server string) {
	b := binary.LittleEndian.AppendUint32(nil, uint32(number))
	b = append(b, state, class)
	b = usVarchar(b, msg)
	b = bVarchar(b, server)
	b = bVarchar(b, "") // procedure
	if t.before72() {
		b = binary.LittleEndian.AppendUint16(b, 1) // line number, 2 bytes before TDS 7.2
	} else {
		b = binary.LittleEndian.AppendUint32(b, 1)
	}
	t.withLen(tok, b)
}

func (t *tokens) loginAck(tdsVersion uint32, progVersion uint32) {
	b := []byte{1}
	b = binary.BigEndian.AppendUint32(b, tdsVersion)
	b = bVarchar(b, "Microsoft SQL Server")
	b = binary.BigEndian.AppendUint32(b, progVersion)
	t.withLen(tokLoginAck, b)
}

func (t *tokens) done(tok byte, status uint16, curCmd uint16, rows uint64) {
	t.u8(tok)
	t.u16(status)
	t.u16(curCmd)
	if t.before72() {
		t.u32(uint32(min(rows, math.MaxUint32)))
		return
	}
	t.u64(rows)
}

// userType writes a column's or return value's user type, 2 bytes before TDS 7.2.
func (t *tokens) userType() {
	if t.before72() {
		t.u16(0)
		return
	}
	t.u32(0)
}

// returnInt writes an int OUTPUT parameter's value, as sp_prepare returns a handle.
func (t *tokens) returnInt(ordinal uint16, name string, v int32) {
	t.u8(tokReturnValue)
	t.u16(ordinal)
	t.Write(bVarchar(nil, name))
	t.u8(0x01) // an output parameter
	t.userType()
	t.u16(0x0001) // nullable
	t.u8(typIntN)
	t.u8(4)
	t.u8(4)
	t.u32(uint32(v))
}

func (t *tokens) packetSize(n int) {
	t.envChangeString(envPacketSize, strconv.Itoa(n), strconv.Itoa(defaultPacketSize))
}

package tds

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

func TestWriteMessageSplitsAtPacketSize(t *testing.T) {
	cases := []struct {
		name    string
		payload int
		size    int
		packets int
	}{
		{"empty", 0, 4096, 1},
		{"one packet", 4088, 4096, 1},
		{"two packets", 4089, 4096, 2},
		{"small size", 2000, 512, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Repeat([]byte{0xAB}, tc.payload)
			var buf bytes.Buffer
			if err := writeMessage(&buf, pktReply, data, tc.size); err != nil {
				t.Fatal(err)
			}
			raw := buf.Bytes()
			n := 0
			for off := 0; off < len(raw); n++ {
				l := int(binary.BigEndian.Uint16(raw[off+2:]))
				if l > tc.size {
					t.Errorf("packet %d is %d bytes, over %d", n, l, tc.size)
				}
				off += l
			}
			if n != tc.packets {
				t.Errorf("%d packets, want %d", n, tc.packets)
			}
			m, err := readMessage(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if m.typ != pktReply || !bytes.Equal(m.data, data) {
				t.Errorf("read back type %#x, %d bytes", m.typ, len(m.data))
			}
		})
	}
}

// mangle is the client side of the LOGIN7 password obfuscation.
func mangle(p []byte) []byte {
	out := make([]byte, len(p))
	for i, c := range p {
		out[i] = (c<<4 | c>>4) ^ 0xA5
	}
	return out
}

// buildLogin7 lays out a LOGIN7 the way clients do, for tests and the fuzz seed.
func buildLogin7(user, password, db string, sspi []byte) []byte {
	fields := [][]byte{ucs2("host"), ucs2(user), mangle(ucs2(password)), ucs2("ssisha"), ucs2("node1"), nil, ucs2("go-mssqldb"), nil, ucs2(db)}
	at := []int{36, 40, 44, 48, 52, 56, 60, 64, 68}
	b := make([]byte, login7HeaderLen)
	binary.LittleEndian.PutUint32(b[4:], tdsVersionDefault74)
	binary.LittleEndian.PutUint32(b[8:], 8192)
	b[26] = flagReadOnlyIntent
	for i, f := range fields {
		binary.LittleEndian.PutUint16(b[at[i]:], uint16(len(b)))
		binary.LittleEndian.PutUint16(b[at[i]+2:], uint16(len(f)/2))
		b = append(b, f...)
	}
	if len(sspi) > 0 {
		b[25] |= flagIntegrated
		binary.LittleEndian.PutUint16(b[78:], uint16(len(b)))
		binary.LittleEndian.PutUint16(b[80:], uint16(len(sspi)))
		b = append(b, sspi...)
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

func TestParseLogin7(t *testing.T) {
	l, err := parseLogin7(buildLogin7("sa", "p@ss'wörd", "SSISDB", nil))
	if err != nil {
		t.Fatal(err)
	}
	if l.UserName != "sa" || l.Password != "p@ss'wörd" || l.Database != "SSISDB" || !l.ReadOnly || l.Integrated || l.PacketSize != 8192 {
		t.Errorf("login = %+v", l)
	}
	l, err = parseLogin7(buildLogin7("", "", "", []byte("NTLMSSP\x00\x01\x00\x00\x00")))
	if err != nil {
		t.Fatal(err)
	}
	if !l.Integrated || len(l.SSPI) != 12 {
		t.Errorf("integrated login = %+v", l)
	}
	if _, err := parseLogin7(make([]byte, 10)); err == nil {
		t.Error("short LOGIN7 parsed")
	}
}

// buildRPC lays out an sp_executesql call with one nvarchar parameter @a.
func buildRPC(stmt, a string) []byte {
	b := []byte{22, 0, 0, 0, 18, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0} // ALL_HEADERS
	b = append(b, 0xFF, 0xFF, procExecuteSQL, 0, 0, 0)
	param := func(name, v string) {
		b = bVarchar(b, name)
		b = append(b, 0, typNVarChar, 0xFF, 0xFF)
		b = append(b, collation...)
		u := ucs2(v)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(u)))
		if len(u) > 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(u)))
			b = append(b, u...)
		}
		b = binary.LittleEndian.AppendUint32(b, 0)
	}
	param("", stmt)
	param("@params", "@a nvarchar(max)")
	param("@a", a)
	b = bVarchar(b, "@n")
	b = append(b, 0, typIntN, 8, 8)
	b = binary.LittleEndian.AppendUint64(b, 42)
	b = bVarchar(b, "@z")
	b = append(b, 0, typNull)
	return b
}

func TestParseRPC(t *testing.T) {
	req, err := parseRPC(buildRPC("SELECT @a", ""), true)
	if err != nil {
		t.Fatal(err)
	}
	if !req.RPC || req.Text != "SELECT @a" || req.Params["a"] != "" || req.Params["n"] != int64(42) {
		t.Errorf("request = %+v", req)
	}
	if v, ok := req.Params["z"]; !ok || v != nil {
		t.Errorf("z = %v, %v; want a NULL", v, ok)
	}
}

func TestInferColumns(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 4001))
	cases := []struct {
		name string
		rows [][]any
		want colType
	}{
		{"short text", [][]any{{"a"}}, colNVarchar},
		{"long text", [][]any{{"a"}, {long}}, colNVarcharMax},
		{"int", [][]any{{1}, {int64(2)}}, colBigInt},
		{"bool", [][]any{{true}}, colBit},
		{"bytes", [][]any{{[]byte{1}}}, colVarbinaryMax},
		{"float", [][]any{{1.5}}, colFloat},
		{"utc time", [][]any{{time.Now().UTC()}}, colDateTime2},
		{"zoned time", [][]any{{time.Now().In(time.FixedZone("x", 3600))}}, colDateTimeOffset},
		{"all nil", [][]any{{nil}}, colNVarchar},
		{"mixed", [][]any{{1}, {"a"}}, colNVarcharMax},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := inferColumns(&script.ResultSet{Columns: []string{"c"}, Rows: tc.rows})
			if got[0] != tc.want {
				t.Errorf("type = %d, want %d", got[0], tc.want)
			}
		})
	}
}

func TestDateTimeRoundTrip(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999900, time.UTC),
		time.Date(2026, 11, 25, 13, 14, 15, 123456700, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		got, err := decodeDateTime(encodeDateTime(tm), 7)
		if err != nil || !got.Equal(tm) {
			t.Errorf("%v came back as %v (%v)", tm, got, err)
		}
	}
}

func TestParseVersion(t *testing.T) {
	pre, ack := parseVersion("15.0.4345.5")
	if pre != [6]byte{15, 0, 0x10, 0xF9, 0, 5} || ack != 0x0F0010F9 {
		t.Errorf("prelogin %v, loginack %#x", pre, ack)
	}
}

package tds

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// rawClient speaks TDS the way an older or simpler driver does, to check what
// the server puts on the wire.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	// allHeaders says whether requests carry ALL_HEADERS (TDS 7.2 and later).
	allHeaders bool
}

// handled records what the handler was asked.
type handled struct {
	mu   sync.Mutex
	reqs []Request
}

func (h *handled) last() Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) == 0 {
		return Request{}
	}
	return h.reqs[len(h.reqs)-1]
}

// startRaw starts a server without TLS whose handler answers one row, and logs a
// raw client in with the given LOGIN7 TDS version; it returns the client and the
// login reply.
func startRaw(t *testing.T, version uint32) (*rawClient, []byte, *handled) {
	t.Helper()
	h := &handled{}
	c := dialServer(t, Options{ServerName: "NODE1", Handler: func(_ context.Context, _ *Session, req Request) (*script.ResultSet, error) {
		h.mu.Lock()
		h.reqs = append(h.reqs, req)
		h.mu.Unlock()
		return &script.ResultSet{Columns: []string{"text", "big", "when"}, Rows: [][]any{{strings.Repeat("x", 5000), []byte{1}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}}, nil
	}})
	c.allHeaders = version >= tdsVersion72
	login := buildLogin7("sa", "pw", "", nil)
	binary.LittleEndian.PutUint32(login[4:], version)
	c.send(pktLogin7, login)
	return c, c.read(), h
}

// dialServer starts a server without TLS and connects a raw client that has
// sent PRELOGIN.
func dialServer(t *testing.T, opts Options) *rawClient {
	t.Helper()
	srv := NewServer(opts)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	c := &rawClient{t: t, nc: nc, allHeaders: true}
	c.send(pktPrelogin, buildPrelogin([6]byte{}, encryptNotSup))
	c.read()
	return c
}

func (c *rawClient) send(typ byte, data []byte) {
	c.t.Helper()
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := writeMessage(c.nc, typ, data, defaultPacketSize); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) read() []byte {
	c.t.Helper()
	m, err := readMessage(c.nc)
	if err != nil {
		c.t.Fatalf("the server ended the session: %v", err)
	}
	return m.data
}

// headers is an ALL_HEADERS block with a transaction descriptor, when the
// client's version has one.
func (c *rawClient) headers() []byte {
	if !c.allHeaders {
		return nil
	}
	return []byte{22, 0, 0, 0, 18, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}
}

func (c *rawClient) batch(text string) []byte {
	c.send(pktSQLBatch, append(c.headers(), ucs2(text)...))
	return c.read()
}

// rpc calls a well-known procedure with parameters laid out by params.
func (c *rawClient) rpc(proc uint16, params []byte) []byte {
	b := append(c.headers(), 0xFF, 0xFF, byte(proc), byte(proc>>8), 0, 0)
	c.send(pktRPC, append(b, params...))
	return c.read()
}

// nvarcharParam and intParam lay out RPC parameters.
func nvarcharParam(name, v string) []byte {
	b := bVarchar(nil, name)
	b = append(b, 0, typNVarChar, 0x40, 0x1F)
	b = append(b, collation...)
	u := ucs2(v)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(u)))
	return append(b, u...)
}

func intParam(name string, output bool, v *int32) []byte {
	b := bVarchar(nil, name)
	status := byte(0)
	if output {
		status = 1
	}
	b = append(b, status, typIntN, 4)
	if v == nil {
		return append(b, 0)
	}
	return binary.LittleEndian.AppendUint32(append(b, 4), uint32(*v))
}

// hasError reports whether reply starts with an ERROR token of number.
func hasError(reply []byte, number int32) bool {
	return len(reply) > 7 && reply[0] == tokError && int32(binary.LittleEndian.Uint32(reply[3:])) == number
}

func TestLoginCarriesCollationAndLanguage(t *testing.T) {
	_, reply, _ := startRaw(t, tdsVersionDefault74)
	collationChange := append([]byte{envCollation, byte(len(collation))}, collation...)
	if !bytes.Contains(reply, collationChange) {
		t.Error("the login reply has no collation ENVCHANGE; tedious refuses varchar parameters without it")
	}
	if !bytes.Contains(reply, append([]byte{envLanguage, 10}, ucs2("us_english")...)) {
		t.Error("the login reply has no language ENVCHANGE")
	}
}

func TestHarmlessBatchesAreAnswered(t *testing.T) {
	c, _, h := startRaw(t, tdsVersionDefault74)
	reply := c.batch("set textsize 2147483647\nset quoted_identifier on\r\nSET TRANSACTION ISOLATION LEVEL READ COMMITTED;\nset language us_english")
	if reply[0] != tokDone || binary.LittleEndian.Uint16(reply[1:])&doneError != 0 {
		t.Errorf("SET-only batch answered % x, want a plain DONE", reply)
	}
	reply = c.batch("SELECT 1")
	if reply[0] != tokColMetadata || !bytes.Contains(reply, []byte{tokRow, 4, 1, 0, 0, 0}) {
		t.Errorf("SELECT 1 answered % x, want one int row of 1", reply)
	}
	if got := h.last().Text; got != "" {
		t.Errorf("the handler saw %q; harmless batches are the server's", got)
	}
	c.batch("SET NOCOUNT ON; DROP TABLE t")
	if got := h.last().Text; got != "SET NOCOUNT ON; DROP TABLE t" {
		t.Errorf("a script with SET in it went to the handler as %q, want all of it", got)
	}
}

func TestUnreadableParameterKeepsTheSession(t *testing.T) {
	c, _, _ := startRaw(t, tdsVersionDefault74)
	params := nvarcharParam("", "SELECT @x")
	params = append(params, nvarcharParam("@params", "@x sql_variant")...)
	params = append(params, bVarchar(nil, "@x")...)
	params = append(params, 0, 0x62, 0, 0, 0, 0) // sql_variant: not read by the lab
	reply := c.rpc(procExecuteSQL, params)
	if !hasError(reply, 8016) {
		t.Errorf("unreadable parameter answered % x, want error 8016", reply)
	}
	if reply := c.batch("SELECT 1"); reply[0] != tokColMetadata {
		t.Errorf("after the error the session answered % x", reply)
	}
	if reply := c.rpc(99, nil); !hasError(reply, 2812) {
		t.Errorf("an unknown procedure ID answered % x, want error 2812", reply)
	}
}

func TestPrepareAndExecute(t *testing.T) {
	c, _, h := startRaw(t, tdsVersionDefault74)
	params := intParam("@handle", true, nil)
	params = append(params, nvarcharParam("@params", "@P1 nvarchar(10)")...)
	params = append(params, nvarcharParam("@stmt", "SELECT @P1")...)
	params = append(params, nvarcharParam("@P1", "a")...)
	reply := c.rpc(procPrepExec, params)
	at := bytes.IndexByte(reply, tokReturnValue)
	if at < 0 || !bytes.Contains(reply, []byte{tokRow}) {
		t.Fatalf("sp_prepexec answered % x, want rows and the handle", reply)
	}
	if r := h.last(); r.Text != "SELECT @P1" || r.Params["P1"] != "a" {
		t.Errorf("sp_prepexec reached the handler as %+v", r)
	}
	handle := int32(binary.LittleEndian.Uint32(reply[len(reply)-13-4:]))
	params = intParam("@handle", false, &handle)
	params = append(params, nvarcharParam("@P1", "b")...)
	if reply := c.rpc(procExecute, params); !bytes.Contains(reply, []byte{tokRow}) {
		t.Fatalf("sp_execute answered % x", reply)
	}
	if r := h.last(); r.Text != "SELECT @P1" || r.Params["P1"] != "b" {
		t.Errorf("sp_execute reached the handler as %+v", r)
	}
	if reply := c.rpc(procUnprepare, intParam("@handle", false, &handle)); reply[0] == tokError {
		t.Errorf("sp_unprepare answered % x", reply)
	}
	if reply := c.rpc(procExecute, intParam("@handle", false, &handle)); !hasError(reply, 8179) {
		t.Errorf("sp_execute of an unprepared handle answered % x, want error 8179", reply)
	}
	params = intParam("@handle", true, nil)
	params = append(params, nvarcharParam("@params", "")...)
	params = append(params, nvarcharParam("@stmt", "SELECT 2")...)
	if reply := c.rpc(procPrepare, params); !bytes.Contains(reply, []byte{tokReturnValue, 0, 0, 7}) {
		t.Errorf("sp_prepare answered % x, want the @handle return value", reply)
	}
}

func TestTDS71LoginGetsItsOwnLayouts(t *testing.T) {
	c, reply, h := startRaw(t, 0x71000001)
	if !bytes.Contains(reply, []byte{tokLoginAck}) || !bytes.Contains(reply, []byte{0x71, 0, 0, 1}) {
		t.Fatalf("a TDS 7.1 login was answered % x, want LOGINACK 7.1", reply)
	}
	// INFO's line number is 2 bytes before 7.2: the token's length says so.
	info := bytes.IndexByte(reply, tokInfo)
	if info < 0 || int(binary.LittleEndian.Uint16(reply[info+1:])) != 4+1+1+2+2*len("Changed database context to 'master'.")+1+2*len("NODE1")+1+2 {
		t.Errorf("7.1 INFO token is not in the 7.1 layout: % x", reply[max(info, 0):])
	}
	reply = c.batch("SELECT big_things")
	if h.last().Text != "SELECT big_things" {
		t.Fatalf("a batch without ALL_HEADERS reached the handler as %q", h.last().Text)
	}
	for _, typ := range []byte{typNText, typImage, typDateTimeN} {
		if !bytes.Contains(reply, []byte{typ}) {
			t.Errorf("7.1 result metadata has no type %#x (down-converted)", typ)
		}
	}
	if bytes.Contains(reply, []byte{typDateTime2N, 7}) {
		t.Error("7.1 result carries datetime2, which 7.1 clients cannot read")
	}
	// DONE's row count is 4 bytes before 7.2: the reply ends DONE(1) status(2) cmd(2) count(4).
	if n := len(reply); reply[n-9] != tokDone || binary.LittleEndian.Uint32(reply[n-4:]) != 1 {
		t.Errorf("7.1 DONE is % x, want a 4-byte row count of 1", reply[n-13:])
	}
}

func TestAgreedVersion(t *testing.T) {
	cases := map[uint32]uint32{
		0x75000000: tdsVersionDefault74, tdsVersionDefault74: tdsVersionDefault74, tdsVersionStrict: tdsVersionDefault74,
		0x730B0003: 0x730B0003, tdsVersion73: tdsVersion73, tdsVersion72: tdsVersion72,
		0x71000001: 0x71000001, 0x71000000: 0x07010000, 0x70000000: 0x07000000,
	}
	for in, want := range cases {
		if got := agreedVersion(in); got != want {
			t.Errorf("agreedVersion(%#x) = %#x, want %#x", in, got, want)
		}
	}
}

func TestLegacyParameterTypes(t *testing.T) {
	le := binary.LittleEndian
	money := make([]byte, 8)
	le.PutUint32(money, 0)
	le.PutUint32(money[4:], 1234567)   // 123.4567
	dt := le.AppendUint32(nil, 46022)  // 2026-01-02
	dt = le.AppendUint32(dt, 300*3600) // 01:00:00
	cases := []struct {
		name string
		wire []byte
		want any
	}{
		{"decimal", []byte{typDecimalN, 17, 10, 2, 5, 1, 0x39, 0x30, 0, 0}, 123.45},
		{"negative numeric", []byte{typNumericN, 17, 10, 3, 5, 0, 0x39, 0x30, 0, 0}, -12.345},
		{"money", append([]byte{typMoneyN, 8, 8}, money...), 123.4567},
		{"smallmoney", []byte{typMoney4, 0x10, 0x27, 0, 0}, 1.0},
		{"datetime", append([]byte{typDateTimeN, 8, 8}, dt...), time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC)},
		{"smalldatetime", []byte{typDateTim4, 0xC6, 0xB3, 60, 0}, time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC)},
		{"time", []byte{typTimeN, 0, 3, 0x10, 0x0E, 0}, time.Date(1, 1, 1, 1, 0, 0, 0, time.UTC)},
		{"ntext", append([]byte{typNText, 0xFE, 0xFF, 0xFF, 0x7F, 9, 4, 0xD0, 0, 0x34, 4, 0, 0, 0}, ucs2("ab")...), "ab"},
		{"image", []byte{typImage, 0xFF, 0xFF, 0xFF, 0x7F, 2, 0, 0, 0, 1, 2}, []byte{1, 2}},
		{"null image", []byte{typImage, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readValue(&reader{b: tc.wire})
			if err != nil {
				t.Fatal(err)
			}
			switch w := tc.want.(type) {
			case time.Time:
				if g, ok := got.(time.Time); !ok || !g.Equal(w) {
					t.Errorf("got %v, want %v", got, w)
				}
			case []byte:
				if g, ok := got.([]byte); !ok || !bytes.Equal(g, w) {
					t.Errorf("got %v, want %v", got, w)
				}
			default:
				if got != tc.want {
					t.Errorf("got %v (%T), want %v", got, got, tc.want)
				}
			}
		})
	}
}

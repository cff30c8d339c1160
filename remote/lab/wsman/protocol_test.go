package wsman

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/go-ntlmssp"
	gasn1 "github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

// startPlain starts a server over plain HTTP and returns its /wsman URL.
func startPlain(t *testing.T, opts Options) string {
	t.Helper()
	s := NewServer(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return "http://" + s.Addr() + "/wsman"
}

func post(t *testing.T, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const identify = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="` + nsIdentity +
	`"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`

func TestIdentify(t *testing.T) {
	url := startPlain(t, Options{Host: "node1.lab.test", Domain: "LAB", PasswordFor: passwords})
	status, body := post(t, url, identify, map[string]string{"WSMANIDENTIFY": "unauthenticated"})
	if status != http.StatusOK || !strings.Contains(body, "<wsmid:IdentifyResponse") || !strings.Contains(body, "OS: 0.0.0") {
		t.Errorf("unauthenticated Identify: %d %s", status, body)
	}
	if status, _ := post(t, url, identify, nil); status != http.StatusUnauthorized {
		t.Errorf("Identify without the unauthenticated header or credentials: %d, want 401", status)
	}
	status, body = post(t, url, identify, map[string]string{"Authorization": "Basic " + basic(`NODE1\alice`, "Right-1")})
	if status != http.StatusOK || !strings.Contains(body, "OS: 10.0") {
		t.Errorf("authenticated Identify: %d %s", status, body)
	}
}

// TestBasicOnlyForLocalAccounts checks WinRM's rule: Basic authenticates the
// node's local accounts (named NODE1\user, .\user or user alone) and refuses a
// domain account with 401 even with the right password; a server that has Basic
// off does not offer it.
func TestBasicOnlyForLocalAccounts(t *testing.T) {
	url := startPlain(t, Options{Host: "node1.lab.test", Domain: "LAB", PasswordFor: passwords})
	for _, tt := range []struct {
		user string
		want int
	}{
		{`NODE1\alice`, http.StatusOK},
		{`node1\alice`, http.StatusOK},
		{`.\alice`, http.StatusOK},
		{`alice`, http.StatusOK},
		{`LAB\alice`, http.StatusUnauthorized},
		{`alice@lab.test`, http.StatusUnauthorized},
		{`NODE2\alice`, http.StatusUnauthorized},
	} {
		if status, body := post(t, url, identify, map[string]string{"Authorization": "Basic " + basic(tt.user, "Right-1")}); status != tt.want {
			t.Errorf("Basic as %s: %d, want %d\n%s", tt.user, status, tt.want, body)
		}
	}
	if status, _ := post(t, url, identify, map[string]string{"Authorization": "Basic " + basic(`NODE1\alice`, "wrong")}); status != http.StatusUnauthorized {
		t.Errorf("Basic with a wrong password: %d, want 401", status)
	}
	off := startPlain(t, Options{Host: "node1.lab.test", Domain: "LAB", PasswordFor: passwords, DisableBasic: true})
	req, err := http.NewRequest(http.MethodPost, off, strings.NewReader(identify))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Basic "+basic(`NODE1\alice`, "Right-1"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || slices.ContainsFunc(resp.Header.Values("WWW-Authenticate"), func(v string) bool { return strings.HasPrefix(v, "Basic") }) {
		t.Errorf("Basic on a server with Basic off: %d offering %q", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
}

func TestClientFaultsAreSenderFaults(t *testing.T) {
	url := startPlain(t, Options{Host: "node1.lab.test", Domain: "LAB", PasswordFor: passwords})
	auth := map[string]string{"Authorization": "Basic " + basic(`NODE1\alice`, "Right-1")}
	receive := `<s:Envelope xmlns:s="` + nsEnvelope + `" xmlns:a="` + nsAddressing + `" xmlns:w="` + nsWSMan + `" xmlns:rsp="` + nsShell +
		`"><s:Header><a:Action>` + nsShell + `/Receive</a:Action><a:MessageID>uuid:1</a:MessageID><w:SelectorSet><w:Selector Name="ShellId">NOPE</w:Selector></w:SelectorSet></s:Header>` +
		`<s:Body><rsp:Receive><rsp:DesiredStream CommandId="X">stdout stderr</rsp:DesiredStream></rsp:Receive></s:Body></s:Envelope>`
	status, body := post(t, url, receive, auth)
	if status != http.StatusInternalServerError || !strings.Contains(body, "<s:Value>s:Sender</s:Value>") || !strings.Contains(body, "w:InvalidSelectors") {
		t.Errorf("Receive on an unknown shell: %d %s, want an s:Sender w:InvalidSelectors fault", status, body)
	}
	if !strings.Contains(string(faultEnvelope(faultTimedOut, "", "n")), "s:Receiver") {
		t.Error("w:TimedOut is not an s:Receiver fault")
	}
}

// TestReceiveHonoursOperationTimeout runs a command that never ends; Receive must
// answer w:TimedOut after the client's short OperationTimeout, not hang for the
// server's default.
func TestReceiveHonoursOperationTimeout(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	s := NewServer(Options{Host: "node1", Domain: "LAB", PasswordFor: passwords, Handler: func(ctx context.Context, _ string, _ Command) Result {
		select {
		case <-ctx.Done():
		case <-block:
		}
		return Result{}
	}})
	t.Cleanup(func() { _ = s.Close() })
	id, f := s.createShell(`LAB\alice`)
	if f != nil {
		t.Fatal(f.Reason)
	}
	cmd := &request{}
	cmd.Header.SelectorSet.Selectors = []selector{{Name: "ShellId", Value: id}}
	cmd.Body.CommandLine = &struct {
		Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
		Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
	}{Command: "hang"}
	_, out := s.dispatch(context.Background(), `LAB\alice`, "Command", cmd)
	cid := between(string(out), "<rsp:CommandId>", "</rsp:CommandId>")
	if cid == "" {
		t.Fatalf("Command answered %s", out)
	}
	recv := &request{}
	recv.Header.SelectorSet.Selectors = cmd.Header.SelectorSet.Selectors
	recv.Header.OperationTimeout = "PT0.050S"
	recv.Body.Receive = &struct {
		DesiredStream struct {
			CommandID string `xml:"CommandId,attr"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
	}{}
	recv.Body.Receive.DesiredStream.CommandID = cid
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, out := s.dispatch(ctx, `LAB\alice`, "Receive", recv)
	if status != http.StatusInternalServerError || !strings.Contains(string(out), "w:TimedOut") {
		t.Errorf("Receive with OperationTimeout PT0.050S answered %d %s, want w:TimedOut", status, out)
	}
}

func TestOperationTimeout(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT60.000S", time.Minute, true},
		{"PT20S", 20 * time.Second, true},
		{"PT1M30S", 90 * time.Second, true},
		{"PT1H", time.Hour, true},
		{"", 0, false},
		{"60", 0, false},
		{"PTS", 0, false},
		{"PT0S", 0, false},
	}
	for _, tc := range cases {
		got, ok := operationTimeout(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("operationTimeout(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLMv2Accepted sends the AUTHENTICATE of MS-NLMP 4.2.4 with only its LMv2
// response checkable, as clients that send LMv2 beside an NT response the server
// cannot check do; MS-NLMP 3.2.5.1.2 accepts a match on either.
func TestLMv2Accepted(t *testing.T) {
	s := NewServer(Options{Domain: "Domain", PasswordFor: func(u string) (string, bool) { return "Password", u == `DOMAIN\User` }})
	challenge, _ := hex.DecodeString("0123456789abcdef")
	lm, _ := hex.DecodeString("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
	msg := authenticateMessage("Domain", "User", lm, make([]byte, 24))
	if user, err := s.verifyAuthenticate(msg, challenge); err != nil || user != `DOMAIN\User` {
		t.Errorf("LMv2 AUTHENTICATE: user %q, error %v", user, err)
	}
	lm[0] ^= 1
	if _, err := s.verifyAuthenticate(authenticateMessage("Domain", "User", lm, make([]byte, 24)), challenge); err == nil {
		t.Error("a wrong LMv2 response is accepted")
	}
}

// authenticateMessage lays out an NTLM AUTHENTICATE with the given responses.
func authenticateMessage(domain, user string, lm, nt []byte) []byte {
	fields := [][]byte{lm, nt, ntlmv2.UTF16LE(domain), ntlmv2.UTF16LE(user), nil, nil}
	m := make([]byte, 64)
	copy(m, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(m[8:], ntlmv2.Authenticate)
	for i, f := range fields {
		at := 12 + 8*i
		binary.LittleEndian.PutUint16(m[at:], uint16(len(f)))
		binary.LittleEndian.PutUint16(m[at+2:], uint16(len(f)))
		binary.LittleEndian.PutUint32(m[at+4:], uint32(len(m)))
		m = append(m, f...)
	}
	return m
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// TestNegotiateSPNEGO authenticates as a GSSAPI client does: NTLM wrapped in
// SPNEGO tokens on the Negotiate scheme (RFC 4559), on one connection.
func TestNegotiateSPNEGO(t *testing.T) {
	url := startPlain(t, Options{Host: "node1.lab.test", Domain: "LAB", PasswordFor: passwords})
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	send := func(token []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(identify))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(token))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp
	}
	negotiate, err := ntlmssp.NewNegotiateMessage("LAB", "")
	if err != nil {
		t.Fatal(err)
	}
	init := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes: []gasn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}}, MechTokenBytes: negotiate}}
	initBytes, err := init.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	resp := send(initBytes)
	scheme, b64, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), " ")
	raw, _ := base64.StdEncoding.DecodeString(b64)
	var challenge spnego.SPNEGOToken
	if resp.StatusCode != http.StatusUnauthorized || scheme != "Negotiate" || challenge.Unmarshal(raw) != nil || !challenge.Resp {
		t.Fatalf("answer to a SPNEGO NegTokenInit: %d %q, want 401 with a NegTokenResp", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	auth, err := ntlmssp.NewAuthenticateMessage(challenge.NegTokenResp.ResponseToken, `LAB\alice`, "Right-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	next := spnego.SPNEGOToken{Resp: true, NegTokenResp: spnego.NegTokenResp{NegState: 1, ResponseToken: auth}}
	nextBytes, err := next.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if resp := send(nextBytes); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate ") {
		t.Fatalf("SPNEGO AUTHENTICATE: %d %q, want 200 with the final NegTokenResp", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

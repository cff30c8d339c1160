package wsman

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/Azure/go-ntlmssp"
	mz "github.com/masterzen/winrm"
)

// passwords knows alice, in the domain LAB and as a local account of NODE1.
func passwords(u string) (string, bool) { return "Right-1", u == `LAB\alice` || u == `NODE1\alice` }

func TestNTLMVerification(t *testing.T) {
	s := NewServer(Options{Domain: "LAB", PasswordFor: passwords})
	for _, tt := range []struct {
		user, pass string
		want       string // "" when refused
	}{
		{`LAB\alice`, "Right-1", `LAB\alice`},
		{`lab\alice`, "Right-1", `LAB\alice`},
		{`LAB\alice`, "wrong", ""},
		{`LAB\bob`, "Right-1", ""},
	} {
		challenge := []byte("12345678")
		auth, err := ntlmssp.NewAuthenticateMessage(s.challengeMessage(challenge), tt.user, tt.pass, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.verifyAuthenticate(auth, challenge)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("%s/%s: user %q, error %v; want %q", tt.user, tt.pass, got, err, tt.want)
		}
		if _, err := s.verifyAuthenticate(auth, []byte("87654321")); err == nil {
			t.Errorf("%s: accepted against another challenge", tt.user)
		}
	}
}

func TestShellQuota(t *testing.T) {
	s := NewServer(Options{})
	for i := range MaxShellsPerUser {
		if _, f := s.createShell(`LAB\alice`); f != nil {
			t.Fatalf("shell %d refused: %s", i+1, f.Reason)
		}
	}
	if _, f := s.createShell(`LAB\alice`); f == nil || f.Subcode != "w:QuotaLimit" {
		t.Fatalf("shell %d: fault %v, want w:QuotaLimit", MaxShellsPerUser+1, f)
	}
	if _, f := s.createShell(`LAB\bob`); f != nil {
		t.Fatal("another user's shell was refused")
	}
}

func encoded(script string) string {
	return mz.Powershell(script)
}

// gzipEncoded is a gzip bootstrap, in the shape clients send, carrying payload.
func gzipEncoded(payload string) string {
	return encoded(GzipMarker + "\n. ([scriptblock]::Create((New-Object IO.StreamReader -ArgumentList (New-Object IO.Compression.GZipStream -ArgumentList (New-Object IO.MemoryStream -ArgumentList (,[Convert]::FromBase64String('" +
		payload + "'))), ([IO.Compression.CompressionMode]::Decompress)), ([Text.Encoding]::UTF8)).ReadToEnd()))\n")
}

// gzipped returns text gzip-compressed in base64, with extra appended to the
// compressed bytes.
func gzipped(t testing.TB, text string, extra ...byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(append(buf.Bytes(), extra...))
}

func TestParseGzipBootstrap(t *testing.T) {
	script := "# ssisha-op: big\n$ErrorActionPreference = 'Stop'\n'ünïcödé {}'\n"
	if got := parseCommandLine(gzipEncoded(gzipped(t, script))); got != (parsedLine{kind: kindPS, script: script}) {
		t.Fatalf("well-formed bootstrap: %+v", got)
	}
	good := gzipped(t, script)
	raw, _ := base64.StdEncoding.DecodeString(good)
	for name, line := range map[string]string{
		"not base64":      gzipEncoded("!!!!"),
		"not gzip":        gzipEncoded(base64.StdEncoding.EncodeToString([]byte(script))),
		"truncated":       gzipEncoded(base64.StdEncoding.EncodeToString(raw[:len(raw)-6])),
		"trailing bytes":  gzipEncoded(gzipped(t, script, 0x1f, 0x8b)),
		"not UTF-8":       gzipEncoded(gzipped(t, "\xff\xfe'{}'")),
		"no payload":      encoded(GzipMarker + "\n'{}'"),
		"two payloads":    encoded(GzipMarker + "\n[Convert]::FromBase64String('" + good + "'); [Convert]::FromBase64String('" + good + "')"),
		"expands too far": gzipEncoded(gzipped(t, strings.Repeat(" ", maxGzipScript+1))),
	} {
		if got := parseCommandLine(line); got.kind != kindBad || got.err == "" || got.script != "" {
			t.Errorf("%s: %+v, want kindBad with a reason", name, got)
		}
	}
}

func TestParseCommandLine(t *testing.T) {
	tests := []struct {
		line string
		want parsedLine
	}{
		{encoded("# ssisha-op: probe\n'{}'"), parsedLine{kind: kindPS, script: "# ssisha-op: probe\n'{}'"}},
		{`echo QUJD >> "%TEMP%\ssisha-1.b64"`, parsedLine{kind: kindAppend, data: "QUJD", path: `%TEMP%\ssisha-1.b64`}},
		{`powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "%TEMP%\ssisha-1.ps1"`, parsedLine{kind: kindFile, path: `%TEMP%\ssisha-1.ps1`}},
		{`del /q "%TEMP%\ssisha-1.ps1"`, parsedLine{kind: kindDelete, path: `%TEMP%\ssisha-1.ps1`}},
		{encoded(RestoreMarker + "\n$src = Join-Path $env:TEMP 'ssisha-1.b64'\n$dst = Join-Path $env:TEMP 'ssisha-1.ps1'\n"),
			parsedLine{kind: kindRestore, path: `%TEMP%\ssisha-1.b64`, dest: `%TEMP%\ssisha-1.ps1`}},
		{"ipconfig /all", parsedLine{kind: kindOther}},
		{"powershell.exe -EncodedCommand !!!", parsedLine{kind: kindOther}},
		{encoded("# ssisha-op: big\n" + StdinMarker + "\n. ([scriptblock]::Create((x [Convert]::" + stdinSource + ")))"), parsedLine{kind: kindStdin}},
		{encoded(StdinMarker + "\n. ([scriptblock]::Create([Convert]::FromBase64String('QUJD')))"),
			parsedLine{kind: kindBad, err: StdinMarker + " bootstrap does not unpack exactly the first line of its stdin"}},
	}
	for _, tt := range tests {
		if got := parseCommandLine(tt.line); got != tt.want {
			t.Errorf("parseCommandLine(%.40q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// TestReadStdinScript: a stdin bootstrap's script is the first line of stdin, as
// ReadLine gives it (CR LF or LF ends it), and the script's own stdin is the rest.
func TestReadStdinScript(t *testing.T) {
	const script = "# ssisha-op: big\n'{}'\n"
	for _, eol := range []string{"\r\n", "\n"} {
		got, rest, err := readStdinScript(strings.NewReader(gzipped(t, script) + eol + `{"secret":"x"}`))
		if err != nil || got != script {
			t.Fatalf("script %q, %v", got, err)
		}
		if in, _ := io.ReadAll(rest); string(in) != `{"secret":"x"}` {
			t.Fatalf("the rest of stdin is %q", in)
		}
	}
	if _, _, err := readStdinScript(strings.NewReader("not base64!\r\n")); err == nil {
		t.Fatal("a first line that is no payload was accepted")
	}
}

func FuzzParseCommandLine(f *testing.F) {
	f.Add(encoded("# ssisha-op: x\n"))
	f.Add(`echo QUJD >> "%TEMP%\a.b64"`)
	f.Add(`powershell -File "x"`)
	f.Add("powershell.exe -enc QQA=")
	f.Add(gzipEncoded(gzipped(f, "# ssisha-op: x\n")))
	f.Fuzz(func(t *testing.T, line string) {
		p := parseCommandLine(line)
		// Whatever is recognised names a file that the line itself names.
		if p.path != "" && !strings.Contains(line, strings.TrimPrefix(p.path, `%TEMP%\`)) {
			t.Fatalf("%q yielded path %q", line, p.path)
		}
	})
}

// TestOverMasterzen drives the server with the stock masterzen client over Basic
// (with a local account) and HTTP: output, exit codes, stdin, and the too-long fault.
func TestOverMasterzen(t *testing.T) {
	s := NewServer(Options{Host: "node1.lab.test", Domain: "LAB", PasswordFor: passwords, PollTimeout: 50 * time.Millisecond,
		Handler: func(ctx context.Context, user string, cmd Command) Result {
			switch {
			case cmd.Script != "":
				return Result{Stdout: []byte(user + ":" + cmd.Script)}
			case cmd.CommandLine == "upper":
				var b bytes.Buffer
				_, _ = b.ReadFrom(cmd.Stdin)
				return Result{Stdout: bytes.ToUpper(b.Bytes())}
			}
			return Result{Stderr: CLIXMLError("nope"), ExitCode: 7}
		}})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host, port := splitAddr(t, s.Addr())
	c, err := mz.NewClientWithParameters(mz.NewEndpoint(host, port, false, false, nil, nil, nil, 5*time.Second), `NODE1\alice`, "Right-1", mz.NewParameters("PT5S", "en-US", 153600))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out, _, code, err := c.RunPSWithContext(ctx, "hello")
	if err != nil || code != 0 || out != `NODE1\alice:hello` {
		t.Fatalf("PS: %q %d %v", out, code, err)
	}
	out, _, code, err = c.RunWithContextWithString(ctx, "upper", "abc")
	if err != nil || code != 0 || out != "ABC" {
		t.Fatalf("stdin: %q %d %v", out, code, err)
	}
	_, stderr, code, err := c.RunCmdWithContext(ctx, "other")
	if err != nil || code != 7 || !strings.HasPrefix(stderr, "#< CLIXML") {
		t.Fatalf("exit code: %q %d %v", stderr, code, err)
	}
	// A gzip bootstrap runs the script it carries; a malformed one fails without
	// reaching the Handler.
	out, _, code, err = c.RunCmdWithContext(ctx, gzipEncoded(gzipped(t, "packed")))
	if err != nil || code != 0 || out != `NODE1\alice:packed` {
		t.Fatalf("gzip bootstrap: %q %d %v", out, code, err)
	}
	out, stderr, code, err = c.RunCmdWithContext(ctx, gzipEncoded("bm90IGd6aXA="))
	if err != nil || code != 1 || out != "" || !strings.Contains(stderr, "not gzip") {
		t.Fatalf("malformed gzip bootstrap: %q %q %d %v", out, stderr, code, err)
	}
	_, _, _, err = c.RunCmdWithContext(ctx, strings.Repeat("x", 8192))
	if err == nil || !strings.Contains(err.Error()+bodyOf(err), "too long") {
		t.Fatalf("too long: %v", err)
	}
}

func bodyOf(err error) string {
	if e, ok := err.(*mz.ExecuteCommandError); ok {
		return e.Body
	}
	return ""
}

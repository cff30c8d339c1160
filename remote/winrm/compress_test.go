package winrm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
)

// recorder is a handler that keeps every command it was given.
type recorder struct {
	mu   sync.Mutex
	cmds []wsman.Command
}

func (r *recorder) handle(ctx context.Context, user string, cmd wsman.Command) wsman.Result {
	r.mu.Lock()
	r.cmds = append(r.cmds, cmd)
	r.mu.Unlock()
	return jsonHandler(ctx, user, cmd)
}

func (r *recorder) seen() []wsman.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wsman.Command(nil), r.cmds...)
}

// compressibleScript is about 9 KB of script that reads like a real one: repeated
// shapes with varying names and numbers.
func compressibleScript() script.PowerShell {
	var b strings.Builder
	for i := 0; b.Len() < 9000; i++ {
		fmt.Fprintf(&b, "$setting%d = Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Contoso\\Node%d' -Name \"Value%d\" -ErrorAction SilentlyContinue\n", i, i%7, i*31%101)
	}
	b.WriteString("[pscustomobject]@{ok=$true} | ConvertTo-Json -Compress")
	return script.PowerShell{Op: "settings.read", Params: map[string]any{"root": `HKLM:\SOFTWARE\Contoso`}, Body: b.String()}
}

// decodeLine returns the PowerShell text of a "powershell.exe -EncodedCommand" line.
func decodeLine(t *testing.T, line string) string {
	t.Helper()
	b64, ok := strings.CutPrefix(line, "powershell.exe -EncodedCommand ")
	if !ok {
		t.Fatalf("not an encoded command line: %.60q", line)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("EncodedCommand is not base64 UTF-16LE: %v", err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

func TestBootstrapMarkersMatchTheLab(t *testing.T) {
	if gzipMarker != wsman.GzipMarker || stdinMarker != wsman.StdinMarker {
		t.Fatalf("client markers %q, %q; lab markers %q, %q", gzipMarker, stdinMarker, wsman.GzipMarker, wsman.StdinMarker)
	}
}

func TestBootstrapsDefineNoVariable(t *testing.T) {
	// The bootstrap is dot-sourced into the script's own scope; a variable of its
	// own could clash with the script's.
	text := compressibleScript().Render()
	for _, b := range []string{gzipBootstrap(text, "QUJD"), stdinBootstrap(text)} {
		if strings.Contains(b, "$") {
			t.Fatalf("bootstrap uses a variable:\n%s", b)
		}
	}
}

func TestCommandLinesStartWithTheOpLine(t *testing.T) {
	// Process listings (win.inflight.list) name a running script by the first line
	// of its -EncodedCommand, whichever way the script travels.
	text := compressibleScript().Render()
	gz, _ := compressedCommand(text)
	in, _ := stdinCommand(text, nil)
	plain := encodedCommand(script.PowerShell{Op: "settings.read", Body: "'{}'"}.Render())
	for _, line := range []string{plain, gz, in} {
		if ps := decodeLine(t, line); !strings.HasPrefix(ps, "# ssisha-op: settings.read\n") {
			t.Fatalf("bootstrap starts %.60q", ps)
		}
	}
}

func TestCompressedCommandCarriesTheScript(t *testing.T) {
	text := compressibleScript().Render()
	if len(encodedCommand(text)) <= maxCommandLine {
		t.Fatalf("test script (%d bytes) fits uncompressed", len(text))
	}
	line, ok := compressedCommand(text)
	if !ok {
		t.Fatalf("a %d-byte script does not fit compressed (%d characters)", len(text), len(line))
	}
	ps := decodeLine(t, line)
	body, ok := strings.CutPrefix(ps, "# ssisha-op: settings.read\n"+gzipMarker+"\n")
	if !ok {
		t.Fatalf("bootstrap does not start with the op line and its marker:\n%.200s", ps)
	}
	m := regexp.MustCompile(`FromBase64String\('([A-Za-z0-9+/=]+)'\)`).FindStringSubmatch(body)
	if m == nil || gzipBootstrap(text, m[1]) != ps {
		t.Fatalf("bootstrap is not the fixed text around one payload:\n%.300s", body)
	}

	random := randomScript(t, 50_000).Render()
	if _, ok := compressedCommand(random); ok {
		t.Fatal("50 KB of random text fits compressed")
	}
}

func TestCompressibleLongScriptIsOneCommand(t *testing.T) {
	var rec recorder
	p := startPeer(t, true, rec.handle)
	c := newClient(t, p.config(t, nil))
	ctx := context.Background()
	// The shell is opened first, so what follows is the command alone.
	if _, err := c.PowerShell(ctx, testHost, ps("probe")); err != nil {
		t.Fatal(err)
	}
	s := compressibleScript()
	if len(s.Render()) < 8000 || len(encodedCommand(s.Render())) <= maxCommandLine {
		t.Fatalf("test script is %d bytes; it must be long and not fit uncompressed", len(s.Render()))
	}
	waitReleased(t, p)
	before, commands := p.requests(), p.count("Command")
	out, err := c.PowerShell(ctx, testHost, s)
	if err != nil {
		t.Fatal(err)
	}
	waitReleased(t, p)
	if string(out) != `{"op":"settings.read"}` {
		t.Fatalf("output = %s", out)
	}
	if got := p.requests() - before; got != 3 {
		t.Fatalf("the compressed script cost %d HTTP requests, want 3 (Command, Receive, Signal)", got)
	}
	if got := p.count("Command") - commands; got != 1 {
		t.Fatalf("the compressed script took %d commands, want 1", got)
	}
	seen := rec.seen()
	last := seen[len(seen)-1]
	if len(seen) != 2 || last.Script != s.Render() {
		t.Fatalf("handler saw %d commands; the script did not arrive intact", len(seen))
	}
	if len(last.CommandLine) > maxCommandLine {
		t.Fatalf("command line is %d characters, over cmd.exe's %d", len(last.CommandLine), maxCommandLine)
	}
}

// randomScript is a script whose body is n bytes of random base64 in comment
// lines: gzip cannot shrink it enough to fit a command line.
func randomScript(t *testing.T, n int) script.PowerShell {
	t.Helper()
	raw := make([]byte, n*3/4)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	var b strings.Builder
	for len(b64) > 0 {
		k := min(100, len(b64))
		b.WriteString("# " + b64[:k] + "\n")
		b64 = b64[k:]
	}
	b.WriteString("'{}'")
	return script.PowerShell{Op: "random", Body: b.String()}
}

func TestIncompressibleScriptRunsFromStdin(t *testing.T) {
	var rec recorder
	p := startPeer(t, true, rec.handle)
	c := newClient(t, p.config(t, nil))
	ctx := context.Background()
	if _, err := c.PowerShell(ctx, testHost, ps("probe")); err != nil {
		t.Fatal(err)
	}
	s := randomScript(t, 50_000)
	waitReleased(t, p)
	before, commands := p.requests(), p.count("Command")
	out, err := c.PowerShell(ctx, testHost, s)
	if err != nil {
		t.Fatal(err)
	}
	waitReleased(t, p)
	if string(out) != `{"op":"random"}` {
		t.Fatalf("output = %s", out)
	}
	seen := rec.seen()
	last := seen[len(seen)-1]
	if len(seen) != 2 || last.Script != s.Render() || !last.ScriptOnStdin || last.File != "" {
		t.Fatalf("handler saw %d commands; the script did not arrive intact on stdin (file %q)", len(seen), last.File)
	}
	if got := p.count("Command") - commands; got != 1 {
		t.Fatalf("the script took %d commands, want 1", got)
	}
	// Command, one Send (the script, and End with it), Receive, Signal.
	if got := p.requests() - before; got != 4 {
		t.Fatalf("the script on stdin cost %d HTTP requests, want 4", got)
	}
	if len(last.CommandLine) > maxCommandLine {
		t.Fatalf("command line is %d characters, over cmd.exe's %d", len(last.CommandLine), maxCommandLine)
	}
}

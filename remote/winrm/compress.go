package winrm

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"unicode/utf16"

	"github.com/ssisha/ssisha/remote/script"
)

// gzipMarker is the line of the bootstrap that carries a compressed script in its
// command line, and stdinMarker that of the bootstrap that reads it from stdin. The
// lab's WS-Management server looks for them (wsman.GzipMarker, wsman.StdinMarker)
// to hand its Handler the original script rather than the bootstrap.
const (
	gzipMarker  = "# ssisha-gz"
	stdinMarker = "# ssisha-stdin"
)

// unpackExpr is the PowerShell expression whose value is the text of the script
// that src, an expression giving gzip in base64, carries. It holds no variable.
// New-Object, not ::new, because ::new needs PowerShell 5.
func unpackExpr(src string) string {
	return "(New-Object IO.StreamReader -ArgumentList " +
		"(New-Object IO.Compression.GZipStream -ArgumentList " +
		"(New-Object IO.MemoryStream -ArgumentList (,[Convert]::FromBase64String(" + src + "))), " +
		"([IO.Compression.CompressionMode]::Decompress)), " +
		"([Text.Encoding]::UTF8)).ReadToEnd()"
}

// bootstrap is the PowerShell that runs the script unpackExpr(src) gives. Its first
// line is the script's own ssisha-op line, so whoever lists the node's processes
// (steps' win.inflight.list) finds the operation on the command line of a bootstrap
// as on that of a plain script; its second is marker.
//
// The script block is dot-sourced so it runs in the global scope exactly as when
// its text is the -EncodedCommand itself: its $ErrorActionPreference = 'Stop'
// governs the whole command, a terminating error still ends powershell.exe with
// exit code 1 and the error record on stderr, exit N still sets the exit code, and
// its output reaches stdout unchanged. The bootstrap is one expression with no
// variables, so it puts nothing of its own into that scope.
func bootstrap(text, marker, src string) string {
	var b strings.Builder
	if op, _, ok := strings.Cut(strings.TrimPrefix(text, "\ufeff"), "\n"); ok && strings.HasPrefix(op, script.OpPrefixPS) {
		b.WriteString(strings.TrimRight(op, "\r"))
		b.WriteString("\n")
	}
	b.WriteString(marker + "\n")
	b.WriteString(". ([scriptblock]::Create(" + unpackExpr(src) + "))\n")
	return b.String()
}

// gzipBase64 is text gzip-compressed, in base64.
func gzipBase64(text string) string {
	var buf bytes.Buffer
	// BestCompression: the level only costs CPU here, and every byte saved is
	// 2.7 characters of command line (or 1.3 of stdin).
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write([]byte(text))                            // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// gzipBootstrap is the bootstrap that carries its script as a gzip-in-base64
// literal (base64 characters only, so it needs no quoting).
func gzipBootstrap(text, payload string) string {
	return bootstrap(text, gzipMarker, "'"+payload+"'")
}

// compressedCommand returns the command line that runs text through the gzip
// bootstrap, and whether it fits cmd.exe's limit.
func compressedCommand(text string) (string, bool) {
	line := encodedCommand(gzipBootstrap(text, gzipBase64(text)))
	return line, len(line) <= maxCommandLine
}

// stdinBootstrap is the bootstrap that reads its script from the first line of its
// stdin: gzip in base64, so one line of ASCII that no console code page alters.
// What follows that line is the script's own stdin, which its InputLine reads to
// the end from the same reader.
func stdinBootstrap(text string) string {
	return bootstrap(text, stdinMarker, "[Console]::In.ReadLine()")
}

// stdinCommand returns the command line that runs text, whatever its length, as one
// command, and the stdin to send it: the script as one line, then input.
func stdinCommand(text string, input []byte) (string, []byte) {
	payload := gzipBase64(text)
	stdin := make([]byte, 0, len(payload)+2+len(input))
	stdin = append(stdin, payload...)
	stdin = append(stdin, '\r', '\n')
	stdin = append(stdin, input...)
	return encodedCommand(stdinBootstrap(text)), stdin
}

// encodedCommand is the powershell.exe command line that runs text. Unlike the
// library's Powershell, it puts nothing before text, so the script's first line (its
// ssisha-op line, also a bootstrap's first) is the -EncodedCommand's first line,
// where win.inflight.list looks for it; every rendered script sets
// $ProgressPreference itself.
func encodedCommand(text string) string {
	return "powershell.exe -EncodedCommand " + base64.StdEncoding.EncodeToString(utf16LE(text))
}

// utf16LE is text in UTF-16LE, what -EncodedCommand decodes.
func utf16LE(text string) []byte {
	u := utf16.Encode([]rune(text))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

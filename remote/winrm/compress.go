package winrm

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"

	mz "github.com/masterzen/winrm"
)

// gzipMarker is the first line of the bootstrap that carries a compressed script.
// The lab's WS-Management server looks for it (wsman.GzipMarker) to hand its
// Handler the original script rather than the bootstrap.
const gzipMarker = "# ssisha-gz"

// gzipBootstrap is the PowerShell that unpacks and runs a script sent as gzip in
// base64 (the literal holds only base64 characters, so it needs no quoting).
//
// The script block is dot-sourced so it runs in the global scope exactly as when
// its text is the -EncodedCommand itself: its $ErrorActionPreference = 'Stop'
// governs the whole command, a terminating error still ends powershell.exe with
// exit code 1 and the error record on stderr, exit N still sets the exit code, and
// its output reaches stdout unchanged. The bootstrap is one expression with no
// variables, so it puts nothing of its own into that scope. New-Object, not
// ::new, because ::new needs PowerShell 5.
func gzipBootstrap(payload string) string {
	return gzipMarker + "\n" +
		". ([scriptblock]::Create((New-Object IO.StreamReader -ArgumentList " +
		"(New-Object IO.Compression.GZipStream -ArgumentList " +
		"(New-Object IO.MemoryStream -ArgumentList (,[Convert]::FromBase64String('" + payload + "'))), " +
		"([IO.Compression.CompressionMode]::Decompress)), " +
		"([Text.Encoding]::UTF8)).ReadToEnd()))\n"
}

// compressedCommand returns the command line that runs text through the gzip
// bootstrap, and whether it fits cmd.exe's limit.
func compressedCommand(text string) (string, bool) {
	var buf bytes.Buffer
	// BestCompression: the level only costs CPU here, and every byte saved is
	// 2.7 characters of command line.
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", false
	}
	_, _ = zw.Write([]byte(text)) // writes to a bytes.Buffer do not fail
	if err := zw.Close(); err != nil {
		return "", false
	}
	line := mz.Powershell(gzipBootstrap(base64.StdEncoding.EncodeToString(buf.Bytes())))
	return line, len(line) <= maxCommandLine
}

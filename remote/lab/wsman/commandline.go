package wsman

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

// progressPrefix is what winrm.Powershell puts before every encoded script.
const progressPrefix = "$ProgressPreference = 'SilentlyContinue';"

// RestoreMarker starts the PowerShell text of the command that turns an uploaded
// base64 file into a script file. Clients that upload long scripts send exactly this
// shape; the server performs it instead of passing it to the Handler.
const RestoreMarker = "# ssisha-upload: restore"

// GzipMarker starts the PowerShell text of a bootstrap that carries a script
// gzip-compressed and base64-encoded in a FromBase64String('…') literal, and runs
// it in the same process. The server hands the Handler the script it carries, as
// if the script had been the -EncodedCommand itself.
const GzipMarker = "# ssisha-gz"

// StdinMarker starts the PowerShell text of a bootstrap that reads a script from
// the first line of its stdin (gzip-compressed, base64-encoded) and runs it in the
// same process; the rest of stdin is the script's own. The server reads that line
// as powershell.exe would and hands the Handler the script, with the rest of stdin.
const StdinMarker = "# ssisha-stdin"

// stdinSource is the expression a stdin bootstrap unpacks: the first line of stdin.
const stdinSource = "FromBase64String([Console]::In.ReadLine())"

// maxGzipScript bounds what a compressed payload may expand to: a command line
// cannot carry a real script anywhere near it, and a gzip bomb must not exhaust
// the lab.
const maxGzipScript = 1 << 20

var (
	echoAppend  = regexp.MustCompile(`^echo ([A-Za-z0-9+/=]+) ?>> ?"([^"]+)"$`)
	fileRun     = regexp.MustCompile(`(?i)^powershell(?:\.exe)?(?: -?\w+)*? -File "([^"]+)"$`)
	deleteFile  = regexp.MustCompile(`(?i)^del (?:/[fq] )*"([^"]+)"$`)
	restoreFrom = regexp.MustCompile(`(?m)^\$src = Join-Path \$env:TEMP '([^']+)'\r?$`)
	restoreTo   = regexp.MustCompile(`(?m)^\$dst = Join-Path \$env:TEMP '([^']+)'\r?$`)
	gzipPayload = regexp.MustCompile(`FromBase64String\('([^']*)'\)`)
)

// commandKind says how the server treats a command line.
type commandKind int

const (
	kindOther   commandKind = iota // passed to the Handler as is
	kindPS                         // encoded PowerShell for the Handler
	kindAppend                     // echo chunk >> file
	kindRestore                    // decode an uploaded file into a script
	kindFile                       // run an uploaded script with -File
	kindDelete                     // remove a file
	kindBad                        // a bootstrap whose payload PowerShell could not unpack
	kindStdin                      // a bootstrap that reads its script from stdin
)

// parsedLine is a command line understood.
type parsedLine struct {
	kind   commandKind
	script string // kindPS: the decoded text
	data   string // kindAppend: the base64 chunk
	path   string // the file appended to, run or deleted; for kindRestore the source
	dest   string // kindRestore: the script file written
	err    string // kindBad: why the payload is unusable
}

// parseCommandLine recognises the shapes of command line the client sends.
func parseCommandLine(line string) parsedLine {
	line = strings.TrimSpace(line)
	if m := echoAppend.FindStringSubmatch(line); m != nil {
		return parsedLine{kind: kindAppend, data: m[1], path: m[2]}
	}
	if m := fileRun.FindStringSubmatch(line); m != nil {
		return parsedLine{kind: kindFile, path: m[1]}
	}
	if m := deleteFile.FindStringSubmatch(line); m != nil {
		return parsedLine{kind: kindDelete, path: m[1]}
	}
	if text, err := decodeEncodedCommand(line); err == nil {
		if strings.HasPrefix(text, RestoreMarker) {
			src := restoreFrom.FindStringSubmatch(text)
			dst := restoreTo.FindStringSubmatch(text)
			if src != nil && dst != nil {
				return parsedLine{kind: kindRestore, path: `%TEMP%\` + src[1], dest: `%TEMP%\` + dst[1]}
			}
		}
		switch code := bootstrapCode(text); {
		case strings.HasPrefix(code, GzipMarker):
			script, err := gunzipPayload(code)
			if err != nil {
				return parsedLine{kind: kindBad, err: err.Error()}
			}
			return parsedLine{kind: kindPS, script: script}
		case strings.HasPrefix(code, StdinMarker):
			if strings.Count(code, stdinSource) != 1 || strings.Contains(code, "FromBase64String('") {
				return parsedLine{kind: kindBad, err: StdinMarker + " bootstrap does not unpack exactly the first line of its stdin"}
			}
			return parsedLine{kind: kindStdin}
		}
		return parsedLine{kind: kindPS, script: text}
	}
	return parsedLine{kind: kindOther}
}

// bootstrapCode is text less the ssisha-op comment line a bootstrap starts with
// (so that process listings name its operation); text itself when it has none.
func bootstrapCode(text string) string {
	if first, rest, ok := strings.Cut(text, "\n"); ok && strings.HasPrefix(first, "# ssisha-op: ") {
		return rest
	}
	return text
}

// readStdinScript reads the script a stdin bootstrap unpacks from the first line of
// r, as [Console]::In.ReadLine() would (a CR before the LF is dropped), and returns
// it with the reader of the rest of stdin.
func readStdinScript(r io.Reader) (string, io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if err == nil || err == io.EOF {
			break
		}
		if err != bufio.ErrBufferFull {
			return "", nil, fmt.Errorf("reading the script from stdin: %w", err)
		}
		if len(line) > 2*maxGzipScript {
			return "", nil, fmt.Errorf("%s: the first line of stdin is over %d bytes", StdinMarker, 2*maxGzipScript)
		}
	}
	line = bytes.TrimRight(line, "\r\n")
	script, err := gunzipBase64(StdinMarker, string(line))
	if err != nil {
		return "", nil, err
	}
	return script, br, nil
}

// decodeEncodedCommand returns the script of "powershell.exe [-flags] -EncodedCommand b64".
func decodeEncodedCommand(line string) (string, error) {
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return "", errors.New("not a PowerShell command line")
	}
	exe := strings.ToLower(fields[0])
	if exe != "powershell" && exe != "powershell.exe" {
		return "", errors.New("not a PowerShell command line")
	}
	for i := 1; i < len(fields)-1; i++ {
		switch strings.ToLower(fields[i]) {
		case "-encodedcommand", "-enc", "-e", "-ec":
			raw, err := base64.StdEncoding.DecodeString(fields[i+1])
			if err != nil || len(raw)%2 != 0 {
				return "", errors.New("EncodedCommand is not base64 UTF-16LE")
			}
			return strings.TrimPrefix(ntlmv2.FromUTF16LE(raw), progressPrefix), nil
		}
	}
	return "", errors.New("no -EncodedCommand")
}

// gunzipPayload returns the script a gzip bootstrap carries. It refuses anything
// that is not exactly one base64 literal of a whole gzip stream of UTF-8 text, so a
// client that builds the bootstrap wrongly fails its command instead of running
// something else.
func gunzipPayload(text string) (string, error) {
	m := gzipPayload.FindAllStringSubmatch(text, -1)
	if len(m) != 1 {
		return "", fmt.Errorf("%s bootstrap holds %d FromBase64String literals, want 1", GzipMarker, len(m))
	}
	return gunzipBase64(GzipMarker, m[0][1])
}

// gunzipBase64 is the script that b64, gzip in base64, carries, checked as
// gunzipPayload says; marker names the bootstrap in errors.
func gunzipBase64(marker, b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("%s payload is not base64: %w", marker, err)
	}
	br := bytes.NewReader(raw)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return "", fmt.Errorf("%s payload is not gzip: %w", marker, err)
	}
	// Windows PowerShell's GZipStream reads one member and drops what follows, so
	// anything after the first member is an error here rather than a lost tail.
	zr.Multistream(false)
	script, err := io.ReadAll(io.LimitReader(zr, maxGzipScript+1))
	if err != nil {
		return "", fmt.Errorf("%s payload is not valid gzip: %w", marker, err)
	}
	if len(script) > maxGzipScript {
		return "", fmt.Errorf("%s payload expands beyond %d bytes", marker, maxGzipScript)
	}
	// br is an io.ByteReader, so the decompressor has read no further than the
	// end of the member.
	if br.Len() != 0 {
		return "", fmt.Errorf("%s payload has %d bytes after the gzip stream", marker, br.Len())
	}
	if !utf8.Valid(script) {
		return "", fmt.Errorf("%s payload is not UTF-8 text", marker)
	}
	return string(script), nil
}

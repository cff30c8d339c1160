package wsman

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
)

// progressPrefix is what winrm.Powershell puts before every encoded script.
const progressPrefix = "$ProgressPreference = 'SilentlyContinue';"

// RestoreMarker starts the PowerShell text of the command that turns an uploaded
// base64 file into a script file. Clients that upload long scripts send exactly this
// shape; the server performs it instead of passing it to the Handler.
const RestoreMarker = "# ssisha-upload: restore"

var (
	echoAppend  = regexp.MustCompile(`^echo ([A-Za-z0-9+/=]+) ?>> ?"([^"]+)"$`)
	fileRun     = regexp.MustCompile(`(?i)^powershell(?:\.exe)?(?: -?\w+)*? -File "([^"]+)"$`)
	deleteFile  = regexp.MustCompile(`(?i)^del (?:/[fq] )*"([^"]+)"$`)
	restoreFrom = regexp.MustCompile(`(?m)^\$src = Join-Path \$env:TEMP '([^']+)'\r?$`)
	restoreTo   = regexp.MustCompile(`(?m)^\$dst = Join-Path \$env:TEMP '([^']+)'\r?$`)
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
)

// parsedLine is a command line understood.
type parsedLine struct {
	kind   commandKind
	script string // kindPS: the decoded text
	data   string // kindAppend: the base64 chunk
	path   string // the file appended to, run or deleted; for kindRestore the source
	dest   string // kindRestore: the script file written
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
		return parsedLine{kind: kindPS, script: text}
	}
	return parsedLine{kind: kindOther}
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
			return strings.TrimPrefix(fromUTF16LE(raw), progressPrefix), nil
		}
	}
	return "", errors.New("no -EncodedCommand")
}

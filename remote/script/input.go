package script

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// InputLine is the line of a script with Input that reads the input parameters from
// the command's stdin and adds them to $p, so the body reads every parameter the same
// way wherever it travelled.
const InputLine = `foreach ($i in (ConvertFrom-Json ([Console]::In.ReadToEnd())).PSObject.Properties) { $p | Add-Member -NotePropertyName $i.Name -NotePropertyValue $i.Value -Force }`

// inputComment introduces the line that names the parameters a script reads from
// stdin (names only: the values, secrets among them, are never in the text).
const inputComment = "# on stdin: "

// splitParams divides s's parameters by where they travel: in the script text, or
// on stdin. Input goes on stdin, and so does every parameter whose value holds a
// Secret: in the text it would be on powershell.exe's command line while the script
// runs, which local administrators read from Win32_Process.CommandLine and
// process-creation auditing logs, or, for a long script, in the script block that
// script block logging records.
func (s PowerShell) splitParams() (text, stdin map[string]any) {
	text = make(map[string]any, len(s.Params))
	for k, v := range s.Params {
		if holdsSecret(v) {
			if stdin == nil {
				stdin = map[string]any{}
			}
			stdin[k] = v
			continue
		}
		text[k] = v
	}
	for k, v := range s.Input {
		if stdin == nil {
			stdin = map[string]any{}
		}
		stdin[k] = v
	}
	return text, stdin
}

// holdsSecret reports whether v is a Secret or contains one.
func holdsSecret(v any) bool {
	switch x := v.(type) {
	case Secret:
		return true
	case map[string]any:
		for _, e := range x {
			if holdsSecret(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsSecret(e) {
				return true
			}
		}
	}
	return false
}

// ReadsStdin reports whether s sends parameters on its command's stdin.
func (s PowerShell) ReadsStdin() bool {
	_, stdin := s.splitParams()
	return len(stdin) > 0
}

// InputBytes returns what the client sends on the command's stdin: the Input
// parameters and those holding a Secret, as one line of JSON, secrets revealed, or
// nil when the script has none. Every character beyond ASCII is escaped (\uXXXX),
// so the node's console code page cannot change a password on the way in. Never
// log it.
func (s PowerShell) InputBytes() []byte {
	_, stdin := s.splitParams()
	if len(stdin) == 0 {
		return nil
	}
	var b strings.Builder
	for _, r := range string(encodeParams(stdin, true)) {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u%04x`, u)
		}
	}
	return []byte(b.String())
}

// inputLines returns the lines render writes for the parameters on stdin: their
// names, each Secret with its placeholder so a plan says which secret goes where,
// then the line that reads the values.
func inputLines(stdin map[string]any) string {
	if len(stdin) == 0 {
		return ""
	}
	names := slices.Sorted(maps.Keys(stdin))
	for i, n := range names {
		if sec, ok := stdin[n].(Secret); ok {
			names[i] = n + "=" + sec.String()
		}
	}
	return inputComment + strings.Join(names, ", ") + "\n" + InputLine + "\n"
}

// ReadsInput reports whether a rendered script reads parameters from its stdin.
func ReadsInput(text string) bool {
	for l := range strings.Lines(strings.ReplaceAll(text, "\r\n", "\n")) {
		if strings.TrimRight(l, "\n") == InputLine {
			return true
		}
	}
	return false
}

// MergeInput adds the parameters a script received on its stdin to those its text
// carries, as the script's InputLine does (a stdin value wins). The lab uses it.
func MergeInput(params map[string]any, stdin []byte) error {
	in := map[string]any{}
	dec := json.NewDecoder(strings.NewReader(string(stdin)))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("stdin parameters: %w", err)
	}
	for k, v := range in {
		params[k] = v
	}
	return nil
}

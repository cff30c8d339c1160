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

// InputBytes returns what the client sends on the command's stdin: the Input
// parameters as one line of JSON, secrets revealed, or nil when the script has none.
// Every character beyond ASCII is escaped (\uXXXX), so the node's console code page
// cannot change a password on the way in. Never log it.
func (s PowerShell) InputBytes() []byte {
	if len(s.Input) == 0 {
		return nil
	}
	var b strings.Builder
	for _, r := range string(encodeParams(s.Input, true)) {
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

// inputLines returns the lines render writes for s's Input: the names, then the
// line that reads the values.
func (s PowerShell) inputLines() string {
	if len(s.Input) == 0 {
		return ""
	}
	names := slices.Sorted(maps.Keys(s.Input))
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

package wsman

import (
	"fmt"
	"html"
	"strings"
)

// CLIXMLError returns stderr bytes as powershell.exe writes an error record when
// run non-interactively: a "#< CLIXML" line, then one S element per line.
func CLIXMLError(message string) []byte {
	var b strings.Builder
	b.WriteString("#< CLIXML\r\n")
	b.WriteString(`<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">`)
	for _, line := range strings.Split(strings.ReplaceAll(message, "\r\n", "\n"), "\n") {
		b.WriteString(`<S S="Error">`)
		b.WriteString(encodeCLIXMLText(line))
		b.WriteString(`_x000D__x000A_</S>`)
	}
	b.WriteString(`</Objs>`)
	return []byte(b.String())
}

// encodeCLIXMLText escapes text as PowerShell serialisation does: XML escaping,
// control characters as _xHHHH_, and a literal "_x" escaped so it is not read back
// as an escape.
func encodeCLIXMLText(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '_' && i+1 < len(rs) && rs[i+1] == 'x':
			b.WriteString("_x005F_")
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			fmt.Fprintf(&b, "_x%04X_", r)
		default:
			b.WriteString(html.EscapeString(string(r)))
		}
	}
	return b.String()
}

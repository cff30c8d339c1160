package winrm

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

const clixmlHeader = "#< CLIXML"

// DecodeCLIXML turns the CLIXML that powershell.exe writes to stderr into the text
// a person reads; other text is returned as is.
func DecodeCLIXML(stderr string) string {
	if !strings.Contains(stderr, clixmlHeader) {
		return strings.TrimRight(stderr, "\r\n")
	}
	var out strings.Builder
	for i, part := range strings.Split(stderr, clixmlHeader) {
		if i == 0 {
			out.WriteString(part)
			continue
		}
		text, ok := decodeObjs(part)
		if !ok {
			out.WriteString(clixmlHeader + part)
			continue
		}
		out.WriteString(text)
	}
	return strings.TrimRight(strings.ReplaceAll(out.String(), "\r\n", "\n"), "\r\n")
}

// decodeObjs collects the text of the top-level S elements of one Objs document.
func decodeObjs(doc string) (string, bool) {
	dec := xml.NewDecoder(strings.NewReader(strings.TrimLeft(doc, "\r\n")))
	var b strings.Builder
	depth, inS, root := 0, false, false
	for {
		tok, err := dec.Token()
		if err != nil {
			// A truncated document still yields the lines read so far.
			return b.String(), root && (err == io.EOF || b.Len() > 0)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			root = root || depth == 1 && t.Name.Local == "Objs"
			inS = depth == 2 && t.Name.Local == "S"
		case xml.EndElement:
			depth--
			inS = false
		case xml.CharData:
			if inS {
				b.WriteString(unescapeCLIXML(string(t)))
			}
		}
	}
}

// unescapeCLIXML replaces _xHHHH_ escapes by the characters they stand for.
func unescapeCLIXML(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		if len(s) >= i+7 && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteString(s[:i])
				b.WriteRune(rune(v))
				s = s[i+7:]
				continue
			}
		}
		// Not an escape: keep "_x" and look further.
		b.WriteString(s[:i+2])
		s = s[i+2:]
	}
}

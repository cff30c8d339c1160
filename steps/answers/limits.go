package answers

import "fmt"

// The limits an answer file is held to before it is parsed. A real one is a few
// kilobytes, a few levels deep, with no anchors; these leave room for hundreds of
// workers and refuse what would only exhaust the machine.
const (
	// MaxFileSize is the largest answer file read, in bytes.
	MaxFileSize = 1 << 20
	// MaxDepth is the deepest nesting of [ ] and { } collections.
	MaxDepth = 16
	// MaxIndent is the deepest indentation of a line, in columns.
	MaxIndent = 64
	// MaxAliases is how many *alias references a file may hold.
	MaxAliases = 64
)

func tooBig(n int64) ParseError {
	return ParseError{Problem: fmt.Sprintf("the answer file is %d bytes; an answer file is at most %d (a real one is a few kilobytes): check that this is the right file", n, MaxFileSize)}
}

// checkShape refuses, in one pass and without parsing, a file over MaxFileSize, with
// flow collections nested deeper than MaxDepth, lines indented past MaxIndent, or more
// than MaxAliases aliases. Quoted text and comments are skipped, so brackets inside
// values do not count.
func checkShape(data []byte) *ParseError {
	if len(data) > MaxFileSize {
		e := tooBig(int64(len(data)))
		return &e
	}
	line, depth, indent, aliases := 1, 0, 0, 0
	atLineStart := true
	var quote byte // ' or " while inside a quoted scalar
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\n' {
			line++
			atLineStart, indent = true, 0
			continue
		}
		if atLineStart {
			if c == ' ' {
				indent++
				if indent > MaxIndent {
					return &ParseError{Line: line, Problem: fmt.Sprintf("the line is indented more than %d columns; answer files nest a few levels: check the indentation", MaxIndent)}
				}
				continue
			}
			atLineStart = false
		}
		if quote != 0 {
			switch {
			case quote == '"' && c == '\\':
				i++
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			// A quote opens a quoted scalar only where a value starts; inside plain
			// text (O'Brien) it is a character.
			if i == 0 || startsValue(data[i-1]) {
				quote = c
			}
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '[', '{':
			depth++
			if depth > MaxDepth {
				return &ParseError{Line: line, Problem: fmt.Sprintf("lists and sections are nested more than %d deep here; an answer file nests a few levels: check the brackets", MaxDepth)}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '*':
			aliases++
			if aliases > MaxAliases {
				return &ParseError{Line: line, Problem: fmt.Sprintf("the file holds more than %d * characters outside quotes (YAML aliases); write the values out, or quote text that contains *", MaxAliases)}
			}
		}
	}
	return nil
}

func startsValue(prev byte) bool {
	switch prev {
	case ' ', '\t', '\n', ':', '[', '{', ',', '-':
		return true
	}
	return false
}

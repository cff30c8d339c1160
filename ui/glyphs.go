package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Glyphs are the symbols the screens draw. The ASCII set is for the Linux console,
// conhost fonts without braille or check marks, and --ascii.
type Glyphs struct {
	OK, Warn, Fail, Skip, Pending, Undone               string
	Create, Change, Delete, Done, Irreversible, Blocked string
	Cursor, Sep, Dot, Ellipsis                          string
	TL, TR, BL, BR, H, V                                string
	Spinner                                             []string
}

var unicodeGlyphs = Glyphs{
	OK: "✓", Warn: "⚠", Fail: "✗", Skip: "↷", Pending: "·", Undone: "↶",
	Create: "+", Change: "~", Delete: "-", Done: "=", Irreversible: "!", Blocked: "✗",
	Cursor: "›", Sep: "│", Dot: "•", Ellipsis: "…",
	TL: "┌", TR: "┐", BL: "└", BR: "┘", H: "─", V: "│",
	Spinner: []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"},
}

var asciiGlyphs = Glyphs{
	OK: "v", Warn: "!", Fail: "x", Skip: ">", Pending: ".", Undone: "<",
	Create: "+", Change: "~", Delete: "-", Done: "=", Irreversible: "!", Blocked: "x",
	Cursor: ">", Sep: "|", Dot: "*", Ellipsis: "...",
	TL: "+", TR: "+", BL: "+", BR: "+", H: "-", V: "|",
	Spinner: []string{"-", "\\", "|", "/"},
}

// asciiFor are the characters the screens and the libraries they draw with (the
// form's focus bar, the key help's arrows, a cut line's ellipsis) print, as one
// ASCII character each, so that --ascii keeps every column where it was.
var asciiFor = map[rune]byte{
	'…': '~', '·': '*', '•': '*', '›': '>', '‹': '<', '»': '>', '«': '<',
	'↑': '^', '↓': 'v', '←': '<', '→': '>', '↷': '>', '↶': '<',
	'✓': 'v', '✔': 'v', '✗': 'x', '✘': 'x', '⚠': '!',
	'┃': '|', '│': '|', '║': '|', '─': '-', '━': '-', '═': '-',
	'┌': '+', '┐': '+', '└': '+', '┘': '+', '├': '+', '┤': '+', '┬': '+', '┴': '+', '┼': '+',
	'╭': '+', '╮': '+', '╰': '+', '╯': '+',
	'‘': '\'', '’': '\'', '“': '"', '”': '"', '–': '-', '—': '-', '\u00a0': ' ',
}

// asciiOnly is s with every character outside ASCII replaced by one that is: its
// look-alike, or ? for anything else (a name typed in another script). Escape
// sequences are ASCII already and pass unchanged.
func asciiOnly(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch c, ok := asciiFor[r]; {
		case r < 0x80:
			b.WriteRune(r)
		case ok:
			b.WriteByte(c)
		case r >= 0x2800 && r <= 0x28ff: // braille spinner frames
			b.WriteByte('*')
		default:
			// A wide character takes two columns; keep them.
			b.WriteString(strings.Repeat("?", max(1, ansi.StringWidth(string(r)))))
		}
	}
	return b.String()
}

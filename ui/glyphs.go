package ui

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

package shot

import (
	"fmt"
	"image/color"
	"strings"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// The screenshots' terminal theme: the 16 system colours and the default colours. The
// UI uses the system colours so each terminal's theme applies; a picture has to pick one.
var (
	palette = [16]color.RGBA{
		{0x3b, 0x40, 0x48, 0xff}, {0xe0, 0x6c, 0x75, 0xff}, {0x98, 0xc3, 0x79, 0xff}, {0xe5, 0xc0, 0x7b, 0xff},
		{0x61, 0xaf, 0xef, 0xff}, {0xc6, 0x78, 0xdd, 0xff}, {0x56, 0xb6, 0xc2, 0xff}, {0xc8, 0xcc, 0xd4, 0xff},
		{0x80, 0x86, 0x90, 0xff}, {0xff, 0x7a, 0x85, 0xff}, {0xb5, 0xe8, 0x90, 0xff}, {0xff, 0xd6, 0x8a, 0xff},
		{0x7c, 0xc4, 0xff, 0xff}, {0xde, 0x9b, 0xf0, 0xff}, {0x7f, 0xd8, 0xe0, 0xff}, {0xff, 0xff, 0xff, 0xff},
	}
	defaultFg = color.RGBA{0xd4, 0xd7, 0xdd, 0xff}
	// Background is the terminal background; freeze fills the window with it too.
	Background = color.RGBA{0x1e, 0x21, 0x27, 0xff}
)

// cells writes the emulator's screen as ANSI that spells every style out in full after
// a reset, with colours as RGB and reverse video already applied. freeze reads only a
// subset of SGR (no reverse, no default-colour resets, no 40-47 backgrounds), and the
// wizard marks its cursor rows with reverse video, so the emulator's own Render would
// lose them in the picture; a real terminal shows this output the same as Render's.
func cells(emu *vt.Emulator) string {
	var b strings.Builder
	for y := range emu.Height() {
		last := ""
		for x := 0; x < emu.Width(); x++ {
			c := emu.CellAt(x, y)
			content, width := " ", 1
			var st uv.Style
			if c != nil {
				if c.Width == 0 && c.Content == "" {
					// The second half of a wide character, drawn with the first.
					continue
				}
				st = c.Style
				if c.Content != "" {
					content, width = c.Content, c.Width
				}
			}
			if sgr := sgrFor(st); sgr != last {
				b.WriteString(sgr)
				last = sgr
			}
			b.WriteString(content)
			x += max(width, 1) - 1
		}
		b.WriteString("\x1b[0m")
		if y < emu.Height()-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// sgrFor is the reset and the full SGR sequence of st.
func sgrFor(st uv.Style) string {
	params := []string{"0"}
	fg, bg := st.Fg, st.Bg
	if st.Attrs&uv.AttrReverse != 0 {
		fg, bg = bg, fg
		if fg == nil {
			fg = Background
		}
		if bg == nil {
			bg = defaultFg
		}
	}
	if fg == nil {
		// freeze draws uncoloured text in its own theme's colour, not this one's.
		fg = defaultFg
	}
	if st.Attrs&uv.AttrBold != 0 {
		params = append(params, "1")
	}
	if st.Attrs&uv.AttrItalic != 0 {
		params = append(params, "3")
	}
	if st.Underline != uv.UnderlineNone {
		params = append(params, "4")
	}
	if st.Attrs&uv.AttrStrikethrough != 0 {
		params = append(params, "9")
	}
	r, g, b := rgb(fg, st.Attrs&uv.AttrFaint != 0)
	params = append(params, fmt.Sprintf("38;2;%d;%d;%d", r, g, b))
	if bg != nil {
		r, g, b := rgb(bg, false)
		params = append(params, fmt.Sprintf("48;2;%d;%d;%d", r, g, b))
	}
	return "\x1b[" + strings.Join(params, ";") + "m"
}

// rgb resolves c in the screenshots' theme; faint text is drawn half way to the
// background, as terminals do.
func rgb(c color.Color, faint bool) (r, g, b uint8) {
	switch v := c.(type) {
	case ansi.BasicColor:
		c = palette[v%16]
	case ansi.IndexedColor:
		if v < 16 {
			c = palette[v]
		}
	}
	r32, g32, b32, _ := c.RGBA()
	r32, g32, b32 = r32>>8, g32>>8, b32>>8
	if faint {
		r32, g32, b32 = (r32+uint32(Background.R))/2, (g32+uint32(Background.G))/2, (b32+uint32(Background.B))/2
	}
	return uint8(r32), uint8(g32), uint8(b32)
}

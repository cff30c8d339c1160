package ui

import (
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// fit clips text to exactly h lines of at most w cells, so no screen ever draws past
// the terminal whatever its content.
func fit(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = clip(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// clip cuts one line to w cells.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad right-pads one line to w cells.
func pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := width(s)
	if n > w {
		s = ansi.Truncate(s, w, "…")
		n = width(s)
	}
	if n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// width is ansi.StringWidth, made cheap for what the screens are mostly made of:
// printable ASCII and CSI sequences (the styles' colours), which it counts a byte at
// a time. ansi.StringWidth segments every character into grapheme clusters, and that
// was most of the run screen's View time. Any other character is measured as a
// cluster the way ansi.StringWidth does it, and anything unusual (other controls and
// escapes, bytes that cannot start UTF-8) is handed to ansi.StringWidth itself from a
// point where its parser is in the ground state, so the result is always the same.
func width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f && (i+1 == len(s) || s[i+1] < 0x80):
			// Only a non-ASCII character can join a printable ASCII one in a cluster.
			n++
			i++
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			// Parameter bytes, then intermediate bytes, then a final byte leave the
			// parser in the ground state having printed nothing. A parameter byte
			// after an intermediate one is malformed, and the parser's own reading
			// of it is the one to follow.
			j := i + 2
			for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f {
				j++
			}
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
				j++
			}
			if j == len(s) || s[j] < 0x40 || s[j] > 0x7e {
				return n + ansi.StringWidth(s[i:])
			}
			i = j + 1
		case c >= 0xc2 && c <= 0xf4:
			r, size := utf8.DecodeRuneInString(s[i:])
			if i+size == len(s) || s[i+size] < 0x80 {
				if rw := loneRuneWidth(r); rw >= 0 {
					n += rw
					i += size
					continue
				}
			}
			cluster, cw := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
			n += cw
			i += len(cluster)
		case c >= 0x20 && c < 0x7f:
			cluster, cw := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
			n += cw
			i += len(cluster)
		default:
			return n + ansi.StringWidth(s[i:])
		}
	}
	return n
}

// loneRunes holds, for the runes from U+00A0 to U+28FF (Latin-1, punctuation,
// arrows, box drawing, shapes, dingbats, braille: where the screens' glyphs are),
// the width of the rune as a cluster of its own, plus 2 so that zero means "not
// asked yet" and 1 means "an ASCII character after it joins its cluster". Each entry
// is asked of ansi once, so it agrees with ansi.StringWidth by construction; the
// borders and glyphs on every line then cost a lookup, not a grapheme segmentation.
var loneRunes [loneRunesEnd - loneRunesStart]atomic.Int32

const loneRunesStart, loneRunesEnd = 0xa0, 0x2900

// loneRuneWidth is the width of r as a grapheme cluster when what follows it is
// ASCII (or nothing), or -1 when that is not known or r would join what follows.
// Only a non-ASCII character can extend a cluster, except after a Prepend rune,
// which joins any printable character; 'a' stands for all of them.
func loneRuneWidth(r rune) int {
	if r < loneRunesStart || r >= loneRunesEnd {
		return -1
	}
	e := &loneRunes[r-loneRunesStart]
	v := e.Load()
	if v == 0 {
		one := string(r)
		cluster, w := ansi.FirstGraphemeCluster(one+"a", ansi.GraphemeWidth)
		v = int32(w) + 2
		if cluster != one {
			v = 1
		}
		e.Store(v)
	}
	return int(v) - 2
}

// box draws a bordered pane of outer size w×h with a title in the top border. The
// border is drawn by hand so the title sits in it and the ASCII set can replace it.
func (c *Common) box(focused bool, title, body string, w, h int) string {
	if w < 4 || h < 3 {
		return fit(body, w, h)
	}
	st := &c.Styles.Muted
	if focused {
		st = &c.Styles.Accent
	}
	g := c.Glyphs
	t := ""
	if title != "" {
		t = clip(" "+title+" ", w-4)
	}
	top := g.TL + g.H + t + strings.Repeat(g.H, max(0, w-3-width(t))) + g.TR
	lines := make([]string, 0, h)
	lines = append(lines, c.Styles.paint(st, top))
	// Every side is the same styled glyph: render it once, not twice a line.
	v := c.Styles.paint(st, g.V)
	for _, l := range strings.Split(fit(body, w-2, h-2), "\n") {
		lines = append(lines, v+pad(l, w-2)+v)
	}
	lines = append(lines, c.Styles.paint(st, g.BL+strings.Repeat(g.H, w-2)+g.BR))
	return strings.Join(lines, "\n")
}

// padBlock pads every line of a block to w cells so borders line up.
func padBlock(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = pad(l, w)
	}
	return strings.Join(lines, "\n")
}

// joinColumns puts blocks side by side, each padded to its width. It does what
// lipgloss.JoinHorizontal(lipgloss.Top, …) does with the padded blocks, measuring
// with width instead of ansi.StringWidth and without copying every block to split
// it; blocks with tabs or carriage returns, which JoinHorizontal rewrites, still go
// through it.
func joinColumns(widths []int, blocks ...string) string {
	if len(blocks) == 1 {
		return padBlock(blocks[0], widths[0])
	}
	for _, b := range blocks {
		if strings.ContainsAny(b, "\t\r") {
			parts := make([]string, len(blocks))
			for i, b := range blocks {
				parts[i] = padBlock(b, widths[i])
			}
			return lipgloss.JoinHorizontal(lipgloss.Top, parts...)
		}
	}
	cols := make([][]string, len(blocks))
	lineW := make([][]int, len(blocks))
	maxW := make([]int, len(blocks))
	rows, size := 0, 0
	for i, b := range blocks {
		cols[i] = strings.Split(b, "\n")
		lineW[i] = make([]int, len(cols[i]))
		for j, l := range cols[i] {
			// Measured again after padding: a character that joins what follows
			// (a Prepend rune) can take a padding space into its cluster.
			cols[i][j] = pad(l, widths[i])
			lineW[i][j] = width(cols[i][j])
			maxW[i] = max(maxW[i], lineW[i][j])
			size += len(cols[i][j])
		}
		rows = max(rows, len(cols[i]))
	}
	var sb strings.Builder
	for _, w := range maxW {
		size += rows * w
	}
	sb.Grow(size + rows)
	for r := range rows {
		if r > 0 {
			sb.WriteByte('\n')
		}
		for i := range cols {
			n := 0
			if r < len(cols[i]) {
				sb.WriteString(cols[i][r])
				n = lineW[i][r]
			}
			writeSpaces(&sb, maxW[i]-n)
		}
	}
	return sb.String()
}

// writeSpaces writes n spaces without building a string for them.
func writeSpaces(sb *strings.Builder, n int) {
	const spaces = "                                                                "
	for n > 0 {
		k := min(n, len(spaces))
		sb.WriteString(spaces[:k])
		n -= k
	}
}

package ui

import (
	"strings"

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
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad right-pads one line to w cells.
func pad(s string, w int) string {
	s = clip(s, w)
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// box draws a bordered pane of outer size w×h with a title in the top border. The
// border is drawn by hand so the title sits in it and the ASCII set can replace it.
func (c *Common) box(focused bool, title, body string, w, h int) string {
	if w < 4 || h < 3 {
		return fit(body, w, h)
	}
	st := c.Styles.Muted
	if focused {
		st = c.Styles.Accent
	}
	g := c.Glyphs
	t := ""
	if title != "" {
		t = clip(" "+title+" ", w-4)
	}
	top := g.TL + g.H + t + strings.Repeat(g.H, max(0, w-3-ansi.StringWidth(t))) + g.TR
	lines := []string{st.Render(top)}
	for _, l := range strings.Split(fit(body, w-2, h-2), "\n") {
		lines = append(lines, st.Render(g.V)+pad(l, w-2)+st.Render(g.V))
	}
	lines = append(lines, st.Render(g.BL+strings.Repeat(g.H, w-2)+g.BR))
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

// joinColumns puts blocks side by side, each padded to its width.
func joinColumns(widths []int, blocks ...string) string {
	parts := make([]string, len(blocks))
	for i, b := range blocks {
		parts[i] = padBlock(b, widths[i])
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, parts...)
}

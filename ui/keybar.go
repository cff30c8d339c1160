package ui

import (
	"strings"
)

// keyBar renders the focused screen's keys on one line, or all of them with their
// descriptions when long help is on. The primary key is highlighted; disabled keys
// are left out of the line and listed with why in the long help (pressing them says
// why too).
func (m *model) keyBar(w int) string {
	st := m.c.Styles
	bs := m.bindings()
	item := func(b binding) string {
		h := b.Help()
		switch {
		case b.disabled != "":
			return st.paint(&st.KeyDisabled, h.Key+" "+h.Desc)
		case b.primary:
			return st.paint(&st.Selected, h.Key) + " " + h.Desc
		}
		return st.paint(&st.Key, h.Key) + " " + st.paint(&st.Muted, h.Desc)
	}
	if !m.longHelp {
		var parts []string
		for _, b := range shortBar(bs, w) {
			parts = append(parts, item(b))
		}
		return clip(strings.Join(parts, st.paint(&st.Muted, " · ")), w)
	}
	var lines []string
	colW := 28
	cols := max(1, w/colW)
	var row []string
	for _, b := range bs {
		it := item(b)
		if b.disabled != "" {
			it += st.Muted.Render(" (" + b.disabled + ")")
		}
		row = append(row, pad(it, colW))
		if len(row) == cols {
			lines = append(lines, clip(strings.Join(row, ""), w))
			row = nil
		}
	}
	if len(row) > 0 {
		lines = append(lines, clip(strings.Join(row, ""), w))
	}
	return strings.Join(lines, "\n")
}

// shortBar is the keys of the one-line bar that fit in w cells, in the screen's
// order: the enabled ones, the primary key, going back and quitting first, then the
// others as long as they fit.
func shortBar(bs []binding, w int) []binding {
	important := func(b binding) bool {
		k := b.Help().Key
		return b.primary || k == "esc" || k == "q" || k == "ctrl+c" || k == "?"
	}
	keep := make([]bool, len(bs))
	used := 0
	for _, pass := range []bool{true, false} {
		for i, b := range bs {
			if b.disabled != "" || keep[i] || important(b) != pass {
				continue
			}
			n := width(b.Help().Key+" "+b.Help().Desc) + 3
			if used+n > w+3 && used > 0 {
				continue
			}
			keep[i] = true
			used += n
		}
	}
	var out []binding
	for i, b := range bs {
		if keep[i] {
			out = append(out, b)
		}
	}
	return out
}

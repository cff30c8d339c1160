package ui

import (
	"strings"
)

// keyBar renders the focused screen's keys on one line, or all of them with their
// descriptions when long help is on. The primary key is highlighted; disabled keys
// are struck through (pressing them says why).
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
		used := 0
		for _, b := range bs {
			it := item(b)
			n := width(it) + 3
			if used+n > w && len(parts) > 0 {
				break
			}
			parts = append(parts, it)
			used += n
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

package ui

import (
	"fmt"
	"strings"
)

func (q *questionsScreen) render(m *model, w, h int) string {
	st, g := m.c.Styles, m.c.Glyphs
	fw, _, pw, side := q.layout(m)
	grp := q.group()
	head := st.Header.Render(fmt.Sprintf("Questions %d/%d", grp+1, len(questionGroups))) + st.Muted.Render(" "+g.Dot+" "+questionGroups[grp])
	form := q.form.View()
	var panel []string
	cur := q.focused()
	for _, qu := range q.qs {
		if qu.group != grp {
			continue
		}
		mark := "  "
		if qu == cur {
			mark = g.Cursor + " "
		}
		panel = append(panel, mark+q.status(m, qu))
	}
	if cur != nil && q.showHelp {
		panel = append(panel, "", st.Header.Render(cur.title))
		panel = append(panel, wrap(cur.help, pw-2)...)
	} else if cur != nil {
		panel = append(panel, "", st.Muted.Render("f1: more about "+cur.title))
	}
	if side {
		body := joinColumns([]int{fw + 2, pw}, form, m.c.box(false, "Checks", strings.Join(panel, "\n"), pw, h-1))
		return head + "\n" + fit(body, w, h-1)
	}
	// Narrow: the focused field's line only, below the form.
	var short []string
	for _, l := range panel {
		if strings.HasPrefix(l, g.Cursor) {
			short = append(short, l)
		}
	}
	if cur != nil && q.showHelp {
		short = append(short, wrap(cur.help, w)...)
	}
	return head + "\n" + fit(form, w, h-1-len(short)) + "\n" + strings.Join(short, "\n")
}

// status is one question's line: the syntax result as typed, then the network check.
func (q *questionsScreen) status(m *model, qu *question) string {
	st, g := m.c.Styles, m.c.Glyphs
	v := strings.TrimSpace(*qu.value)
	if qu.validate != nil {
		if err := q.redacted(qu)(*qu.value); err != nil {
			return st.Fail.Render(g.Fail) + " " + qu.title + ": " + m.c.Redact(err.Error())
		}
	}
	if qu.secret != nil {
		if v == "" {
			return st.Muted.Render(g.Pending) + " " + qu.title + ": not set"
		}
		return st.OK.Render(g.OK) + " " + qu.title + ": set (" + fmt.Sprint(len([]rune(*qu.value))) + " characters)"
	}
	if !qu.network || v == "" {
		return st.OK.Render(g.OK) + " " + qu.title
	}
	r, ok := q.checks[checkKey(qu.key, v)]
	switch {
	case !ok:
		return st.Run.Render(m.spinner()) + " " + qu.title + ": checking…"
	case r.Warning:
		return st.Warn.Render(g.Warn) + " " + qu.title + ": " + m.c.Redact(r.Message)
	case r.OK:
		return st.OK.Render(g.OK) + " " + qu.title + ": " + m.c.Redact(r.Message)
	}
	return st.Fail.Render(g.Fail) + " " + qu.title + ": " + m.c.Redact(r.Message)
}

package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
)

func (q *questionsScreen) render(m *model, w, h int) string {
	st, g := m.c.Styles, m.c.Glyphs
	fw, _, pw, side := q.layout(m)
	grp := q.group()
	head := []string{st.Header.Render(fmt.Sprintf("Questions %d/%d", grp+1, len(questionGroups))) + st.Muted.Render(" "+g.Dot+" "+questionGroups[grp])}
	ps := q.problems(m, "", "")
	// Settings only the answer file holds cannot be fixed here; they are named with
	// their lines, as validate --offline names them, above the page they belong with.
	for _, p := range q.otherProblemsOf(grp, ps) {
		for _, l := range wrap(g.Fail+" "+m.c.Redact(p)+" (in the answer file)", w) {
			head = append(head, st.Fail.Render(l))
		}
	}
	form := q.form.View()
	cur := q.focused()
	bodyH := h - len(head)
	if side {
		var panel []string
		for _, qu := range q.qs {
			if qu.group != grp {
				continue
			}
			mark := "  "
			if qu == cur {
				mark = g.Cursor + " "
			}
			panel = append(panel, clip(mark+q.mark(m, qu, ps)+" "+qu.title, pw-2))
		}
		if cur != nil {
			panel = append(panel, "", st.Header.Render(cur.title))
			panel = append(panel, wrap(cur.help, pw-2)...)
		}
		body := joinColumns([]int{fw + 2, pw}, form, m.c.box(false, "Checks", strings.Join(panel, "\n"), pw, bodyH))
		return strings.Join(head, "\n") + "\n" + fit(body, w, bodyH)
	}
	// Narrow: the field help, when asked for, below the form.
	var short []string
	if cur != nil && q.showHelp {
		short = append(short, wrap(cur.help, w)...)
	} else if cur != nil {
		short = append(short, st.Muted.Render(clip(m.c.Keys.FieldHelp.Help().Key+": more about "+cur.title, w)))
	}
	return strings.Join(head, "\n") + "\n" + fit(form, w, bodyH-len(short)) + "\n" + strings.Join(short, "\n")
}

// mark is one glyph for a question's state: a problem or a failed check, a warning,
// a check running, or fine.
func (q *questionsScreen) mark(m *model, qu *question, ps fieldProblems) string {
	st, g := m.c.Styles, m.c.Glyphs
	if len(q.shownProblems(m, qu, ps)) > 0 {
		return st.Fail.Render(g.Fail)
	}
	v := strings.TrimSpace(*qu.value)
	if !qu.network || v == "" {
		return st.OK.Render(g.OK)
	}
	r, ok := q.checks[checkKey(qu.key, v)]
	switch {
	case !ok:
		return st.Run.Render(m.spinner())
	case r.Warning || !r.OK && q.acceptedFor(qu) != "":
		return st.Warn.Render(g.Warn)
	case r.OK:
		return st.OK.Render(g.OK)
	}
	return st.Fail.Render(g.Fail)
}

// statusLines are what a question's checks found, shown under its title in full and
// wrapped at words to w: every problem of validate --offline's rules there, then the
// network check.
func (q *questionsScreen) statusLines(m *model, qu *question, ps fieldProblems, w int) []string {
	st, g := m.c.Styles, m.c.Glyphs
	var out []string
	add := func(style *lipgloss.Style, text string) {
		for _, l := range wrap(text, w) {
			out = append(out, style.Render(l))
		}
	}
	for _, p := range q.shownProblems(m, qu, ps) {
		add(&st.Fail, g.Fail+" "+p)
	}
	if len(out) > 0 {
		return out
	}
	v := strings.TrimSpace(*qu.value)
	if qu.secret != nil {
		if v == "" {
			add(&st.Muted, g.Pending+" not set")
		} else {
			add(&st.OK, g.OK+" set ("+fmt.Sprint(len([]rune(*qu.value)))+" characters)")
		}
		return out
	}
	if !qu.network || v == "" {
		return nil
	}
	r, ok := q.checks[checkKey(qu.key, v)]
	msg := m.c.Redact(r.Message)
	switch {
	case !ok:
		add(&st.Run, m.spinner()+" checking from the primary node"+g.Ellipsis)
	case r.Warning:
		add(&st.Warn, g.Warn+" "+msg)
	case r.OK:
		add(&st.OK, g.OK+" "+msg)
	case q.acceptedFor(qu) != "":
		add(&st.Warn, g.Warn+" "+msg+" (accepted)")
	default:
		add(&st.Fail, g.Fail+" "+msg)
	}
	return out
}

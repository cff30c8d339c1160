package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// reviewScreen lists every answer by group after the last question (secrets only as
// set or not set). Enter opens one question and comes back here; n goes on to the
// preflight checks.
type reviewScreen struct {
	cursor int
}

// reviewRow is a group's title (q nil) or one question under it.
type reviewRow struct {
	group int
	q     *question
}

func (r *reviewScreen) rows(m *model) []reviewRow {
	var rows []reviewRow
	for g := range questionGroups {
		rows = append(rows, reviewRow{group: g})
		for _, qu := range m.questions.qs {
			if qu.group == g {
				rows = append(rows, reviewRow{group: g, q: qu})
			}
		}
	}
	return rows
}

// questionRows are the indexes of the rows the cursor can rest on.
func (r *reviewScreen) questionRows(rows []reviewRow) []int {
	var idx []int
	for i, row := range rows {
		if row.q != nil {
			idx = append(idx, i)
		}
	}
	return idx
}

func (r *reviewScreen) bindings(m *model) []binding {
	k := m.c.Keys
	return []binding{
		primary(key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "run the preflight checks"))),
		on(key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "change this answer"))),
		on(k.Up), on(k.Down), on(k.Save), on(k.Back),
	}
}

func (r *reviewScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	n := len(r.questionRows(r.rows(m)))
	switch {
	case key.Matches(msg, k.Up):
		r.cursor = max(0, r.cursor-1)
	case key.Matches(msg, k.Down):
		r.cursor = min(max(0, n-1), r.cursor+1)
	case key.Matches(msg, k.Enter):
		if qu := r.selected(m); qu != nil {
			return m.questions.edit(m, qu)
		}
	case key.Matches(msg, k.Save):
		return m.questions.askSave(m)
	case key.Matches(msg, k.Continue):
		return m.questions.proceed(m)
	case key.Matches(msg, k.Back):
		return m.questions.restart(m)
	}
	return nil
}

// selected is the question under the cursor.
func (r *reviewScreen) selected(m *model) *question {
	rows := r.rows(m)
	idx := r.questionRows(rows)
	if len(idx) == 0 {
		return nil
	}
	return rows[idx[min(r.cursor, len(idx)-1)]].q
}

// focus puts the cursor on a question, after it was edited.
func (r *reviewScreen) focus(m *model, qu *question) {
	rows := r.rows(m)
	for i, at := range r.questionRows(rows) {
		if rows[at].q == qu {
			r.cursor = i
		}
	}
}

// shown is a question's answer as the review lists it.
func (r *reviewScreen) shown(m *model, qu *question) string {
	v := strings.TrimSpace(*qu.value)
	switch {
	case qu.secret != nil:
		if *qu.value != "" || !m.s.Get(qu.secret.Env).IsZero() {
			return "set"
		}
		return "not set"
	case v == "" && qu.options != nil:
		return "detect from the nodes"
	case v == "":
		return "(none)"
	}
	return m.c.Redact(v)
}

func (r *reviewScreen) render(m *model, w, h int) string {
	st, g := m.c.Styles, m.c.Glyphs
	rows := r.rows(m)
	idx := r.questionRows(rows)
	cur := -1
	if len(idx) > 0 {
		cur = idx[min(r.cursor, len(idx)-1)]
	}
	head := []string{st.Header.Render("Review") + st.Muted.Render(" every answer; enter changes one, n runs the preflight checks")}
	titleW := min(34, w/2)
	var lines []string
	curLine := 0
	for i, row := range rows {
		if row.q == nil {
			lines = append(lines, st.Accent.Render(questionGroups[row.group]))
			continue
		}
		mark, acc := "  ", ""
		if err := m.questions.blocking(m, row.q, *row.q.value); err != nil {
			mark = st.Fail.Render(g.Fail) + " "
		} else if acc = m.questions.acceptedFor(row.q); acc != "" {
			mark = st.Warn.Render(g.Warn) + " "
		}
		line := mark + pad(clip(row.q.title, titleW-1), titleW) + r.shown(m, row.q)
		if i == cur {
			curLine = len(lines)
			line = st.Selected.Render(pad(ansiStrip(line), w))
		}
		lines = append(lines, clip(line, w))
		// A failed check the user went on with is listed in full under its answer.
		if acc != "" {
			for _, l := range wrap("(accepted: "+acc+")", w-titleW) {
				lines = append(lines, strings.Repeat(" ", titleW)+st.Warn.Render(l))
			}
		}
	}
	room := max(1, h-len(head))
	top := 0
	if curLine >= room {
		top = curLine - room + 1
	}
	lines = lines[top:]
	return fit(strings.Join(append(head, lines...), "\n"), w, h)
}

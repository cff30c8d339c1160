package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
)

// leavesPage says whether key would move the cursor off the focused page: a next key
// on its last question.
func (q *questionsScreen) leavesPage(msg tea.KeyPressMsg) bool {
	if s := msg.String(); s != "enter" && s != "tab" {
		return false
	}
	cur := q.focused()
	if cur == nil {
		return false
	}
	last := cur
	for _, qu := range q.qs {
		if qu.group == cur.group {
			last = qu
		}
	}
	return cur == last || q.editing != nil
}

// unaccepted is the first question of the focused page whose network check failed
// for its current value and was not accepted; nil when there is none.
func (q *questionsScreen) unaccepted(m *model) *question {
	cur := q.focused()
	if cur == nil {
		return nil
	}
	for _, qu := range q.qs {
		if qu.group != cur.group || !qu.network {
			continue
		}
		ck := checkKey(qu.key, strings.TrimSpace(*qu.value))
		r, ok := q.checks[ck]
		if _, acc := q.accepted[ck]; ok && !r.OK && !r.Warning && !acc {
			return qu
		}
	}
	return nil
}

// accept records that the user goes on with every failed network check of the
// focused page, and says so.
func (q *questionsScreen) accept(m *model) {
	var names []string
	for qu := q.unaccepted(m); qu != nil; qu = q.unaccepted(m) {
		ck := checkKey(qu.key, strings.TrimSpace(*qu.value))
		q.accepted[ck] = m.c.Redact(q.checks[ck].Message)
		names = append(names, qu.title)
	}
	if len(names) == 0 {
		m.flash = "No failed network check on this page to accept."
		return
	}
	m.flash = "Accepted the failed check of " + strings.Join(names, ", ") + "; the review lists it."
	q.refresh(m)
}

// acceptedFor is the message of the failed check the user accepted for the question's
// current value; empty when none was.
func (q *questionsScreen) acceptedFor(qu *question) string {
	return q.accepted[checkKey(qu.key, strings.TrimSpace(*qu.value))]
}

// refresh writes under each question of the focused page what its checks found, in
// full (the form wraps it to its width), and has the form lay the page out again.
func (q *questionsScreen) refresh(m *model) {
	if q.form == nil {
		return
	}
	ps := q.problems(m, "", "")
	fw, _, _, _ := q.layout(m)
	// The form's own wrap cuts a long word where the line ends; these wrap at words,
	// inside the field's frame.
	w := max(fw-4, 16)
	for _, qu := range q.qs {
		set := q.describe[qu.key]
		if set == nil {
			continue
		}
		set(strings.Join(append(wrap(qu.desc, w), q.statusLines(m, qu, ps, w)...), "\n"))
	}
	f, _ := q.form.Update(fieldsCheckedMsg{})
	q.form = f.(*huh.Form)
}

// fieldsCheckedMsg has the form lay out again the texts refresh changed.
type fieldsCheckedMsg struct{}

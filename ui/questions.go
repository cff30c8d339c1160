package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/ssisha/ssisha/steps/answers"
)

// questionsScreen asks for the answers in groups with a huh form. Every rule of
// validate --offline runs as the user types and shows under the field it is about (a
// rule across two fields under both), and a problem keeps the cursor in the field;
// network facts are checked in the background, cached per field and value, shown
// under the field, and a failed one holds the page until it is fixed or accepted.
type questionsScreen struct {
	qs       []*question
	byKey    map[string]*question
	form     *huh.Form
	checks   map[string]FieldCheck // field + "\x00" + value
	inFlight map[string]bool
	// describe sets the text under a question's title: its description, then what
	// its checks found.
	describe map[string]func(string)
	// accepted are the failed network checks the user chose to go on with, by field
	// and value, with their message; the review lists them.
	accepted map[string]string
	showHelp bool
	errs     answers.FieldErrors
	// lastSig and lastProblems remember the last problems computed, by the values
	// they were computed from.
	lastSig      string
	lastProblems fieldProblems
	// editing is the one question opened from the review, and before its answer then.
	editing *question
	before  string
}

// debounce is how long typing must pause before a network check starts.
const debounce = 400 * time.Millisecond

func checkKey(field, value string) string { return field + "\x00" + value }

func newQuestionsScreen(m *model) *questionsScreen {
	q := &questionsScreen{checks: map[string]FieldCheck{}, inFlight: map[string]bool{}, accepted: map[string]string{}}
	q.build(m)
	return q
}

// build (re)creates the form from the current answers.
func (q *questionsScreen) build(m *model) {
	q.qs = newQuestions(m.a, m.s)
	q.byKey = map[string]*question{}
	q.describe = map[string]func(string){}
	q.editing = nil
	groups := make([][]huh.Field, len(questionGroups))
	for _, qu := range q.qs {
		q.byKey[qu.key] = qu
		groups[qu.group] = append(groups[qu.group], q.field(m, qu))
	}
	var hg []*huh.Group
	for i, fs := range groups {
		if len(fs) == 0 {
			fs = []huh.Field{huh.NewNote().Title(questionGroups[i]).Description("Nothing to ask: every secret these answers need is already set.")}
		}
		hg = append(hg, huh.NewGroup(fs...).Title(questionGroups[i]))
	}
	q.setForm(m, hg...)
}

// field is the form field that asks one question.
func (q *questionsScreen) field(m *model, qu *question) huh.Field {
	rule := func(v string) error { return q.blocking(m, qu, v) }
	if qu.options != nil {
		var opts []huh.Option[string]
		for _, o := range qu.options {
			label := o
			if o == "" {
				label = "detect from the nodes"
			}
			opts = append(opts, huh.NewOption(label, o))
		}
		sel := huh.NewSelect[string]().Key(qu.key).Title(qu.title).Description(qu.desc).Options(opts...).Value(qu.value).Inline(true).Validate(rule)
		q.describe[qu.key] = func(d string) { sel.Description(d) }
		return sel
	}
	in := huh.NewInput().Key(qu.key).Title(qu.title).Description(qu.desc).Value(qu.value).Validate(rule)
	q.describe[qu.key] = func(d string) { in.Description(d) }
	if qu.secret != nil {
		in = in.EchoMode(huh.EchoModePassword)
	}
	return in
}

func (q *questionsScreen) setForm(m *model, groups ...*huh.Group) {
	theme := huh.ThemeFunc(huh.ThemeCharm)
	if !m.c.Styles.color {
		theme = huh.ThemeFunc(huh.ThemeBase)
	}
	// The problems show under their own fields (refresh), so the form's footer, which
	// would repeat them under the page's last field, stays off.
	q.form = huh.NewForm(groups...).WithShowHelp(false).WithShowErrors(false).WithTheme(theme)
	q.resize(m)
	q.form.Init()
	q.refresh(m)
}

// edit opens one question from the review; finishing it (or Esc, which keeps the
// answer as it was) returns to the review.
func (q *questionsScreen) edit(m *model, qu *question) tea.Cmd {
	q.editing, q.before = qu, *qu.value
	q.setForm(m, huh.NewGroup(q.field(m, qu)).Title(questionGroups[qu.group]))
	m.goTo(scrQuestions)
	return tea.Batch(q.form.Init(), q.scheduleCheck(m, qu))
}

// restart asks the questions again from the first page, with the answers so far.
func (q *questionsScreen) restart(m *model) tea.Cmd {
	q.build(m)
	m.goTo(scrQuestions)
	return tea.Batch(q.form.Init(), q.checkAll(m))
}

// proceed leaves the review for the preflight checks once every answer is valid; an
// invalid one is opened instead, with its problem.
func (q *questionsScreen) proceed(m *model) tea.Cmd {
	for _, qu := range q.qs {
		if err := q.blocking(m, qu, *qu.value); err != nil {
			cmd := q.edit(m, qu)
			m.flash = qu.title + ": " + m.c.Redact(err.Error())
			return cmd
		}
	}
	if err := q.commit(m); err != nil {
		m.flash = m.c.Redact(err.Error())
		return nil
	}
	return m.startPreflight()
}

// askSave offers to save the answers (never the secrets) to a file.
func (q *questionsScreen) askSave(m *model) tea.Cmd {
	m.dlg = promptFor("Save answers (secrets are never written)", "Path of the answer file", m.answersFile(), func(m *model, p string) tea.Cmd {
		return m.questions.save(m, p)
	})
	return nil
}

// redacted wraps a question's validator so an error never carries a secret's value.
func (q *questionsScreen) redacted(qu *question) func(string) error {
	return func(v string) error {
		if qu.validate == nil {
			return nil
		}
		err := qu.validate(v)
		if err != nil && qu.secret != nil && v != "" {
			return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), v, "<secret>"))
		}
		return err
	}
}

func (q *questionsScreen) layout(m *model) (formW, formH, panelW int, side bool) {
	w, h := m.c.Width, m.c.Height-3
	if w >= 100 {
		// The panel takes its share of the width, so the help in it wraps less as
		// the terminal grows.
		pw := max(40, w*2/5)
		return w - pw - 2, h - 1, pw, true
	}
	return w, h - 2, w, false
}

func (q *questionsScreen) resize(m *model) {
	fw, fh, _, _ := q.layout(m)
	q.form.WithWidth(max(fw, 20)).WithHeight(max(fh, 5))
}

// focused is the question that has the cursor.
func (q *questionsScreen) focused() *question {
	if f := q.form.GetFocusedField(); f != nil {
		return q.byKey[f.GetKey()]
	}
	return nil
}

func (q *questionsScreen) bindings(m *model) []binding {
	k := m.c.Keys
	return []binding{
		primary(key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next"))),
		on(key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous"))),
		onIf(k.Accept, q.unaccepted(m) != nil, "no failed network check on this page"),
		on(k.FieldHelp), on(k.Save), on(k.Back),
	}
}

func (q *questionsScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.FieldHelp):
		q.showHelp = !q.showHelp
		return nil
	case key.Matches(msg, k.Save):
		return q.askSave(m)
	case key.Matches(msg, k.Accept):
		q.accept(m)
		return nil
	case q.leavesPage(msg) && q.unaccepted(m) != nil:
		qu := q.unaccepted(m)
		m.flash = qu.title + ": " + m.c.Redact(q.checks[checkKey(qu.key, strings.TrimSpace(*qu.value))].Message) + ". Correct it, or press " + k.Accept.Help().Key + " to go on with it."
		return nil
	case key.Matches(msg, k.Back) && q.editing != nil:
		*q.editing.value = q.before
		m.review.focus(m, q.editing)
		q.editing = nil
		m.goTo(scrReview)
		return nil
	case key.Matches(msg, k.Back):
		m.goTo(scrStart)
		return nil
	}
	return q.forward(m, msg)
}

// forward hands a message to the form, then starts the checks its new value needs and
// leaves when the form is complete.
func (q *questionsScreen) forward(m *model, msg tea.Msg) tea.Cmd {
	f, cmd := q.form.Update(msg)
	q.form = f.(*huh.Form)
	cmds := []tea.Cmd{cmd}
	if fq := q.focused(); fq != nil {
		cmds = append(cmds, q.scheduleCheck(m, fq))
	}
	if q.form.State == huh.StateCompleted {
		cmds = append(cmds, q.finish(m))
	} else {
		q.refresh(m)
	}
	return tea.Batch(cmds...)
}

// scheduleCheck asks for a network check of the question's current value once typing
// pauses; valid syntax first, and never twice for the same value.
func (q *questionsScreen) scheduleCheck(m *model, qu *question) tea.Cmd {
	if !qu.network || m.backend == nil {
		return nil
	}
	v := strings.TrimSpace(*qu.value)
	if v == "" || (qu.validate != nil && qu.validate(v) != nil) {
		return nil
	}
	ck := checkKey(qu.key, v)
	if _, ok := q.checks[ck]; ok || q.inFlight[ck] {
		return nil
	}
	due := fieldCheckDueMsg{field: qu.key, value: v}
	if m.c.Static {
		return func() tea.Msg { return due }
	}
	return tea.Tick(debounce, func(time.Time) tea.Msg { return due })
}

// checkAll starts the checks of every prefilled network question.
func (q *questionsScreen) checkAll(m *model) tea.Cmd {
	var cmds []tea.Cmd
	for _, qu := range q.qs {
		cmds = append(cmds, q.scheduleCheck(m, qu))
	}
	return tea.Batch(cmds...)
}

func (q *questionsScreen) checkMsg(m *model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case fieldCheckDueMsg:
		qu := q.byKey[msg.field]
		ck := checkKey(msg.field, msg.value)
		if qu == nil || strings.TrimSpace(*qu.value) != msg.value || q.inFlight[ck] {
			return nil
		}
		if _, ok := q.checks[ck]; ok {
			return nil
		}
		q.inFlight[ck] = true
		a := q.snapshot(m)
		b, s, ctx := m.backend, m.s, m.ctx
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			return fieldCheckedMsg{field: msg.field, value: msg.value, result: b.CheckField(ctx, a, s, msg.field, msg.value)}
		}
	case fieldCheckedMsg:
		ck := checkKey(msg.field, msg.value)
		delete(q.inFlight, ck)
		q.checks[ck] = msg.result
		q.refresh(m)
	}
	return nil
}

// snapshot is a copy of the answers with what is typed so far, for a check.
func (q *questionsScreen) snapshot(m *model) *answers.Answers { return q.snapshotWith(m, "", "") }

// snapshotWith is snapshot with the question of key answered v (none when key is
// empty): the answers a field's value would make.
func (q *questionsScreen) snapshotWith(m *model, key, v string) *answers.Answers {
	cp := *m.a
	cp.Masters = append([]answers.Master(nil), m.a.Masters...)
	cp.Workers = append([]answers.Worker(nil), m.a.Workers...)
	values := map[string]string{}
	for _, qu := range q.qs {
		if qu.secret == nil {
			values[qu.key] = *qu.value
		}
	}
	if key != "" {
		values[key] = v
	}
	answers.ApplyFields(&cp, values)
	return &cp
}

func (q *questionsScreen) save(m *model, path string) tea.Cmd {
	a := q.snapshot(m)
	return func() tea.Msg {
		if err := answers.Save(path, a); err != nil {
			return answersSavedMsg{path: path, err: fmt.Errorf("save the answers to %s: %w; choose a folder you can write to", path, err)}
		}
		return answersSavedMsg{path: path}
	}
}

// finish writes the answers and secrets, checks the whole set, and shows the review,
// or goes back to the first group with a problem.
func (q *questionsScreen) finish(m *model) tea.Cmd {
	edited := q.editing
	q.editing = nil
	err := q.commit(m)
	if err != nil && edited == nil {
		m.flash = m.c.Redact(err.Error())
		q.build(m)
		return nil
	}
	if edited != nil {
		m.review.focus(m, edited)
	}
	m.goTo(scrReview)
	if err != nil {
		m.flash = m.c.Redact(err.Error())
	}
	return nil
}

// commit writes the answers and secrets and checks the whole set.
func (q *questionsScreen) commit(m *model) error {
	if err := applyQuestions(q.qs, m.a, m.s); err != nil {
		return err
	}
	m.c.Redactor.Add(m.s.All()...)
	q.errs = answers.Validate(m.a)
	if len(q.errs) > 0 {
		return fmt.Errorf("%d problem(s) in the answers; the first: %s", len(q.errs), q.errs[0].Error())
	}
	return nil
}

// group is the index of the page being asked.
func (q *questionsScreen) group() int {
	if fq := q.focused(); fq != nil {
		return fq.group
	}
	return len(questionGroups) - 1
}

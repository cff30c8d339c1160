package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/ssisha/ssisha/steps/answers"
)

// screenID names the screens in the order the flow visits them.
type screenID int

const (
	scrStart screenID = iota
	scrQuestions
	scrReview
	scrPreflight
	scrPlan
	scrRun
	scrSummary
	scrSteps
)

var screenNames = []string{"Start", "Questions", "Review", "Preflight", "Plan", "Run", "Summary", "Steps"}

// Model is the root of the wizard. It routes every message, owns focus and lays the
// screens out; the screens are plain structs it drives.
type Model struct{ *model }

type model struct {
	c           *Common
	backend     Backend
	a           *answers.Answers
	s           *answers.Secrets
	answersPath string
	// answersFromFile says the starting answers were read from answersPath; else that
	// path is only where saving writes.
	answersFromFile bool
	ctx             context.Context

	screen    screenID
	start     *startScreen
	questions *questionsScreen
	review    *reviewScreen
	preflight *preflightScreen
	plan      *planScreen
	run       *runScreen
	summary   *summaryScreen
	steps     *stepsScreen

	// irreversible are the actions plans said cannot be undone, for undo confirmations.
	irreversible []irreversibleNote

	dlg      *dialog
	flash    string
	longHelp bool

	// busy is the backend operation in flight, cancel stops it after running actions.
	busy   opKind
	cancel context.CancelFunc
	// cancelActions cancels the running actions themselves (see ActionsContext).
	cancelActions context.CancelFunc
	stop          stopState
	quitAfterRun  bool
	// afterPlan runs once the next plan is ready (retry, skip, resume re-detect first).
	afterPlan func(m *model) tea.Cmd
	spin      int
	ticking   bool
}

// NewModel builds the root model, for Run, tests and screenshots.
func NewModel(opts Options) Model {
	c := newCommon(opts)
	a, s := opts.startingAnswers()
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	m := &model{c: c, backend: opts.Backend, a: a, s: s, answersPath: opts.AnswersPath, ctx: ctx,
		answersFromFile: opts.Answers != nil && opts.AnswersPath != "" && fileExists(opts.AnswersPath)}
	m.start = &startScreen{}
	m.questions = newQuestionsScreen(m)
	m.review = &reviewScreen{}
	m.preflight = &preflightScreen{}
	m.plan = &planScreen{}
	m.run = newRunScreen()
	m.summary = &summaryScreen{}
	m.steps = &stepsScreen{}
	if opts.StartScreen == "steps" {
		m.screen = scrSteps
	}
	return Model{m}
}

// Init asks the journal about interrupted runs and, when starting on the steps
// screen, detects their state.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.findInterrupted()}
	if m.screen == scrSteps {
		cmds = append(cmds, m.startPlan())
	}
	return tea.Batch(cmds...)
}

func (m *model) findInterrupted() tea.Cmd {
	b, a := m.backend, m.a
	return func() tea.Msg { return interruptedFoundMsg{records: b.Interrupted(a)} }
}

// Update routes a message to the dialog, the root keys or the focused screen.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	return m, m.update(msg)
}

func (m *model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.questions.resize(m)
		return nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.dlg != nil {
			m.dlg.paste(msg.Content)
			return nil
		}
		if m.screen == scrQuestions {
			return m.questions.forward(m, msg)
		}
		return nil
	case tickMsg:
		m.ticking = false
		m.spin++
		return m.tick()
	case interruptedFoundMsg:
		m.start.records = msg.records
		return nil
	case eventsMsg:
		return m.events(msg)
	case fieldCheckDueMsg, fieldCheckedMsg:
		return m.questions.checkMsg(m, msg)
	case answersSavedMsg:
		m.flashResult(msg.err, "Answers saved to "+msg.path+" (without secrets).")
		return nil
	case answersLoadedMsg:
		return m.answersLoaded(msg)
	case bundleWrittenMsg:
		m.flashResult(msg.err, "Bundle written to "+msg.dir+".")
		return nil
	case reportExportedMsg:
		m.flashResult(msg.err, "Report written to "+msg.path+".")
		return nil
	}
	if m.screen == scrQuestions {
		return m.questions.forward(m, msg)
	}
	return nil
}

// flashResult says how a file the user asked for was written: the error, or done.
func (m *model) flashResult(err error, done string) {
	if err != nil {
		m.flash = m.c.Redact(err.Error())
	} else {
		m.flash = done
	}
}

// key handles the keys every screen shares, then hands the rest to the screen.
func (m *model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if m.dlg != nil {
		d := m.dlg
		closed, ok := d.update(k, msg)
		if !closed {
			return nil
		}
		m.dlg = nil
		if ok && d.onYes != nil {
			return d.onYes(m, strings.TrimSpace(string(d.value)))
		}
		if !ok && d.onNo != nil {
			return d.onNo(m)
		}
		return nil
	}
	m.flash = ""
	switch {
	case key.Matches(msg, k.Redraw):
		return func() tea.Msg { return tea.ClearScreen() }
	case msg.String() == "ctrl+c":
		return m.askQuit(true)
	}
	if m.screen == scrQuestions {
		return m.questions.key(m, msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.askQuit(false)
	case key.Matches(msg, k.Help), key.Matches(msg, k.FieldHelp):
		// F1 is help wherever the user is; on the questions it is the field's.
		m.longHelp = !m.longHelp
		return nil
	}
	for _, b := range m.bindings() {
		if b.disabled != "" && key.Matches(msg, b.Binding) {
			m.flash = b.Help().Desc + ": " + b.disabled
			return nil
		}
	}
	return m.current().key(m, msg)
}

// askQuit quits at once when nothing runs; during a run it offers to stop after the
// actions already running, so no node is left half-changed.
func (m *model) askQuit(ctrlC bool) tea.Cmd {
	if m.busy == opApply || m.busy == opRollback {
		return m.askStop(ctrlC)
	}
	if m.cancel != nil {
		m.cancel()
	}
	return tea.Quit
}

// fileExists reports whether path names a file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// Working reports whether the wizard waits for its backend: an operation or a network
// check in flight. A program that drives the wizard without a terminal waits for the
// messages of that work, and for no timer.
func (m Model) Working() bool {
	return m.busy != "" || len(m.questions.inFlight) > 0
}

// goTo switches screens.
func (m *model) goTo(s screenID) { m.screen = s; m.flash = "" }

// tick keeps the spinner turning while an operation runs.
func (m *model) tick() tea.Cmd {
	if m.busy == "" || m.c.Static || m.ticking {
		return nil
	}
	m.ticking = true
	d := 120 * time.Millisecond
	if m.c.LowBandwidth {
		d = time.Second
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return tickMsg{} })
}

// spinner is the glyph of a running thing; in low bandwidth it is a static marker and
// the elapsed time does the moving.
func (m *model) spinner() string {
	g := m.c.Glyphs.Spinner
	if m.c.LowBandwidth || m.c.Static {
		return g[0]
	}
	return g[m.spin%len(g)]
}

// bindings are the keys the focused screen offers now.
func (m *model) bindings() []binding {
	bs := m.current().bindings(m)
	k := m.c.Keys
	if m.screen == scrQuestions {
		// ? and q are typed into the fields there.
		return append(bs, on(k.QuitAnywhere), on(k.Redraw))
	}
	return append(bs, on(k.Help), on(k.Quit), on(k.Redraw))
}

// View lays out header, the focused screen, the status line and the key bar.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "ssisha"
	return v
}

func (m *model) render() string {
	w, h := m.c.Width, m.c.Height
	if w < 10 || h < 5 {
		return fit("ssisha: the terminal is too small", w, h)
	}
	bar := m.keyBar(w)
	barLines := strings.Count(bar, "\n") + 1
	status := m.statusLines(w, max(1, (h-2-barLines)/3))
	bodyH := h - 1 - len(status) - barLines
	body := m.current().render(m, w, bodyH)
	if m.dlg != nil {
		body = overlay(body, m.dlg.Render(m.c, w), w, bodyH)
	}
	out := strings.Join([]string{m.header(w), fit(body, w, bodyH), strings.Join(status, "\n"), bar}, "\n")
	if m.c.ASCII {
		// Whatever drew it (a screen, the form library, a message), --ascii prints
		// only ASCII.
		return asciiOnly(out)
	}
	return out
}

// statusLines is the status under the screen: what runs, or the last message, in full
// and wrapped at words (a file's problems one per line, as validate --offline lists
// them), in at most limit lines; a message longer than that says how much is left out.
func (m *model) statusLines(w, limit int) []string {
	st := m.c.Styles
	style, text := &st.Flash, ""
	switch t := m.stopText(); {
	case t != "" && m.busy != "":
		style, text = &st.Warn, m.spinner()+" "+t
	case m.flash != "":
		text = m.c.Redact(m.flash)
	case m.busy != "":
		style, text = &st.Run, m.spinner()+" "+strings.Replace(busyText(m.busy), "…", m.c.Glyphs.Ellipsis, 1)
	}
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		lines = append(lines, wrap(para, w)...)
	}
	if len(lines) > limit {
		more := fmt.Sprintf("(%d more lines: make the window taller to read them)", len(lines)-limit+1)
		lines = append(lines[:limit-1], clip(more, w))
	}
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return lines
}

func busyText(op opKind) string {
	switch op {
	case opPreflight:
		return "running preflight checks on every node…"
	case opPlan:
		return "detecting what is done on every node…"
	case opApply:
		return "applying…"
	case opRollback:
		return "rolling back…"
	case opVerify:
		return "verifying…"
	}
	return ""
}

// screenModel is what the root asks of every screen: its body at a size, the keys it
// offers now and what those keys do.
type screenModel interface {
	render(m *model, w, h int) string
	bindings(m *model) []binding
	key(m *model, msg tea.KeyPressMsg) tea.Cmd
}

// current is the focused screen.
func (m *model) current() screenModel {
	switch m.screen {
	case scrQuestions:
		return m.questions
	case scrReview:
		return m.review
	case scrPreflight:
		return m.preflight
	case scrPlan:
		return m.plan
	case scrRun:
		return m.run
	case scrSummary:
		return m.summary
	case scrSteps:
		return m.steps
	}
	return m.start
}

// header shows where the user is in the flow and which estate this is.
func (m *model) header(w int) string {
	st := m.c.Styles
	var crumbs []string
	for i, n := range screenNames {
		if screenID(i) == m.screen {
			crumbs = append(crumbs, st.paint(&st.Selected, " "+n+" "))
		} else {
			crumbs = append(crumbs, st.paint(&st.Muted, n))
		}
	}
	mode := "real cluster"
	if m.c.Lab {
		mode = "lab"
	}
	left := st.paint(&st.Title, "ssisha") + " " + strings.Join(crumbs, st.paint(&st.Muted, " "+m.c.Glyphs.Cursor+" "))
	right := st.paint(&st.Accent, "["+mode+"]")
	if width(left)+width(right)+1 > w {
		left = st.paint(&st.Title, "ssisha") + " " + st.paint(&st.Selected, " "+screenNames[m.screen]+" ")
	}
	gap := w - width(left) - width(right)
	if gap < 1 {
		return clip(left, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

// overlay centres a dialog over the body.
func overlay(body, dlg string, w, h int) string {
	bl := strings.Split(fit(body, w, h), "\n")
	dl := strings.Split(dlg, "\n")
	top := max(0, (h-len(dl))/2)
	dw := 0
	for _, l := range dl {
		dw = max(dw, width(l))
	}
	left := max(0, (w-dw)/2)
	for i, l := range dl {
		if top+i >= len(bl) {
			break
		}
		base := pad(ansi.Strip(bl[top+i]), w)
		bl[top+i] = clip(ansi.Cut(base, 0, left)+l+ansi.Cut(base, left+width(l), w), w)
	}
	return strings.Join(bl, "\n")
}

package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/engine"
)

// runScreen shows an apply or a rollback: the steps on the left, one pane per node,
// the command log, and the choices after a failure.
type runScreen struct {
	mode    opKind
	only    []int
	steps   []*stepState
	nodes   []*nodeState
	log     []logEntry
	changed map[int]bool
	tab     int
	// pinned is set once the user picks a pane; until then the focus follows the work.
	pinned     bool
	showLog    bool
	running    bool
	paused     bool
	report     *engine.Report
	err        string
	failedStep int
	failedHost string
}

func newRunScreen() *runScreen { return &runScreen{changed: map[int]bool{}} }

// begin resets the screen for a new run over the plan's steps and the estate's nodes.
func (r *runScreen) begin(m *model, mode opKind, p *engine.Plan, only []int) {
	changed := r.changed
	if changed == nil || mode == opApply && len(only) == 0 {
		changed = map[int]bool{}
	}
	*r = runScreen{mode: mode, only: only, running: true, changed: changed, showLog: r.showLog}
	if p != nil {
		for _, s := range p.Steps {
			if len(only) == 0 || slices.Contains(only, s.ID) {
				r.steps = append(r.steps, &stepState{id: s.ID, title: s.Title})
			}
		}
	}
	if mode == opRollback {
		sort.Slice(r.steps, func(i, j int) bool { return r.steps[i].id > r.steps[j].id })
	}
	for _, h := range m.a.MasterHosts() {
		r.node(h)
	}
	for _, h := range m.a.WorkerHosts() {
		r.node(h)
	}
}

func (r *runScreen) done(m *model, msg runDoneMsg) {
	r.running = false
	r.report = msg.report
	if msg.err != nil {
		r.err = m.c.Redact(msg.err.Error())
	}
	if msg.report != nil && msg.report.Status == engine.StatusCancelled {
		r.paused = true
	}
}

// remaining are the steps from the failed (or first unfinished) one on.
func (r *runScreen) remaining(from int) []int {
	var ids []int
	for _, s := range r.steps {
		if s.id >= from {
			ids = append(ids, s.id)
		}
	}
	return ids
}

func (r *runScreen) firstUnfinished() int {
	for _, s := range r.steps {
		if s.status != engine.StatusSucceeded && s.status != engine.StatusSkipped {
			return s.id
		}
	}
	return 0
}

func (r *runScreen) failed() bool { return !r.running && r.failedStep != 0 && r.mode == opApply }

func (r *runScreen) changedSteps() []int {
	var ids []int
	for id := range r.changed {
		ids = append(ids, id)
	}
	if r.failedStep != 0 && !r.changed[r.failedStep] {
		ids = append(ids, r.failedStep)
	}
	sort.Ints(ids)
	return ids
}

func (r *runScreen) bindings(m *model) []binding {
	k := m.c.Keys
	notRunning := "wait for the running actions to finish, or pause"
	pause := onIf(k.Pause, r.running, "nothing is running")
	retry := primary(k.Retry)
	switch {
	case r.running:
		retry = off(k.Retry, notRunning)
	case !r.failed() && !r.paused:
		retry = off(k.Retry, "no step failed")
	}
	if r.paused {
		retry.Binding.SetHelp("r", "resume")
	}
	skip := onIf(k.Skip, r.failed(), "no step failed")
	undo := on(k.Rollback)
	switch {
	case r.running:
		undo = off(k.Rollback, notRunning)
	case len(r.changedSteps()) == 0:
		undo = off(k.Rollback, "this run changed nothing yet")
	}
	bs := []binding{retry, skip, undo, pause}
	if _, all := r.visible(m, m.c.Width); !all {
		bs = append(bs, on(k.NextTab))
	}
	bs = append(bs, on(k.Log))
	if !r.running {
		bs = append(bs, on(key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "summary"))))
	}
	return bs
}

func (r *runScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.NextTab):
		if len(r.nodes) > 0 {
			r.tab, r.pinned = (r.tab+1)%len(r.nodes), true
		}
	case key.Matches(msg, k.PrevTab):
		if len(r.nodes) > 0 {
			r.tab, r.pinned = (r.tab+len(r.nodes)-1)%len(r.nodes), true
		}
	case key.Matches(msg, k.Log):
		r.showLog = !r.showLog
	case key.Matches(msg, k.Pause):
		m.dlg = confirm("Pause the run?", []string{"The actions running now finish; no new action starts. r resumes from where it stopped."}, "pause after running actions",
			func(m *model) tea.Cmd {
				if m.cancel != nil {
					m.cancel()
				}
				m.run.paused = true
				return nil
			})
	case key.Matches(msg, k.Retry):
		from := r.failedStep
		what := fmt.Sprintf("Retry step %d on every target that is not done, then continue?", from)
		if r.paused {
			from = r.firstUnfinished()
			what = fmt.Sprintf("Resume from step %d?", from)
		}
		ids := r.remaining(from)
		m.dlg = confirm(what, []string{"The plan is detected again first, so what finished is not run twice: " + stepList(ids) + "."}, "re-plan and run",
			func(m *model) tea.Cmd { return m.planThenApply(ids) })
	case key.Matches(msg, k.Skip):
		ids := r.remaining(r.failedStep + 1)
		m.dlg = confirm(fmt.Sprintf("Skip step %d and continue?", r.failedStep), []string{"Later steps may fail when they depend on it. Continues with " + stepList(ids) + "."}, "skip and continue",
			func(m *model) tea.Cmd {
				if len(ids) == 0 {
					m.summary.set(m.run)
					m.goTo(scrSummary)
					return nil
				}
				return m.planThenApply(ids)
			})
	case key.Matches(msg, k.Rollback):
		m.confirmUndo("Roll back what this run changed?", []string{"From the journal, in reverse order, per node:"}, r.changedSteps())
	case key.Matches(msg, k.Enter):
		if !r.running {
			m.summary.set(r)
			m.goTo(scrSummary)
		}
	}
	return nil
}

// planThenApply detects again (the journal and the nodes changed since the last plan)
// and then applies the given steps.
func (m *model) planThenApply(only []int) tea.Cmd {
	m.afterPlan = func(m *model) tea.Cmd { return m.startApply(only) }
	m.flash = "Detecting again before running " + stepList(only) + "…"
	return m.startPlan()
}

func (r *runScreen) render(m *model, w, h int) string {
	st := m.c.Styles
	verb := "Applying"
	if r.mode == opRollback {
		verb = "Rolling back"
	}
	head := st.Header.Render(verb + " " + stepList(r.only))
	switch {
	case r.running && r.paused:
		head += st.Warn.Render("  pausing after the running actions…")
	case r.paused:
		head += st.Warn.Render("  paused")
	case !r.running && r.report != nil:
		head += st.Muted.Render("  " + r.report.Recap())
	}
	bottom := r.bottom(m, w)
	bottomH := len(bottom)
	mainH := max(3, h-1-bottomH)
	var main string
	if w >= 72 {
		listW := min(34, w/3)
		main = joinColumns([]int{listW + 1, w - listW - 1}, r.stepList(m, listW, mainH), r.panes(m, w-listW-1, mainH))
	} else {
		main = r.currentStep(m, w) + "\n" + r.panes(m, w, mainH-1)
	}
	return head + "\n" + fit(main, w, mainH) + "\n" + strings.Join(bottom, "\n")
}

// bottom is the failure box after a failure, else the command log.
func (r *runScreen) bottom(m *model, w int) []string {
	st, g := m.c.Styles, m.c.Glyphs
	if r.failed() {
		n := r.node(r.failedHost)
		var out []string
		out = append(out, st.Fail.Render(fmt.Sprintf("%s Step %d failed on %s", g.Fail, r.failedStep, r.failedHost)))
		if n.err != "" {
			out = append(out, wrap("Why: "+n.err, w)...)
		}
		if n.fix != "" {
			out = append(out, commandLines("Fix: "+n.fix, m.answersFile(), w)...)
		}
		out = append(out, st.Muted.Render("r retry the step · s skip it · u roll back what this run changed"))
		return out
	}
	if r.err != "" && !r.running {
		return wrap(st.Fail.Render(g.Fail+" ")+r.err, w)
	}
	n, toggle := 3, "grows"
	if r.showLog {
		n, toggle = 8, "shrinks"
	}
	out := []string{st.Muted.Render("Command log (c " + toggle + ")")}
	// Grown, the log shows its last lines in full, wrapped; else one line each.
	var entries []string
	for i := len(r.log) - 1; i >= 0 && len(entries) < n; i-- {
		e := r.log[i]
		line := shortHost(e.host) + " " + g.Sep + " step " + e.step + " " + g.Sep + " " + e.summary
		if first := firstStatement(e.script); first != "" {
			line += "  " + g.Sep + " " + first
		}
		lines := []string{clip(line, w)}
		if r.showLog {
			lines = wrap(line, w)
		}
		entries = append(lines, entries...)
	}
	out = append(out, entries[max(0, len(entries)-n):]...)
	for len(out) < n+1 {
		out = append(out, "")
	}
	return out
}

func (r *runScreen) currentStep(m *model, w int) string {
	for _, s := range r.steps {
		if s.status == engine.StatusRunning {
			return clip(m.statusGlyph(string(s.status))+fmt.Sprintf(" step %d/%d: %s", s.id, len(r.steps), s.title), w)
		}
	}
	return clip(m.c.Styles.Muted.Render(fmt.Sprintf("%d steps", len(r.steps))), w)
}

func (r *runScreen) stepList(m *model, w, h int) string {
	var out []string
	for _, s := range r.steps {
		status := string(s.status)
		line := m.statusGlyph(status) + " " + clip(fmt.Sprintf("%d %s", s.id, s.title), w-2)
		out = append(out, line)
	}
	return fit(strings.Join(out, "\n"), w, h)
}

// minPaneW is the narrowest a node's pane is drawn side by side with others.
const minPaneW = 24

// visible is how many panes fit side by side in w columns of the run screen, and
// whether that is all of them. Side by side starts at 120 columns (or 100 when every
// pane fits); below, one pane with tabs. Over a slow link (LowBandwidth) it is one
// pane with tabs at any width: every other pane's clock would repaint each second.
func (r *runScreen) visible(m *model, w int) (n int, all bool) {
	if len(r.nodes) <= 1 {
		return len(r.nodes), true
	}
	if m.c.LowBandwidth {
		return 1, false
	}
	fits := w / minPaneW
	switch {
	case m.c.Width >= 100 && fits >= len(r.nodes):
		return len(r.nodes), true
	case m.c.Width >= 120 && fits >= 2:
		return fits, false
	}
	return 1, false
}

// panes draws the nodes side by side when there is room, the focused one among them,
// else the focused node with tabs.
func (r *runScreen) panes(m *model, w, h int) string {
	if len(r.nodes) == 0 {
		return ""
	}
	if r.tab >= len(r.nodes) {
		r.tab = 0
	}
	n, all := r.visible(m, w)
	if all {
		return r.side(m, r.nodes, w, h)
	}
	var tabs []string
	for i, n := range r.nodes {
		label := m.statusGlyph(string(n.status)) + " " + shortHost(n.host)
		if i == r.tab {
			label = m.c.Styles.Selected.Render(" " + ansiStrip(label) + " ")
		}
		tabs = append(tabs, label)
	}
	bar := clip(strings.Join(tabs, " "), w)
	if n <= 1 {
		return bar + "\n" + r.pane(m, r.nodes[r.tab], w, h-1, true)
	}
	// A window of n panes that holds the focused one.
	first := min(max(0, r.tab-n/2), len(r.nodes)-n)
	return bar + "\n" + r.side(m, r.nodes[first:first+n], w, h-1)
}

// side draws the given nodes' panes in equal columns.
func (r *runScreen) side(m *model, nodes []*nodeState, w, h int) string {
	per := w / len(nodes)
	var blocks []string
	var widths []int
	for i, n := range nodes {
		pw := per
		if i == len(nodes)-1 {
			pw = w - per*(len(nodes)-1)
		}
		widths = append(widths, pw)
		blocks = append(blocks, r.pane(m, n, pw, h, n == r.nodes[r.tab] && len(nodes) < len(r.nodes)))
	}
	return joinColumns(widths, blocks...)
}

// pane is one node: status, current step and action, elapsed time, last output lines.
func (r *runScreen) pane(m *model, n *nodeState, w, h int, focused bool) string {
	st := m.c.Styles
	key := paneKey{rev: n.rev, w: w, h: h, focused: focused, glyph: m.statusGlyph(string(n.status))}
	if n.status == engine.StatusRunning && !n.started.IsZero() {
		key.elapsed = elapsed(m.c.Now().Sub(n.started))
	}
	if n.pane.out != "" && n.pane.key == key {
		return n.pane.out
	}
	var body []string
	status := string(n.status)
	if status == "" {
		status = "waiting"
	}
	line := key.glyph + " " + status
	if n.step > 0 {
		line += st.Muted.Render(fmt.Sprintf(" %s step %d", m.c.Glyphs.Dot, n.step))
	}
	if key.elapsed != "" {
		line += st.Muted.Render(" " + key.elapsed)
	}
	body = append(body, line)
	if n.action != "" {
		body = append(body, wrap(n.action, w-2)...)
	}
	if n.err != "" {
		body = append(body, wrap(st.Fail.Render(n.err), w-2)...)
	}
	room := h - 2 - len(body)
	if room > 0 && len(n.lines) > 0 {
		start := max(0, len(n.lines)-room)
		for _, l := range n.lines[start:] {
			body = append(body, st.Muted.Render(clip(l, w-2)))
		}
	}
	n.pane = paneCache{key: key, out: m.c.box(focused || n.status == engine.StatusRunning, shortHost(n.host), strings.Join(body, "\n"), w, h)}
	return n.pane.out
}

func elapsed(d interface{ Seconds() float64 }) string {
	s := int(d.Seconds())
	if s < 60 {
		return fmt.Sprintf("%ds", s)
	}
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}

// firstStatement is the first line of a script that does something: the comments
// that name its operation, the settings every script starts with, and blank lines
// are left out.
func firstStatement(script string) string {
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "--") || scriptPrelude(l) {
			continue
		}
		return l
	}
	return ""
}

// commandLines is text wrapped at words to w, with every command it quotes
// (`ssisha ...`) on a line of its own, whole, so it can be copied as it is; a
// command of ssisha names the answer file with -f when it does not already.
func commandLines(text, answersFile string, w int) []string {
	var out []string
	parts := strings.Split(text, "`")
	for i, part := range parts {
		switch {
		case i%2 == 0:
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, wrap(p, w)...)
			}
		default:
			cmd := strings.TrimSpace(part)
			if strings.HasPrefix(cmd, "ssisha ") && answersFile != "" && !strings.Contains(" "+cmd+" ", " -f ") && !strings.Contains(cmd, "--file") {
				cmd += " -f " + answersFile
			}
			out = append(out, "  "+cmd)
		}
	}
	return out
}

// scriptPrelude says a PowerShell line is one of the settings every script starts
// with.
func scriptPrelude(l string) bool {
	for _, p := range []string{"$ErrorActionPreference", "$ProgressPreference", "Set-StrictMode"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

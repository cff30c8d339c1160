package ui

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// planScreen lists, per step and target, what is done and what will change, and shows
// the exact scripts of the selected row (secrets as placeholders).
type planScreen struct {
	plan   *engine.Plan
	rows   []planRow
	cursor int
	scroll int
}

// planRow is a step header, or one target of a step with one of its actions.
type planRow struct {
	step   *engine.PlanStep
	target *engine.PlanTarget
	action *steps.Action
}

func (p *planScreen) set(pl *engine.Plan) {
	p.plan, p.rows, p.scroll = pl, nil, 0
	for i := range pl.Steps {
		s := &pl.Steps[i]
		p.rows = append(p.rows, planRow{step: s})
		for j := range s.Targets {
			t := &s.Targets[j]
			if len(t.Detection.Actions) == 0 {
				p.rows = append(p.rows, planRow{step: s, target: t})
				continue
			}
			for k := range t.Detection.Actions {
				p.rows = append(p.rows, planRow{step: s, target: t, action: &t.Detection.Actions[k]})
			}
		}
	}
	p.cursor = min(p.cursor, max(0, len(p.rows)-1))
	if p.cursor == 0 && len(p.rows) > 1 {
		p.cursor = 1
	}
}

// counts is what the plan would do, for the apply confirmation: the plan's own
// counts, which the command line shows too.
func (p *planScreen) counts() (actions, targets, irreversible, blocked int) {
	if p.plan == nil {
		return
	}
	c := p.plan.Counts()
	return c.Actions, c.Targets, c.Irreversible, c.Blocked
}

func (p *planScreen) bindings(m *model) []binding {
	k := m.c.Keys
	actions, _, _, blocked := p.counts()
	apply := primary(k.Apply)
	switch {
	case p.plan == nil:
		apply = off(k.Apply, "the plan is still being computed")
	case blocked > 0:
		apply = off(k.Apply, "a step is blocked; its row says why and how to fix it")
	case actions == 0:
		apply = off(k.Apply, "everything is done already; nothing to apply")
	}
	export := onIf(k.Export, p.plan != nil, "the plan is still being computed")
	return []binding{apply, on(k.Up), on(k.Down), on(k.ScrollDn), on(k.ScrollUp), on(k.Top), on(k.Bottom), export, on(k.Back)}
}

func (p *planScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		p.cursor, p.scroll = max(0, p.cursor-1), 0
	case key.Matches(msg, k.Down):
		p.cursor, p.scroll = min(max(0, len(p.rows)-1), p.cursor+1), 0
	case key.Matches(msg, k.ScrollDn):
		p.scroll += 5
	case key.Matches(msg, k.ScrollUp):
		p.scroll = max(0, p.scroll-5)
	case key.Matches(msg, k.Top):
		p.scroll = 0
	case key.Matches(msg, k.Bottom):
		// render brings it back to the last page of the script.
		p.scroll = 1 << 30
	case key.Matches(msg, k.Back):
		m.goTo(scrPreflight)
	case key.Matches(msg, k.Export):
		pl := p.plan
		m.dlg = promptFor("Export the plan as a reviewable bundle", "Folder for the scripts, manifest and hashes", "ssisha-plan", func(m *model, dir string) tea.Cmd {
			b := m.backend
			return func() tea.Msg {
				if err := b.WriteBundle(pl, dir); err != nil {
					return bundleWrittenMsg{dir: dir, err: fmt.Errorf("write the bundle to %s: %w; choose an empty folder you can write to", dir, err)}
				}
				abs, _ := filepath.Abs(dir)
				return bundleWrittenMsg{dir: abs}
			}
		})
	case key.Matches(msg, k.Apply):
		_, _, irreversible, _ := p.counts()
		body := []string{engine.CountsText(p.plan.Counts()) + " will run, step by step; every action is journaled before and after it runs."}
		if irreversible > 0 {
			body = append(body, fmt.Sprintf("%d of them cannot be undone (marked %s in the plan).", irreversible, m.c.Glyphs.Irreversible))
		}
		m.dlg = confirm("Apply the plan?", body, "apply", func(m *model) tea.Cmd { return m.startApply(nil) })
	}
	return nil
}

// waiting reports whether a row's step comes after a blocked step of the plan, so that
// its blocked targets are waiting for that one rather than stuck.
func (p *planScreen) waiting(r planRow) bool {
	for i := range p.plan.Steps {
		if &p.plan.Steps[i] == r.step {
			return p.plan.AwaitsEarlierSteps(i)
		}
	}
	return false
}

// symbol is a row's plan mark: + create, ~ change, - delete, = done, ✗ blocked, and !
// for an action that cannot be undone.
func (m *model) symbol(t *engine.PlanTarget, a *steps.Action) string {
	st, g := m.c.Styles, m.c.Glyphs
	if t.Err != "" || t.Detection.State == steps.StateBlocked {
		return st.Fail.Render(g.Blocked)
	}
	if a == nil {
		return st.OK.Render(g.Done)
	}
	if a.Irreversible != "" {
		return st.Warn.Render(g.Irreversible)
	}
	switch a.Kind {
	case steps.KindCreate:
		return st.OK.Render(g.Create)
	case steps.KindDelete:
		return st.Fail.Render(g.Delete)
	}
	return st.Warn.Render(g.Change)
}

func (p *planScreen) rowText(m *model, r planRow) string {
	if r.target == nil {
		return m.c.Styles.Header.Render(fmt.Sprintf("%d %s", r.step.ID, r.step.Title)) + m.c.Styles.Muted.Render(" ("+r.step.Scope+")")
	}
	host := shortHost(r.target.Target.Host)
	switch {
	case r.target.Err != "":
		return "  " + m.symbol(r.target, nil) + " " + host + ": " + m.c.Redact(r.target.Err)
	case r.action != nil:
		return "  " + m.symbol(r.target, r.action) + " " + host + ": " + m.c.Redact(r.action.Summary)
	case r.target.Detection.State == steps.StateBlocked && p.waiting(r):
		return "  " + m.c.Styles.Muted.Render(m.c.Glyphs.Pending) + " " + host + ": waits for " + cmp.Or(r.target.WaitsFor, "an earlier step") + " (now: " + m.c.Redact(r.target.Detection.Reason) + ")"
	case r.target.Detection.State == steps.StateBlocked:
		return "  " + m.symbol(r.target, nil) + " " + host + ": blocked: " + m.c.Redact(r.target.Detection.Reason)
	}
	return "  " + m.symbol(r.target, nil) + " " + host + ": done"
}

// script is what the selected row would run, exactly as it will be sent, with secrets
// as placeholders, in lines of at most w cells: prose wraps at words, and a script
// line that is longer goes on in the next lines, marked, so nothing is cut.
func (p *planScreen) script(m *model, w int) (title string, lines []string) {
	title, lines = p.scriptLines(m)
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, codeMark) {
			out = append(out, wrap(l, w)...)
			continue
		}
		l = strings.TrimPrefix(l, codeMark)
		if width(l) <= w || w < 8 {
			out = append(out, m.c.Styles.Code.Render(l))
			continue
		}
		for i, part := range strings.Split(ansi.Hardwrap(l, w-2, true), "\n") {
			if i > 0 {
				part = m.c.Styles.Muted.Render(m.c.Glyphs.Cursor+" ") + part
			}
			out = append(out, m.c.Styles.Code.Render(part))
		}
	}
	return title, out
}

// codeMark starts a line of script in scriptLines, which script renders as code.
const codeMark = "\x00code\x00"

// scriptLines are the selected row's texts and script lines, not yet fitted to a width.
func (p *planScreen) scriptLines(m *model) (title string, lines []string) {
	if p.cursor >= len(p.rows) {
		return "", nil
	}
	r := p.rows[p.cursor]
	if r.target == nil {
		return fmt.Sprintf("Step %d", r.step.ID), []string{r.step.Title, "Runs on " + r.step.Scope + ".", "", "Select a target to see its scripts."}
	}
	host := r.target.Target.Host
	switch {
	case r.target.Err != "":
		return host, []string{"Detection failed:", m.c.Redact(r.target.Err)}
	case r.action == nil && r.target.Detection.State == steps.StateBlocked && p.waiting(r):
		return host, []string{"Waits for " + cmp.Or(r.target.WaitsFor, "an earlier step") + ": the plan cannot look past it. Fix that step, then plan again.", "", "Now: " + m.c.Redact(r.target.Detection.Reason)}
	case r.action == nil && r.target.Detection.State == steps.StateBlocked:
		return host, []string{"Blocked: " + m.c.Redact(r.target.Detection.Reason), "", "Fix: " + m.c.Redact(r.target.Detection.Fix)}
	case r.action == nil:
		return host, []string{"Nothing to do: this step is already done on " + host + "."}
	}
	a := r.action
	lines = append(lines, m.c.Redact(a.Summary))
	if a.Irreversible != "" {
		lines = append(lines, m.c.Glyphs.Irreversible+" cannot be undone: "+m.c.Redact(a.Irreversible))
	}
	for _, c := range a.Commands {
		lines = append(lines, "", m.c.Styles.Muted.Render("# on "+c.Host))
		for _, l := range strings.Split(m.c.Redact(c.Display()), "\n") {
			lines = append(lines, codeMark+l)
		}
	}
	return host + " " + m.c.Glyphs.Dot + " " + a.ID, lines
}

func (p *planScreen) render(m *model, w, h int) string {
	st := m.c.Styles
	if p.plan == nil {
		return fit(st.Header.Render("Plan")+"\n\n"+st.Muted.Render(m.spinner()+" Detecting what is already done on every node…"), w, h)
	}
	actions, targets, irreversible, blocked := p.counts()
	head := st.Header.Render("Plan") + st.Muted.Render(fmt.Sprintf(" %d actions on %d targets, %d irreversible, %d blocked %s fingerprint %s", actions, targets, irreversible, blocked, m.c.Glyphs.Dot, short(p.plan.Fingerprint)))
	side := w >= 100
	listW, listH := w, (h-1)/2
	scriptW, scriptH := w, h-1-listH
	if side {
		listW, listH = w*2/5, h-1
		scriptW, scriptH = w-listW-1, h-1
	}
	list := p.list(m, listW, listH)
	title, lines := p.script(m, scriptW-2)
	p.scroll = min(p.scroll, max(0, len(lines)-(scriptH-2)))
	view := lines[p.scroll:]
	pane := m.c.box(true, title, strings.Join(view, "\n"), scriptW, scriptH)
	if side {
		return head + "\n" + joinColumns([]int{listW + 1, scriptW}, list, pane)
	}
	return head + "\n" + fit(list, w, listH) + "\n" + pane
}

func (p *planScreen) list(m *model, w, h int) string {
	top := 0
	if p.cursor >= h {
		top = p.cursor - h + 1
	}
	var out []string
	for i := top; i < len(p.rows) && i < top+h; i++ {
		t := clip(p.rowText(m, p.rows[i]), w)
		if i == p.cursor {
			t = m.c.Styles.Selected.Render(pad(ansiStrip(t), w))
		}
		out = append(out, t)
	}
	return fit(strings.Join(out, "\n"), w, h)
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/engine"
)

// preflightScreen is the grid of read-only checks, node by check, in the words of the
// SSMS availability group wizard, with the detail and fix of the selected cell.
type preflightScreen struct {
	checks   []string
	nodes    []string
	cells    map[[2]string]engine.CheckResult
	row, col int
	running  bool
	err      error
}

func (p *preflightScreen) reset() {
	*p = preflightScreen{cells: map[[2]string]engine.CheckResult{}, running: true}
}

func (p *preflightScreen) event(e engine.Event) {
	if e.Kind != engine.CheckFinished || e.Check == nil {
		return
	}
	if p.cells == nil {
		p.cells = map[[2]string]engine.CheckResult{}
	}
	if !slices.Contains(p.checks, e.Check.Name) {
		p.checks = append(p.checks, e.Check.Name)
	}
	if !slices.Contains(p.nodes, e.Target) {
		p.nodes = append(p.nodes, e.Target)
	}
	p.cells[[2]string{e.Check.Name, e.Target}] = *e.Check
}

func (p *preflightScreen) done(err error) { p.running, p.err = false, err }

func (p *preflightScreen) failed() int {
	n := 0
	for _, c := range p.cells {
		if c.Status == "Failed" {
			n++
		}
	}
	return n
}

func (p *preflightScreen) bindings(m *model) []binding {
	k := m.c.Keys
	next := primary(k.Continue)
	switch {
	case p.running:
		next = off(k.Continue, "the checks are still running")
	case p.failed() > 0:
		next = off(k.Continue, "fix the failed checks first, then r re-runs them")
	}
	rerun := onIf(k.Rerun, !p.running, "the checks are still running")
	return []binding{next, rerun, on(k.Up), on(k.Left), on(k.Back)}
}

func (p *preflightScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		p.row = max(0, p.row-1)
	case key.Matches(msg, k.Down):
		p.row = min(max(0, len(p.checks)-1), p.row+1)
	case key.Matches(msg, k.Left):
		p.col = max(0, p.col-1)
	case key.Matches(msg, k.Right):
		p.col = min(max(0, len(p.nodes)-1), p.col+1)
	case key.Matches(msg, k.Rerun):
		return m.startPreflight()
	case key.Matches(msg, k.Continue), key.Matches(msg, k.Enter):
		m.goTo(scrPlan)
		m.plan.plan = nil
		return m.startPlan()
	case key.Matches(msg, k.Back):
		m.goTo(scrQuestions)
	}
	return nil
}

func (m *model) statusGlyph(status string) string {
	st, g := m.c.Styles, m.c.Glyphs
	switch status {
	case "Success", string(engine.StatusSucceeded):
		return st.paint(&st.OK, g.OK)
	case "Warning":
		return st.paint(&st.Warn, g.Warn)
	case "Failed", string(engine.StatusFailed), string(engine.StatusBlocked):
		return st.paint(&st.Fail, g.Fail)
	case "Skipped", string(engine.StatusSkipped):
		return st.paint(&st.Muted, g.Skip)
	case string(engine.StatusUndone):
		return st.paint(&st.Accent, g.Undone)
	case string(engine.StatusRunning):
		return st.paint(&st.Run, m.spinner())
	}
	return st.paint(&st.Muted, g.Pending)
}

func (p *preflightScreen) render(m *model, w, h int) string {
	st := m.c.Styles
	var out []string
	title := "Preflight: read-only checks on every node"
	if p.running {
		title += " " + m.spinner()
	}
	out = append(out, st.Header.Render(title))
	if len(p.checks) == 0 {
		out = append(out, "", st.Muted.Render("Waiting for the first results…"))
		return fit(strings.Join(out, "\n"), w, h)
	}
	nameW := min(28, max(12, w/3))
	colW := 12
	visible := max(1, (w-nameW)/colW)
	first := 0
	if p.col >= visible {
		first = p.col - visible + 1
	}
	hdr := pad("", nameW)
	for i := first; i < len(p.nodes) && i < first+visible; i++ {
		hdr += pad(shortHost(p.nodes[i]), colW)
	}
	out = append(out, st.Muted.Render(hdr))
	gridH := max(1, h-8)
	top := 0
	if p.row >= gridH {
		top = p.row - gridH + 1
	}
	for r := top; r < len(p.checks) && r < top+gridH; r++ {
		line := pad(clip(p.checks[r], nameW-1), nameW)
		for c := first; c < len(p.nodes) && c < first+visible; c++ {
			cell := "  -"
			if res, ok := p.cells[[2]string{p.checks[r], p.nodes[c]}]; ok {
				cell = m.statusGlyph(res.Status) + " " + res.Status
			}
			if r == p.row && c == p.col {
				cell = st.Selected.Render(pad(ansiStrip(cell), colW-1))
			}
			line += pad(cell, colW)
		}
		out = append(out, line)
	}
	out = append(out, "")
	if p.row < len(p.checks) && p.col < len(p.nodes) {
		res, ok := p.cells[[2]string{p.checks[p.row], p.nodes[p.col]}]
		if ok {
			out = append(out, st.Header.Render(p.nodes[p.col]+" "+m.c.Glyphs.Dot+" "+res.Name+": ")+m.statusGlyph(res.Status)+" "+res.Status)
			if res.Detail != "" {
				out = append(out, wrap(m.c.Redact(res.Detail), w)...)
			}
			if res.Fix != "" {
				out = append(out, wrap("Fix: "+m.c.Redact(res.Fix), w)...)
			}
		}
	}
	if !p.running {
		out = append(out, st.Muted.Render(p.recap()))
	}
	return fit(strings.Join(out, "\n"), w, h)
}

func (p *preflightScreen) recap() string {
	counts := map[string]int{}
	for _, c := range p.cells {
		counts[c.Status]++
	}
	var parts []string
	for _, s := range []string{"Success", "Warning", "Failed", "Skipped"} {
		if counts[s] > 0 {
			parts = append(parts, itoa(counts[s])+" "+strings.ToLower(s))
		}
	}
	return strings.Join(parts, ", ")
}

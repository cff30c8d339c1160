package ui

import (
	"slices"
	"sort"
	"strconv"
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
	// moved is set once the user moves the cursor; until then it follows the first
	// failure, so a failed row is never off-screen while the cursor sits on row one.
	moved   bool
	running bool
	err     error
	// skipped are the failed checks the user skipped by typing their names.
	skipped map[string]bool
	// hosts are the nodes in the answers' order, which the columns keep whatever
	// order the results arrive in; last is the check each node reported last, after
	// which a check not seen before takes its row, so rows keep the checks' order.
	hosts []string
	last  map[string]string
}

// reset starts a run of the checks on hosts (the masters, then the workers).
func (p *preflightScreen) reset(hosts []string) {
	*p = preflightScreen{cells: map[[2]string]engine.CheckResult{}, running: true, hosts: hosts, last: map[string]string{}}
}

// place inserts name into list at index at (clamped), and returns the list and the
// index it took.
func place(list []string, at int, name string) ([]string, int) {
	at = min(max(at, 0), len(list))
	return slices.Insert(list, at, name), at
}

func (p *preflightScreen) event(e engine.Event) {
	if e.Kind != engine.CheckFinished || e.Check == nil {
		return
	}
	if p.cells == nil {
		p.cells = map[[2]string]engine.CheckResult{}
	}
	if p.last == nil {
		p.last = map[string]string{}
	}
	if !slices.Contains(p.checks, e.Check.Name) {
		// After the check this node reported before it, else first.
		at := slices.Index(p.checks, p.last[e.Target]) + 1
		var i int
		p.checks, i = place(p.checks, at, e.Check.Name)
		if p.moved && i <= p.row && len(p.checks) > 1 {
			p.row++
		}
	}
	p.last[e.Target] = e.Check.Name
	if !slices.Contains(p.nodes, e.Target) {
		at := len(p.nodes)
		if rank := slices.Index(p.hosts, e.Target); rank >= 0 {
			at = 0
			for at < len(p.nodes) {
				if r := slices.Index(p.hosts, p.nodes[at]); r < 0 || r > rank {
					break
				}
				at++
			}
		}
		var i int
		p.nodes, i = place(p.nodes, at, e.Target)
		if p.moved && i <= p.col && len(p.nodes) > 1 {
			p.col++
		}
	}
	p.cells[[2]string{e.Check.Name, e.Target}] = *e.Check
	p.followFailure()
}

func (p *preflightScreen) done(err error) {
	p.running, p.err = false, err
	p.followFailure()
}

// followFailure puts the cursor on the first failed cell, in grid order, unless the
// user has moved it.
func (p *preflightScreen) followFailure() {
	if p.moved {
		return
	}
	for r, check := range p.checks {
		for c, node := range p.nodes {
			if p.cells[[2]string{check, node}].Status == "Failed" {
				p.row, p.col = r, c
				return
			}
		}
	}
}

// skippedNames are the failed checks the user skipped by name, sorted, for the
// apply's gate and its journal.
func (p *preflightScreen) skippedNames() []string {
	var out []string
	for name, ok := range p.skipped {
		if ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// unresolved are the names of the failed checks not skipped, in grid order.
func (p *preflightScreen) unresolved() []string {
	var names []string
	for _, check := range p.checks {
		if p.skipped[check] {
			continue
		}
		for _, node := range p.nodes {
			if p.cells[[2]string{check, node}].Status == "Failed" {
				names = append(names, check)
				break
			}
		}
	}
	return names
}

// gate says why the plan cannot come next, or "" when it can.
func (p *preflightScreen) gate() string {
	if p.running {
		return "the checks are still running"
	}
	if p.err != nil {
		return "the checks did not finish; r runs them again"
	}
	if n := len(p.unresolved()); n > 0 {
		return plural(n, "check") + " failed: fix it and press r to re-run, or s to skip a check by typing its name"
	}
	return ""
}

// plural is "1 check" or "n checks".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}

// askSkip asks for the name of the failed check to skip; only an exact name skips it.
func (p *preflightScreen) askSkip(m *model) {
	failed := p.unresolved()
	body := []string{
		"A skipped check counts as passed for the plan and the apply, which may then fail on it.",
		"Failed: " + strings.Join(failed, ", ") + ".",
	}
	d := promptFor("Skip a failed check", "Type the name of the check to skip", "", func(m *model, name string) tea.Cmd {
		for _, f := range failed {
			if strings.EqualFold(f, name) {
				if p.skipped == nil {
					p.skipped = map[string]bool{}
				}
				p.skipped[f] = true
				m.flash = "Check " + f + " skipped by name; the apply may fail where it failed."
				return nil
			}
		}
		m.flash = "No failed check is named " + strconv.Quote(name) + "; nothing was skipped."
		return nil
	})
	d.body = body
	m.dlg = d
}

func (p *preflightScreen) bindings(m *model) []binding {
	k := m.c.Keys
	next := primary(k.Continue)
	if why := p.gate(); why != "" {
		next = off(k.Continue, why)
	}
	rerun := onIf(k.Rerun, !p.running, "the checks are still running")
	bs := []binding{next, rerun}
	if len(p.unresolved()) > 0 && !p.running {
		bs = append(bs, on(k.Skip))
	}
	return append(bs, on(k.Up), on(k.Left), on(k.Back))
}

func (p *preflightScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		p.row, p.moved = max(0, p.row-1), true
	case key.Matches(msg, k.Down):
		p.row, p.moved = min(max(0, len(p.checks)-1), p.row+1), true
	case key.Matches(msg, k.Left):
		p.col, p.moved = max(0, p.col-1), true
	case key.Matches(msg, k.Right):
		p.col, p.moved = min(max(0, len(p.nodes)-1), p.col+1), true
	case key.Matches(msg, k.Rerun):
		return m.startPreflight()
	case key.Matches(msg, k.Skip) && !p.running && len(p.unresolved()) > 0:
		p.askSkip(m)
	case key.Matches(msg, k.Continue), key.Matches(msg, k.Enter):
		if why := p.gate(); why != "" {
			m.flash = "Not yet: " + why + "."
			return nil
		}
		m.goTo(scrPlan)
		m.plan.plan = nil
		return m.startPlan()
	case key.Matches(msg, k.Back):
		if m.busy == opPreflight && m.cancel != nil {
			m.cancel()
		}
		m.goTo(scrReview)
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
	colW := 12
	// The check names are whole when two node columns still fit beside them.
	nameW := 12
	for _, c := range p.checks {
		nameW = max(nameW, width(c)+1)
	}
	nameW = max(12, min(nameW, w-2*colW))
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
	// Columns that do not fit are named, never dropped without a word.
	if shown := min(visible, len(p.nodes)-first); shown < len(p.nodes) {
		var hidden []string
		for i, n := range p.nodes {
			if i < first || i >= first+shown {
				hidden = append(hidden, shortHost(n))
			}
		}
		k := m.c.Keys
		note := itoa(shown) + " of " + itoa(len(p.nodes)) + " nodes shown; " + k.Left.Help().Key + " " + k.Right.Help().Key + " shows " + strings.Join(hidden, ", ")
		for _, l := range wrap(note, w) {
			out = append(out, st.Warn.Render(l))
		}
	}
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
	var skipped []string
	for _, c := range p.checks {
		if p.skipped[c] {
			skipped = append(skipped, c)
		}
	}
	if len(skipped) > 0 {
		parts = append(parts, "skipped by name: "+strings.Join(skipped, ", "))
	}
	return strings.Join(parts, ", ")
}

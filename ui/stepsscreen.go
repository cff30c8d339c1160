package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/engine"
)

// stepsScreen lists the nine steps with what is detected on each target, to run one
// again or undo from one of them on.
type stepsScreen struct {
	plan *engine.Plan
	// undoable are the steps the journal holds changes of, from the same detection.
	undoable  []int
	cursor    int
	detecting bool
	seen      map[int]string // step -> last detected state while detecting
}

func (s *stepsScreen) set(p *engine.Plan, undoable []int) {
	s.plan, s.undoable, s.detecting = p, undoable, false
}

// openSteps shows the steps and detects their state again; until it is known the
// screen says so rather than show what an earlier plan found.
func (m *model) openSteps() tea.Cmd {
	m.steps.plan = nil
	m.goTo(scrSteps)
	return m.startPlan()
}

func (s *stepsScreen) event(e engine.Event) {
	if e.Kind == engine.DetectStarted {
		s.detecting = true
	}
	if e.Kind == engine.DetectFinished {
		if s.seen == nil {
			s.seen = map[int]string{}
		}
		s.seen[e.Step] = e.State
	}
}

// state is a step's state across its targets: blocked wins, then drift, then pending.
func planStepState(ps engine.PlanStep) steps.State {
	st := steps.StateDone
	for _, t := range ps.Targets {
		switch {
		case t.Err != "" || t.Detection.State == steps.StateBlocked:
			return steps.StateBlocked
		case t.Detection.State == steps.StateDrift:
			st = steps.StateDrift
		case t.Detection.State == steps.StatePending && st == steps.StateDone:
			st = steps.StatePending
		}
	}
	return st
}

func (s *stepsScreen) bindings(m *model) []binding {
	k := m.c.Keys
	ready := s.plan != nil
	return []binding{
		onIf(k.Rerun, ready, "the steps are still being detected"),
		onIf(k.Undo, ready, "the steps are still being detected"),
		on(k.Up), on(k.Down), on(k.Back),
	}
}

// later are the steps from id on whose changes an undo would reverse: those the
// journal holds changes of, as rollback undoes from the journal only. A step done
// before ssisha ran, or drifted, has none; a step a failed run left pending may
// have some (the certificate made before the install failed).
func (s *stepsScreen) later(id int) []int {
	var ids []int
	for _, ps := range s.plan.Steps {
		if ps.ID >= id && slices.Contains(s.undoable, ps.ID) {
			ids = append(ids, ps.ID)
		}
	}
	return ids
}

// ran reports whether the step has run before: done on some target, or holding
// journaled changes. A drifted step has not (what it would set differs from what is
// there), so it is run, not run "again".
func (s *stepsScreen) ran(ps engine.PlanStep) bool {
	for _, t := range ps.Targets {
		if t.Err == "" && t.Detection.State == steps.StateDone {
			return true
		}
	}
	return slices.Contains(s.undoable, ps.ID)
}

// waits reports whether the step at index i is blocked only because an earlier step
// is not done yet.
func (s *stepsScreen) waits(i int) bool {
	return planStepState(s.plan.Steps[i]) == steps.StateBlocked && s.plan.AwaitsEarlierSteps(i)
}

// reversed is ids from the last to the first, the order an undo runs them in.
func reversed(ids []int) []int {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

func (s *stepsScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	n := 0
	if s.plan != nil {
		n = len(s.plan.Steps)
	}
	switch {
	case key.Matches(msg, k.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(msg, k.Down):
		s.cursor = min(max(0, n-1), s.cursor+1)
	case key.Matches(msg, k.Back):
		m.goTo(scrStart)
	case key.Matches(msg, k.Rerun) && n > 0:
		ps := s.plan.Steps[s.cursor]
		if s.waits(s.cursor) {
			m.flash = fmt.Sprintf("Step %d waits for the steps before it; run those first.", ps.ID)
			return nil
		}
		title, yes := fmt.Sprintf("Run step %d?", ps.ID), "run"
		if s.ran(ps) {
			title, yes = fmt.Sprintf("Run step %d again?", ps.ID), "run again"
		}
		m.dlg = confirm(title, []string{ps.Title + ", on " + ps.Scope + ". Targets already done are detected as done and left alone."}, yes,
			func(m *model) tea.Cmd { return m.startApply([]int{ps.ID}) })
	case key.Matches(msg, k.Undo) && n > 0:
		ps := s.plan.Steps[s.cursor]
		ids := s.later(ps.ID)
		if len(ids) == 0 {
			m.flash = fmt.Sprintf("Nothing to undo: the journal holds no change of step %d or the steps after it.", ps.ID)
			return nil
		}
		intro := "From the journal, in reverse order, per node:"
		if len(ids) > 1 {
			intro = fmt.Sprintf("Later steps depend on step %d, so they are undone first. Per node:", ps.ID)
		}
		m.confirmUndo(fmt.Sprintf("Undo from step %d on?", ps.ID), []string{intro}, ids)
	}
	return nil
}

func (s *stepsScreen) render(m *model, w, h int) string {
	st, g := m.c.Styles, m.c.Glyphs
	out := []string{st.Header.Render("Steps") + st.Muted.Render(" what is done on each node; run one again or undo from one on")}
	if s.plan == nil {
		out = append(out, "", m.spinner()+" Detecting the state of every step on every node…")
		return fit(strings.Join(out, "\n"), w, h)
	}
	// The title column takes the longest title when the width allows it.
	titleW := min(44, w/2)
	for _, ps := range s.plan.Steps {
		titleW = max(titleW, min(width(fmt.Sprintf("%d %s", ps.ID, ps.Title))+1, w/2))
	}
	for i, ps := range s.plan.Steps {
		state := planStepState(ps)
		var mark string
		label := string(state)
		switch {
		case state == steps.StateDone:
			mark = st.OK.Render(g.Done)
		case state == steps.StatePending:
			mark = st.Muted.Render(g.Create)
		case state == steps.StateDrift:
			mark = st.Warn.Render(g.Change)
		case s.waits(i):
			// Not a failure: it cannot be detected until the steps before it are done.
			mark, label = st.Muted.Render(g.Pending), "waiting"
		default:
			mark = st.Warn.Render(g.Blocked)
		}
		var nodes []string
		for _, t := range ps.Targets {
			nodes = append(nodes, shortHost(t.Target.Host)+" "+string(t.Detection.State))
		}
		line := mark + " " + pad(fmt.Sprintf("%d %s", ps.ID, ps.Title), titleW) + " " + pad(label, 8) + st.Muted.Render(strings.Join(nodes, ", "))
		if i == s.cursor {
			line = st.Selected.Render(pad(ansiStrip(line), w))
		}
		out = append(out, clip(line, w))
	}
	if s.cursor < len(s.plan.Steps) {
		ps := s.plan.Steps[s.cursor]
		out = append(out, "")
		for _, t := range ps.Targets {
			d := t.Detection
			line := shortHost(t.Target.Host) + ": " + string(d.State)
			if len(d.Actions) > 0 {
				line += fmt.Sprintf(", %d action(s): %s", len(d.Actions), d.Actions[0].Summary)
			}
			if d.Reason != "" {
				line += " " + g.Dot + " " + d.Reason
			}
			out = append(out, wrap(m.c.Redact(line), w)...)
		}
		if ids := s.later(ps.ID); len(ids) > 0 {
			out = append(out, st.Muted.Render("u undoes "+stepList(reversed(ids))+", in this order"))
		}
	}
	return fit(strings.Join(out, "\n"), w, h)
}

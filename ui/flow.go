package ui

import (
	"context"
	"fmt"
	"github.com/ssisha/ssisha/app"

	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/engine"
)

// The flow: each start* launches one backend operation in the background and moves to
// the screen that shows it; finished routes the result.

func (m *model) begin(op opKind) context.Context {
	if m.cancel != nil {
		m.cancel()
	}
	actions, cancelActions := context.WithCancel(m.ctx)
	ctx, cancel := context.WithCancel(app.WithActions(m.ctx, actions))
	m.busy, m.cancel, m.cancelActions, m.stop = op, cancel, cancelActions, running
	return ctx
}

// launch starts op's work in the background and keeps the spinner turning while it runs.
func (m *model) launch(op opKind, work func(ctx context.Context, emit func(engine.Event)) tea.Msg) tea.Cmd {
	ctx := m.begin(op)
	return tea.Batch(startOp(ctx, op, work), m.tick())
}

func (m *model) startPreflight() tea.Cmd {
	m.goTo(scrPreflight)
	m.preflight.reset(append(m.a.MasterHosts(), m.a.WorkerHosts()...))
	b, a, s := m.backend, m.a, m.s
	return m.launch(opPreflight, func(ctx context.Context, emit func(engine.Event)) tea.Msg {
		return preflightDoneMsg{err: b.Preflight(ctx, a, s, emit)}
	})
}

func (m *model) startPlan() tea.Cmd {
	b, a, s := m.backend, m.a, m.s
	return m.launch(opPlan, func(ctx context.Context, emit func(engine.Event)) tea.Msg {
		p, err := b.Plan(ctx, a, s, emit)
		if err != nil {
			return planReadyMsg{err: err}
		}
		return planReadyMsg{plan: p, undoable: b.Undoable(a)}
	})
}

// startApply runs the plan (or the steps in only) and shows the run screen.
func (m *model) startApply(only []int) tea.Cmd {
	m.goTo(scrRun)
	m.run.begin(m, opApply, m.plan.plan, only)
	b, a, s, p := m.backend, m.a, m.s, m.plan.plan
	skipped := m.preflight.skippedNames()
	return m.launch(opApply, func(ctx context.Context, emit func(engine.Event)) tea.Msg {
		r, err := b.Apply(app.WithSkippedChecks(ctx, skipped), a, s, p, only, emit)
		return runDoneMsg{mode: opApply, report: r, err: err}
	})
}

// startRollback undoes the steps in only (in reverse) and shows the run screen.
func (m *model) startRollback(only []int) tea.Cmd {
	m.goTo(scrRun)
	m.run.begin(m, opRollback, m.plan.plan, only)
	b, a, s := m.backend, m.a, m.s
	return m.launch(opRollback, func(ctx context.Context, emit func(engine.Event)) tea.Msg {
		r, err := b.Rollback(ctx, a, s, only, emit)
		return runDoneMsg{mode: opRollback, report: r, err: err}
	})
}

func (m *model) startVerify() tea.Cmd {
	b, a, s := m.backend, m.a, m.s
	return m.launch(opVerify, func(ctx context.Context, emit func(engine.Event)) tea.Msg {
		r, err := b.Verify(ctx, a, s, emit)
		return verifyDoneMsg{report: r, err: err}
	})
}

// events hands coalesced engine events to the screen of the operation.
func (m *model) events(msg eventsMsg) tea.Cmd {
	for _, e := range msg.events {
		switch msg.op {
		case opPreflight:
			m.preflight.event(e)
		case opPlan:
			m.steps.event(e)
		case opApply, opRollback, opVerify:
			m.run.event(m, e)
		}
	}
	if msg.final != nil {
		return m.finished(msg.final)
	}
	return listen(msg.op, msg.ch)
}

// finished clears the operation in flight and routes its result, which always
// arrives as the final item of its events.
func (m *model) finished(msg tea.Msg) tea.Cmd {
	if m.cancelActions != nil {
		m.cancelActions()
	}
	m.busy, m.cancel, m.cancelActions, m.stop = "", nil, nil, running
	switch msg := msg.(type) {
	case preflightDoneMsg:
		m.preflight.done(msg.err)
		if msg.err != nil {
			m.flash = "Preflight stopped: " + m.c.Redact(msg.err.Error())
		}
	case planReadyMsg:
		if msg.err != nil {
			m.flash = "Planning failed: " + m.c.Redact(msg.err.Error()) + " Fix the answers or the node, then try again."
			m.steps.detecting = false
			m.afterPlan = nil
			return nil
		}
		m.noteIrreversible(msg.plan)
		m.plan.set(msg.plan)
		m.steps.set(msg.plan, msg.undoable)
		if f := m.afterPlan; f != nil {
			m.afterPlan = nil
			return f(m)
		}
	case runDoneMsg:
		m.run.done(m, msg)
		if m.quitAfterRun {
			return tea.Quit
		}
		if msg.err == nil && msg.report != nil && msg.report.Status != engine.StatusFailed && !m.run.paused {
			// Read the estate back after an apply and after a rollback alike, so the
			// summary never shows what was true before this run.
			m.summary.set(m.run)
			return m.startVerify()
		}
	case verifyDoneMsg:
		m.summary.set(m.run)
		m.summary.verify = msg.report
		if msg.err != nil {
			m.flash = "Verification failed to run: " + m.c.Redact(msg.err.Error())
		}
		m.goTo(scrSummary)
	}
	return nil
}

// stepList formats step IDs for a confirmation.
func stepList[T int | string](ids []T) string {
	if len(ids) == 0 {
		return "all steps"
	}
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(id)
	}
	if len(ids) == 1 {
		return "step " + s
	}
	return "steps " + s
}

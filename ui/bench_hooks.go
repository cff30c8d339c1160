package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/ssisha/ssisha/steps/engine"
)

// This file is what the benchmarks (package bench) need of the wizard and cannot
// reach through Run: a run screen in a known state, and a program that goes straight
// to an apply. It changes nothing the wizard does.

// BenchRunScreen returns a model on the run screen of an apply in progress at
// width x height: the plan of opts.Backend, every step but the last done, and the
// last step running on every worker with a line of output each. It is the screen a
// person watches longest, which makes its View the one worth timing.
func BenchRunScreen(opts Options, width, height int) Model {
	m := NewModel(opts)
	drive(m, func() tea.Msg { return tea.WindowSizeMsg{Width: width, Height: height} })
	drive(m, m.startPlan())
	m.goTo(scrRun)
	m.run.begin(m.model, opApply, m.plan.plan, nil)
	m.busy = opApply
	now := m.c.Now()
	if m.plan.plan == nil {
		return m
	}
	steps := m.plan.plan.Steps
	for i, s := range steps {
		m.run.event(m.model, engine.Event{Time: now, Kind: engine.StepStarted, Step: s.ID, Title: s.Title})
		for _, t := range s.Targets {
			host := t.Target.Host
			m.run.event(m.model, engine.Event{Time: now, Kind: engine.TargetStarted, Step: s.ID, Target: host})
			for _, a := range t.Detection.Actions {
				m.run.event(m.model, engine.Event{Time: now, Kind: engine.ActionStarted, Step: s.ID, Target: host, Action: a.ID, Summary: a.Summary})
				m.run.event(m.model, engine.Event{Time: now, Kind: engine.ActionOutput, Step: s.ID, Target: host, Action: a.ID, Message: "running: " + a.Summary})
				if i < len(steps)-1 {
					m.run.event(m.model, engine.Event{Time: now, Kind: engine.ActionFinished, Step: s.ID, Target: host, Action: a.ID, Status: engine.StatusSucceeded})
				}
			}
			if i < len(steps)-1 {
				m.run.event(m.model, engine.Event{Time: now, Kind: engine.TargetFinished, Step: s.ID, Target: host, Status: engine.StatusSucceeded})
			}
		}
		if i < len(steps)-1 {
			m.run.event(m.model, engine.Event{Time: now, Kind: engine.StepFinished, Step: s.ID, Status: engine.StatusSucceeded})
		}
	}
	return m
}

// benchApply is a model that plans with its backend and applies the plan at once,
// as the wizard does after the person confirms.
type benchApply struct{ Model }

func (b benchApply) Init() tea.Cmd {
	b.afterPlan = func(m *model) tea.Cmd { return m.startApply(nil) }
	return tea.Batch(b.Model.Init(), b.startPlan())
}

func (b benchApply) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := b.Model.Update(msg)
	return b, cmd
}

// BenchApply runs the wizard's program at width x height, planning and applying
// against opts.Backend straight away, writing to opts.Output with the same frame
// rate and color choices Run makes, until ctx ends. It is how the benchmarks count
// the bytes a run sends to a terminal.
func BenchApply(ctx context.Context, opts Options, width, height int) error {
	opts.ctx = ctx
	m := benchApply{NewModel(opts)}
	po := append(programOptions(ctx, opts), tea.WithWindowSize(width, height), tea.WithoutSignalHandler())
	if opts.Color != "never" {
		po = append(po, tea.WithColorProfile(colorprofile.ANSI256))
	}
	_, err := tea.NewProgram(m, po...).Run()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

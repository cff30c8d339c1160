package ui

import (
	"context"
	"errors"
	"fmt"
	"os"

	"charm.land/huh/v2"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// RunAccessible is the line-by-line twin of the wizard for screen readers and dumb
// terminals: huh's accessible prompts for the questions, then one line per event for
// preflight, plan and apply, with no panes and no repainting.
func RunAccessible(ctx context.Context, opts Options) error {
	if opts.Backend == nil {
		return errors.New("the wizard needs a backend; this is a bug in the caller")
	}
	in, out := opts.Input, opts.Output
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	a := opts.Answers
	if a == nil {
		a = answers.Example()
	}
	s := opts.Secrets
	if s == nil {
		s = &answers.Secrets{}
	}
	qs := newQuestions(a, s)
	var fields []huh.Field
	for _, q := range qs {
		f := huh.NewInput().Key(q.key).Title(q.title).Description(q.desc).Value(q.value)
		if q.validate != nil {
			f = f.Validate(q.validate)
		}
		if q.secret != nil {
			f = f.EchoMode(huh.EchoModePassword)
		}
		fields = append(fields, f)
	}
	form := huh.NewForm(huh.NewGroup(fields...)).WithAccessible(true).WithInput(in).WithOutput(out)
	if err := form.RunWithContext(ctx); err != nil {
		return fmt.Errorf("questions: %w", err)
	}
	if err := applyQuestions(qs, a, s); err != nil {
		return err
	}
	if errs := answers.Validate(a); len(errs) > 0 {
		return fmt.Errorf("the answers have problems:\n%w", errs)
	}
	red := s.Redactor()
	line := func(e engine.Event) {
		if t := eventLine(e); t != "" {
			fmt.Fprintln(out, red.Redact(t))
		}
	}
	b := opts.Backend
	fmt.Fprintln(out, "Preflight checks:")
	if err := b.Preflight(ctx, a, s, line); err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	fmt.Fprintln(out, "Planning:")
	p, err := b.Plan(ctx, a, s, func(engine.Event) {})
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	for _, ps := range p.Steps {
		for _, t := range ps.Targets {
			fmt.Fprintf(out, "step %d %s on %s: %s, %d action(s)\n", ps.ID, ps.Title, t.Target.Host, t.Detection.State, len(t.Detection.Actions))
		}
	}
	ok := false
	if err := huh.NewForm(huh.NewGroup(huh.NewConfirm().Title("Apply the plan?").Value(&ok))).WithAccessible(true).WithInput(in).WithOutput(out).RunWithContext(ctx); err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	if !ok {
		fmt.Fprintln(out, "Nothing applied.")
		return nil
	}
	rep, err := b.Apply(ctx, a, s, p, nil, line)
	if err != nil {
		return fmt.Errorf("apply: %w", red.RedactError(err))
	}
	fmt.Fprintln(out, rep.Recap())
	return nil
}

// eventLine is one event as a sentence, for the line-by-line progress stream.
func eventLine(e engine.Event) string {
	switch e.Kind {
	case engine.CheckFinished:
		if e.Check == nil {
			return ""
		}
		s := fmt.Sprintf("%s: %s: %s", e.Target, e.Check.Name, e.Check.Status)
		if e.Check.Detail != "" {
			s += ". " + e.Check.Detail
		}
		if e.Check.Fix != "" {
			s += ". Fix: " + e.Check.Fix
		}
		return s
	case engine.StepStarted:
		return fmt.Sprintf("Step %d started: %s", e.Step, e.Title)
	case engine.ActionStarted:
		return fmt.Sprintf("Step %d on %s: %s", e.Step, e.Target, e.Summary)
	case engine.TargetFinished:
		s := fmt.Sprintf("Step %d on %s: %s", e.Step, e.Target, e.Status)
		if e.Error != "" {
			s += ". " + e.Error
		}
		if e.Fix != "" {
			s += ". Fix: " + e.Fix
		}
		return s
	case engine.StepFinished:
		return fmt.Sprintf("Step %d %s", e.Step, e.Status)
	}
	return ""
}

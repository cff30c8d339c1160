package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/ssisha/ssisha/steps/answers"
)

// Options configure the wizard; the CLI fills them from flags and the environment.
type Options struct {
	Backend     Backend
	Answers     *answers.Answers // prefilled (from a file or lab defaults); may be nil
	Secrets     *answers.Secrets
	AnswersPath string // where "save answers" writes
	Lab         bool   // started by `ssisha lab`: the start screen says so
	ASCII       bool
	Color       string // never | auto | always
	Accessible  bool
	// LowBandwidth suits SSH: a static spinner with elapsed time and a lower frame rate.
	LowBandwidth bool
	StartScreen  string // "start" (default) or "steps"
	Input        io.Reader
	Output       io.Writer

	now func() time.Time
	ctx context.Context
}

// Run runs the full-screen wizard until the user quits.
func Run(ctx context.Context, opts Options) error {
	if opts.Backend == nil {
		return errors.New("the wizard needs a backend; this is a bug in the caller")
	}
	if os.Getenv("NO_COLOR") != "" && opts.Color != "always" {
		opts.Color = "never"
	}
	opts.ctx = ctx
	m := NewModel(opts)
	po := programOptions(ctx, opts)
	_, err := tea.NewProgram(m, po...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// programOptions are the program settings the options ask for: streams, no colour,
// and a lower frame rate for low bandwidth.
func programOptions(ctx context.Context, opts Options) []tea.ProgramOption {
	po := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.Input != nil {
		po = append(po, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		po = append(po, tea.WithOutput(opts.Output))
	}
	if opts.Color == "never" {
		po = append(po, tea.WithColorProfile(colorprofile.Ascii))
	}
	if opts.LowBandwidth {
		po = append(po, tea.WithFPS(20))
	}
	return po
}

// startingAnswers are the answers and secrets the wizard starts from: the given ones,
// else the example answers and no secrets.
func (opts Options) startingAnswers() (*answers.Answers, *answers.Secrets) {
	a, s := opts.Answers, opts.Secrets
	if a == nil {
		a = answers.Example()
	}
	if s == nil {
		s = &answers.Secrets{}
	}
	return a, s
}

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
	// Clock, when set, is the wizard's clock, and its timers (the spinner, the pause
	// before a network check) are off, so that the same keys draw the same screens:
	// for tests and pictures driven without a terminal.
	Clock func() time.Time
	// Context bounds the wizard's work with its backend; Run sets it to its own.
	Context context.Context
}

// Run runs the full-screen wizard until the user quits.
func Run(ctx context.Context, opts Options) error {
	if opts.Backend == nil {
		return errors.New("the wizard needs a backend; this is a bug in the caller")
	}
	if os.Getenv("NO_COLOR") != "" && opts.Color != "always" {
		opts.Color = "never"
	}
	opts.Context = ctx
	m := NewModel(opts)
	po := ProgramOptions(ctx, opts)
	_, err := tea.NewProgram(m, po...).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// ProgramOptions are the program settings Run uses for opts: ctx, the streams, no
// colour, and a lower frame rate for low bandwidth. A caller that runs the wizard's
// model in a program of its own (the benchmarks) starts from them.
func ProgramOptions(ctx context.Context, opts Options) []tea.ProgramOption {
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

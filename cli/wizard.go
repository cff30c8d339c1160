package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/ui"
)

// uiOptions maps the global flags and the environment onto the wizard's options.
func (a *app) uiOptions() ui.Options {
	ascii, low, accessible := ui.DetectEnv(a.getenv)
	color := a.color
	if a.getenv("NO_COLOR") != "" && color != "always" {
		color = "never"
	}
	return ui.Options{
		ASCII:        ascii || a.ascii,
		Color:        color,
		Accessible:   accessible || a.accessible,
		LowBandwidth: low,
	}
}

// startWizard runs the wizard, then waits for any run it started to stop after its
// running actions: quitting, Ctrl-C and a dropped terminal (SIGHUP) all end the
// screen first, never an action half done.
func (a *app) startWizard(ctx context.Context, o ui.Options, b *ssisha.Session) error {
	var err error
	if o.Accessible {
		err = ui.RunAccessible(ctx, o)
	} else {
		err = ui.Run(ctx, o)
	}
	if b.Busy() {
		fmt.Fprintln(a.errOut, "ssisha: waiting for the running actions to finish; the journal will be ready to resume")
	}
	b.Wait()
	return err
}

// The session is the wizard's backend.
var _ ui.Backend = (*ssisha.Session)(nil)

// wizardSession is the wizard's backend: a session that connects once the answers
// are filled in, and lets a step the person picks run before earlier ones are done.
func (a *app) wizardSession() *ssisha.Session {
	o := a.sessionOptions()
	o.OutOfOrder = true
	// Without answers Open connects on first use, so it cannot fail.
	s, _ := ssisha.Open(context.Background(), nil, nil, o)
	return s
}

// runWizard is `ssisha` with no command: the wizard against a real cluster.
func (a *app) runWizard(cmd *cobra.Command, _ []string) error {
	file, _ := cmd.Flags().GetString("file")
	o := a.uiOptions()
	o.AnswersPath = "answers.yaml"
	if file != "" {
		ans, err := answers.Load(file)
		if err != nil {
			return invalidErr(fmt.Errorf("%s: %w", file, err))
		}
		a.applyUserOverrides(ans)
		o.Answers, o.AnswersPath = ans, file
	}
	sec, err := answers.LoadSecrets(a.getenv, a.secretsFile)
	if err != nil {
		return invalidErr(err)
	}
	o.Secrets = sec
	b := a.wizardSession()
	defer b.Close()
	o.Backend = b
	return a.startWizard(cmd.Context(), o, b)
}

// runLabWizard starts a lab in this process and the wizard against it, with the
// answers and secrets that point at it filled in.
func (a *app) runLabWizard(ctx context.Context, f labFlags) error {
	o := a.uiOptions()
	_, b, stop, err := a.setUpLabWizard(f, &o)
	if err != nil {
		return failed(err)
	}
	defer stop()
	return a.startWizard(ctx, o, b)
}

// setUpLabWizard starts a lab of f in this process (in a temporary directory when f
// names none) and fills in o for the wizard against it: the lab, its answers and
// secrets, and the backend, which it also returns. stop closes the backend and the lab
// and removes the temporary directory.
func (a *app) setUpLabWizard(f labFlags, o *ui.Options) (l *lab.Lab, b *ssisha.Session, stop func(), err error) {
	var undo []func()
	undoAll := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	defer func() {
		// Named results: a failure part way returns nil for stop, so undo here.
		if err != nil {
			undoAll()
		}
	}()
	if f.dir == "" {
		dir, err := os.MkdirTemp("", "ssisha-lab-")
		if err != nil {
			return nil, nil, nil, err
		}
		undo = append(undo, func() { _ = os.RemoveAll(dir) })
		f.dir = dir
	}
	l, err = lab.Start(f.options())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("starting the lab: %w", err)
	}
	undo = append(undo, func() { _ = l.Close() })
	ans := labAnswers(l, f)
	sec, err := labsetup.Secrets(l, f.speed)
	if err != nil {
		return nil, nil, nil, err
	}
	if a.journalPath == "" {
		a.journalPath = filepath.Join(f.dir, "journal.jsonl")
	}
	o.Lab = true
	o.Answers, o.Secrets = ans, sec
	o.AnswersPath = filepath.Join(f.dir, "answers.yaml")
	b = a.wizardSession()
	undo = append(undo, b.Close)
	o.Backend = b
	return l, b, undoAll, nil
}

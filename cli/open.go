package cli

import (
	"context"
	"errors"
	"fmt"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// sessionOptions maps the global flags and the environment onto a session's options.
func (a *app) sessionOptions() ssisha.Options {
	return ssisha.Options{
		JournalPath:           a.journalPath,
		LogPath:               a.logPath,
		Parallel:              a.parallel,
		AllowCleartextSecrets: a.allowCleartextSecrets,
		Getenv:                a.getenv,
		Warn:                  func(msg string) { fmt.Fprintf(a.errOut, "warning: %s\n", msg) },
	}
}

// openSession is one command's session, with the answers and secrets it was opened on.
type openSession struct {
	*ssisha.Session
	ans *answers.Answers
	sec *answers.Secrets
	// emit receives the command's progress events (nil: none are shown).
	emit func(engine.Event)
}

// open opens a session on answers already loaded; answers or secrets the remote
// cannot be built from are invalid input (exit 2).
func (a *app) open(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, o ssisha.Options) (*openSession, error) {
	s, err := ssisha.Open(ctx, ans, sec, o)
	if err != nil {
		var ce *ssisha.ConfigError
		if errors.As(err, &ce) {
			return nil, invalidErr(err)
		}
		return nil, err
	}
	return &openSession{Session: s, ans: ans, sec: sec}, nil
}

// runFlags are what plan, apply, rollback, status and verify share: the answer
// file, --steps and --output.
type runFlags struct {
	file, only, output string
	// changes marks a command that changes the estate (apply, rollback): its events
	// show as they come, in the --output format, and it needs the journal.
	changes bool
}

// openRun reads the shared flags, refusing bad ones before anything connects, loads
// and checks the answers and secrets, and opens a session with the global flags and
// what set adds; for a command that changes things, it checks that the journal and
// the log file can be written. It returns the steps --steps names (nil: all).
func (a *app) openRun(ctx context.Context, f runFlags, set func(o *ssisha.Options)) (*openSession, []int, error) {
	only, err := parseSteps(f.only)
	if err != nil {
		return nil, nil, invalidErr(err)
	}
	var progress engine.Subscriber
	if f.changes {
		if progress, err = a.progressSubscriber(f.output); err != nil {
			return nil, nil, err
		}
	} else if err := checkOutput(f.output); err != nil {
		return nil, nil, err
	}
	ans, err := a.loadAnswers(f.file)
	if err != nil {
		return nil, nil, err
	}
	sec, err := a.loadSecrets(ans)
	if err != nil {
		return nil, nil, err
	}
	o := a.sessionOptions()
	o.Steps = only
	if set != nil {
		set(&o)
	}
	e, err := a.open(ctx, ans, sec, o)
	if err != nil {
		return nil, nil, err
	}
	if f.changes {
		if err := e.CheckJournal(ctx, ans, sec); err != nil {
			e.Close()
			return nil, nil, err
		}
	}
	e.emit = progress
	return e, only, nil
}

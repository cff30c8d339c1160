package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/client"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// session is one command's connection to an estate: answers, secrets, the remote,
// the steps' environment and the engine.
type session struct {
	ans     *answers.Answers
	sec     *answers.Secrets
	red     *script.Redactor
	rem     remote.Remote
	env     *steps.Env
	eng     *engine.Engine
	journal *engine.Journal
	closers []func() error
}

type sessionOptions struct {
	journal     bool // open the journal (apply, rollback)
	subscribers []engine.Subscriber
}

// openSession loads and checks the answers and secrets, and prepares the remote and
// the engine. Nothing is sent to a node until a command asks for it.
func (a *app) openSession(ctx context.Context, file string, o sessionOptions) (*session, error) {
	ans, err := a.loadAnswers(file)
	if err != nil {
		return nil, err
	}
	sec, err := a.loadSecrets(ans)
	if err != nil {
		return nil, err
	}
	return a.sessionFor(ctx, ans, sec, nil, o)
}

// sessionFor builds a session for answers already loaded; rem may be given (the
// in-process lab), otherwise the real protocols are used.
func (a *app) sessionFor(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, rem remote.Remote, o sessionOptions) (*session, error) {
	red := sec.Redactor()
	s := &session{ans: ans, sec: sec, red: red}
	if rem == nil {
		cfg := answers.RemoteConfig(ans, sec)
		var once sync.Map
		cfg.Warn = func(msg string) {
			if _, seen := once.LoadOrStore(msg, true); !seen {
				fmt.Fprintf(a.errOut, "warning: %s\n", red.Redact(msg))
			}
		}
		c, err := client.New(cfg)
		if err != nil {
			return nil, invalidErr(red.RedactError(err))
		}
		rem = c
		s.closers = append(s.closers, c.Close)
	}
	s.rem = rem
	s.env = &steps.Env{
		Answers:   ans,
		Secrets:   sec,
		Remote:    rem,
		Redactor:  red,
		Now:       time.Now,
		WaitScale: a.waitScale(sec),
	}
	v, err := steps.DetectVersion(ctx, s.env)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("cannot tell the SQL Server version of the masters: %w; set sqlVersion in the answer file or check that %s answers", red.RedactError(err), ans.Primary().Host)
	}
	s.env.Version = v

	subs := o.subscribers
	if o.journal {
		path := a.journalPath
		if path == "" {
			if path, err = engine.DefaultJournalPath(ans.Cluster.Name); err != nil {
				s.Close()
				return nil, err
			}
		}
		j, err := engine.OpenJournal(path)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
		s.journal = j
		s.closers = append(s.closers, j.Close)
		logPath := a.logPath
		if logPath == "" {
			logPath = strings.TrimSuffix(path, filepath.Ext(path)) + ".log"
		}
		logSub, closer, err := engine.LogFile(logPath)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("log file %s: %w", logPath, err)
		}
		subs = append(subs, logSub)
		s.closers = append(s.closers, closer.Close)
	}
	s.eng = engine.New(engine.Options{
		Steps:       steps.All(),
		Env:         s.env,
		Journal:     s.journal,
		Parallel:    a.parallel,
		Subscribers: subs,
	})
	return s, nil
}

// waitScale reads SSISHA_WAIT_SCALE: how much of the real waits (worker registration,
// service start) to spend; the lab's files set it, a real cluster leaves it unset.
func (a *app) waitScale(sec *answers.Secrets) float64 {
	v := a.getenv(answers.EnvWaitScale)
	if v == "" {
		v = sec.User(answers.EnvWaitScale)
	}
	if v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			return f
		}
	}
	return 1
}

// Close releases the remote and the journal.
func (s *session) Close() {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	_ = errors.Join(errs...)
}

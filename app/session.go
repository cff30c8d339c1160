// Package app is ssisha's application layer: a Session connects to an estate from a
// set of answers and secrets and runs the engine's operations on it (plan, apply,
// rollback, verify, status, preflight, the failover test, field checks). The CLI
// turns flags into a Session and prints what it returns; the wizard uses it as its
// Backend.
package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/client"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// Options shape a Session: where its journal and log go, how much runs at once, and
// what the command line asked for.
type Options struct {
	// JournalPath is the journal file; empty means the cluster's journal under
	// SSISHA_STATE_DIR, or in the user's state folder.
	JournalPath string
	// LogPath receives the full event log of applies and rollbacks; empty means
	// beside the journal.
	LogPath string
	// LogAll sends the events of every call to the log file, not only those of
	// applies and rollbacks: the apply command logs the plan it asked to confirm.
	LogAll bool
	// Parallel bounds how many targets run at once within a step (0: all).
	Parallel int
	// Steps limits Plan to these steps (all when empty).
	Steps []int
	// OutOfOrder lets Apply run the steps it is given even when an earlier step is
	// not done.
	OutOfOrder bool
	// StrictOrder makes Apply keep the documented order, a barrier between steps.
	StrictOrder bool
	// FollowPlan makes Apply stop, before a step changes anything, when what the step
	// has to do differs from the plan it was given beyond the plan's placeholders
	// (`apply --bundle`: the reviewed scripts are the ones that run).
	FollowPlan bool
	// SharedReads makes every read-only call of the session read one moment of the
	// estate: a fact several checks need is read once for the session's life
	// (validate's network facts and preflight).
	SharedReads bool
	// Getenv reads the environment (SSISHA_STATE_DIR, SSISHA_WAIT_SCALE); nil reads
	// nothing.
	Getenv func(string) string
	// SkipChecks names the preflight checks whose failure does not stop an apply
	// (--skip-check); the journal records each run that skipped them.
	SkipChecks []string
	// BreakLock replaces another run's lock marker on the primary node
	// (--break-lock): for a marker left by a run whose machine or process died.
	BreakLock bool
	// AllowCleartextSecrets lets secrets cross an unencrypted SQL Server connection
	// (connection.sql.encrypt false or disable; --allow-cleartext-secrets).
	AllowCleartextSecrets bool
	// Warn receives the remote's warnings, free of secrets, once each; nil drops them.
	Warn func(string)
}

// ConfigError is a failure to build the remote from the answers: the answers or
// secrets are wrong, not the estate.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Session is one program's use of an estate. It keeps one connection per set of
// answers (reconnecting when they change, as they do while the wizard is filled in)
// and builds an engine per call, so that each call's events reach that call's
// subscriber. It is safe for concurrent use.
type Session struct {
	opts Options

	// running counts applies and rollbacks in flight, so that the program does not
	// exit under them when the screen goes away (quit, a dropped terminal).
	running sync.WaitGroup
	// busy is how many of them are in flight now, for Busy.
	busy atomic.Int32

	mu  sync.Mutex
	key string
	c   *conn
	// gated is the key of the answers and secrets the gate last passed for.
	gated string
	// lock is the cluster lock the session holds, if any.
	lock *heldLock
}

// conn is a connection to an estate: answers, secrets, the remote and the steps'
// environment with the detected SQL Server version.
type conn struct {
	ans *answers.Answers
	sec *answers.Secrets
	red *script.Redactor
	rem remote.Remote
	env *steps.Env
}

// Open returns a session on the estate the answers describe. With answers, it
// connects and detects the SQL Server version at once, so that a command fails
// before it does anything; without (a wizard not yet filled in), it connects on
// first use. Nothing changes on a node until a call asks for it.
func Open(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, opts Options) (*Session, error) {
	s := &Session{opts: opts}
	if ans != nil {
		if _, err := s.conn(ctx, ans, sec); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// conn returns the connection for these answers, connecting when they changed.
func (s *Session) conn(ctx context.Context, ans *answers.Answers, sec *answers.Secrets) (*conn, error) {
	key, err := gateKey(ans, sec)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil && s.key == key {
		return s.c, nil
	}
	if s.c != nil {
		_ = s.c.rem.Close()
		s.c = nil
	}
	c, err := s.connect(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	s.c, s.key = c, key
	return c, nil
}

// connect builds the remote over the real protocols and detects the SQL Server
// version the steps' names and paths depend on.
func (s *Session) connect(ctx context.Context, ans *answers.Answers, sec *answers.Secrets) (*conn, error) {
	red := sec.Redactor()
	cfg := answers.RemoteConfig(ans, sec)
	cfg.SQL.AllowCleartextSecrets = s.opts.AllowCleartextSecrets
	var once sync.Map
	cfg.Warn = func(msg string) {
		if _, seen := once.LoadOrStore(msg, true); !seen && s.opts.Warn != nil {
			s.opts.Warn(red.Redact(msg))
		}
	}
	rem, err := client.New(cfg)
	if err != nil {
		return nil, &ConfigError{red.RedactError(err)}
	}
	c := &conn{ans: ans, sec: sec, red: red, rem: rem}
	c.env = &steps.Env{
		Answers:   ans,
		Secrets:   sec,
		Remote:    rem,
		Redactor:  red,
		Now:       time.Now,
		WaitScale: s.waitScale(sec),
	}
	v, err := steps.DetectVersion(ctx, c.env)
	if err != nil {
		_ = rem.Close()
		// The error names the node that did not answer and says what to do.
		return nil, fmt.Errorf("cannot tell the SQL Server version of the masters: %w", red.RedactError(err))
	}
	c.env.Version = v
	if s.opts.SharedReads {
		c.env.Reads = steps.NewReadCache()
	}
	return c, nil
}

// getenv reads the environment through Options.Getenv.
func (s *Session) getenv(key string) string {
	if s.opts.Getenv == nil {
		return ""
	}
	return s.opts.Getenv(key)
}

// waitScale reads SSISHA_WAIT_SCALE (environment, then the secrets file): how much of
// the real waits (worker registration, service start) to spend. The lab's files set
// it; a real cluster leaves it unset.
func (s *Session) waitScale(sec *answers.Secrets) float64 {
	v := s.getenv(answers.EnvWaitScale)
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

// run is one call's engine on a connection, with the journal and the log file when
// the call changes anything.
type run struct {
	*conn
	eng     *engine.Engine
	closers []func() error
}

// engine connects for these answers and builds an engine whose events go to emit
// (nil: nowhere) and, with journal or Options.LogAll, to the log file; with journal,
// every action is journaled.
func (s *Session) engine(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, journal bool, emit func(engine.Event)) (*run, error) {
	c, err := s.conn(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	r := &run{conn: c}
	var subs []engine.Subscriber
	if emit != nil {
		subs = append(subs, engine.Subscriber(emit))
	}
	var j *engine.Journal
	if journal || s.opts.LogAll {
		path, err := s.JournalFile(c.ans.Cluster.Name)
		if err != nil {
			return nil, err
		}
		if journal {
			if j, err = engine.OpenJournal(path); err != nil {
				return nil, fmt.Errorf("journal %s: %w", path, err)
			}
			r.closers = append(r.closers, j.Close)
		}
		logPath := s.opts.LogPath
		if logPath == "" {
			logPath = strings.TrimSuffix(path, filepath.Ext(path)) + ".log"
		}
		logSub, closer, err := engine.LogFile(logPath)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("log file %s: %w", logPath, err)
		}
		subs = append(subs, logSub)
		r.closers = append(r.closers, closer.Close)
	}
	r.eng = engine.New(engine.Options{
		Steps:       steps.All(),
		Env:         c.env,
		Journal:     j,
		Parallel:    s.opts.Parallel,
		StrictOrder: s.opts.StrictOrder,
		Subscribers: subs,
	})
	return r, nil
}

// close releases what the call opened, newest first.
func (r *run) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		_ = r.closers[i]()
	}
	r.closers = nil
}

// JournalFile is Options.JournalPath, or the cluster's journal under
// SSISHA_STATE_DIR, or in the user's state folder.
func (s *Session) JournalFile(cluster string) (string, error) {
	if s.opts.JournalPath != "" {
		return s.opts.JournalPath, nil
	}
	if d := s.getenv(envvar.StateDir); d != "" {
		name, err := engine.JournalFileName(cluster)
		if err != nil {
			return "", err
		}
		return filepath.Join(d, name), nil
	}
	return engine.DefaultJournalPath(cluster)
}

// Redact removes the secrets of the current connection from err, for a message a
// person sees.
func (s *Session) Redact(err error) error {
	s.mu.Lock()
	c := s.c
	s.mu.Unlock()
	if c == nil || err == nil {
		return err
	}
	return c.red.RedactError(err)
}

// Wait blocks until no apply or rollback is running: the wizard has asked them to
// stop after their running actions, and those finish before the program exits, so
// the journal is left ready to resume.
func (s *Session) Wait() { s.running.Wait() }

// Busy says whether an apply or a rollback is in flight now, so that a program that
// exits says it waits only when it does.
func (s *Session) Busy() bool { return s.busy.Load() > 0 }

// begin counts an apply or a rollback in; the function it returns counts it out.
func (s *Session) begin() func() {
	s.running.Add(1)
	s.busy.Add(1)
	return func() {
		s.busy.Add(-1)
		s.running.Done()
	}
}

// Close releases the connection.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c != nil {
		_ = s.c.rem.Close()
		s.c = nil
	}
}

package cli

import (
	"context"
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

// conn is a connection to an estate: answers, secrets, the remote and the steps'
// environment with the detected SQL Server version.
type conn struct {
	ans *answers.Answers
	sec *answers.Secrets
	red *script.Redactor
	rem remote.Remote
	env *steps.Env
}

// session is one command's use of an estate: a conn and an engine (with the journal
// and the log file when the command changes anything).
type session struct {
	*conn
	eng     *engine.Engine
	journal *engine.Journal
	closers []func() error
}

type sessionOptions struct {
	journal     bool // open the journal and the log file (apply, rollback)
	subscribers []engine.Subscriber
	outOfOrder  bool
}

// openSession loads and checks the answers and secrets, and prepares the remote and
// the engine. Nothing changes on a node until a command asks for it.
func (a *app) openSession(ctx context.Context, file string, o sessionOptions) (*session, error) {
	ans, err := a.loadAnswers(file)
	if err != nil {
		return nil, err
	}
	sec, err := a.loadSecrets(ans)
	if err != nil {
		return nil, err
	}
	return a.sessionFor(ctx, ans, sec, o)
}

// sessionFor builds a session for answers already loaded.
func (a *app) sessionFor(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, o sessionOptions) (*session, error) {
	c, err := a.connect(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	s, err := a.newSession(c, o)
	if err != nil {
		_ = c.rem.Close()
		return nil, err
	}
	s.closers = append([]func() error{c.rem.Close}, s.closers...)
	return s, nil
}

// connect builds the remote over the real protocols and detects the SQL Server
// version the steps' names and paths depend on.
func (a *app) connect(ctx context.Context, ans *answers.Answers, sec *answers.Secrets) (*conn, error) {
	red := sec.Redactor()
	cfg := answers.RemoteConfig(ans, sec)
	var once sync.Map
	cfg.Warn = func(msg string) {
		if _, seen := once.LoadOrStore(msg, true); !seen {
			fmt.Fprintf(a.errOut, "warning: %s\n", red.Redact(msg))
		}
	}
	rem, err := client.New(cfg)
	if err != nil {
		return nil, invalidErr(red.RedactError(err))
	}
	c := &conn{ans: ans, sec: sec, red: red, rem: rem}
	c.env = &steps.Env{
		Answers:   ans,
		Secrets:   sec,
		Remote:    rem,
		Redactor:  red,
		Now:       time.Now,
		WaitScale: a.waitScale(sec),
	}
	v, err := steps.DetectVersion(ctx, c.env)
	if err != nil {
		_ = rem.Close()
		return nil, fmt.Errorf("cannot tell the SQL Server version of the masters: %w; set sqlVersion in the answer file, or check that %s answers", red.RedactError(err), ans.Primary().Host)
	}
	c.env.Version = v
	return c, nil
}

// newSession adds an engine (and, for changes, the journal and the log file) to c.
func (a *app) newSession(c *conn, o sessionOptions) (*session, error) {
	s := &session{conn: c}
	subs := o.subscribers
	if o.journal {
		path, err := a.journalFile(c.ans.Cluster.Name)
		if err != nil {
			return nil, err
		}
		j, err := engine.OpenJournal(path)
		if err != nil {
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
		Steps:           steps.All(),
		Env:             c.env,
		Journal:         s.journal,
		Parallel:        a.parallel,
		Subscribers:     subs,
		AllowOutOfOrder: o.outOfOrder,
	})
	return s, nil
}

// waitScale reads SSISHA_WAIT_SCALE (environment, then the secrets file): how much of
// the real waits (worker registration, service start) to spend. The lab's files set
// it; a real cluster leaves it unset.
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

// Close releases what the session opened, newest first.
func (s *session) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i]()
	}
	s.closers = nil
}

// journalFile is --journal, or the cluster's journal under SSISHA_STATE_DIR (read from
// this command's environment), or the user's state folder.
func (a *app) journalFile(cluster string) (string, error) {
	if a.journalPath != "" {
		return a.journalPath, nil
	}
	if d := a.getenv("SSISHA_STATE_DIR"); d != "" {
		name, err := engine.JournalFileName(cluster)
		if err != nil {
			return "", err
		}
		return filepath.Join(d, name), nil
	}
	return engine.DefaultJournalPath(cluster)
}

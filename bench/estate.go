package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/client"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/sqlversion"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// Estate is the shape of a lab a measurement runs against.
type Estate struct {
	Masters int
	Workers int
	// Speed is the lab's share of a real estate's operation times (0.01: a 10-minute
	// install takes 6 s).
	Speed float64
	// Latency is added to every WinRM and TDS round trip.
	Latency time.Duration
}

// labEstate is a running lab with ssisha's client connected to it the way the CLI
// connects to a real cluster: answers, secrets, the WinRM and TDS client and the
// steps' environment.
type labEstate struct {
	lab   *lab.Lab
	dir   string
	ans   *answers.Answers
	sec   *answers.Secrets
	cli   *client.Client
	count *countingRemote
	env   *steps.Env
}

// startEstate starts a lab of shape e and connects to it; nothing is detected yet
// but the SQL Server version, as the CLI does before every command.
func startEstate(ctx context.Context, e Estate) (*labEstate, error) {
	dir, err := os.MkdirTemp("", "ssisha-bench-")
	if err != nil {
		return nil, err
	}
	l, err := lab.Start(lab.Options{
		Seed:    estate.SeedOptions{Masters: e.Masters, Workers: e.Workers, SQLVersion: sqlversion.Default},
		Speed:   e.Speed,
		Latency: e.Latency,
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting the lab: %w", err)
	}
	le := &labEstate{lab: l, dir: dir}
	if err := le.connect(ctx, e.Speed); err != nil {
		le.Close()
		return nil, err
	}
	return le, nil
}

func (le *labEstate) connect(ctx context.Context, speed float64) error {
	le.ans = labsetup.Answers(le.lab.Endpoints(), false)
	sec, err := labsetup.Secrets(le.lab, speed)
	if err != nil {
		return err
	}
	le.sec = sec
	cli, err := client.New(answers.RemoteConfig(le.ans, le.sec))
	if err != nil {
		return err
	}
	le.cli = cli
	le.count = &countingRemote{Remote: cli}
	le.env = &steps.Env{
		Answers:   le.ans,
		Secrets:   le.sec,
		Remote:    le.count,
		Redactor:  le.sec.Redactor(),
		Now:       time.Now,
		WaitScale: labsetup.WaitScale(speed),
	}
	v, err := steps.DetectVersion(ctx, le.env)
	if err != nil {
		return fmt.Errorf("detecting the SQL Server version of the lab: %w", err)
	}
	le.env.Version = v
	return nil
}

// engine returns an engine over the nine steps; apply engines get a journal in the
// estate's temporary directory, as every change needs one.
func (le *labEstate) engine(parallel int, journal bool, subs ...engine.Subscriber) (*engine.Engine, func(), error) {
	return le.engineWith(engine.Options{Parallel: parallel}, journal, subs...)
}

// engineOrdered is an engine with a journal that applies in the documented order when
// strict, else as the steps' needs allow.
func (le *labEstate) engineOrdered(parallel int, strict bool, subs ...engine.Subscriber) (*engine.Engine, func(), error) {
	return le.engineWith(engine.Options{Parallel: parallel, StrictOrder: strict}, true, subs...)
}

func (le *labEstate) engineWith(o engine.Options, journal bool, subs ...engine.Subscriber) (*engine.Engine, func(), error) {
	o.Steps, o.Env, o.Subscribers = steps.All(), le.env, subs
	done := func() {}
	if journal {
		j, err := engine.OpenJournal(filepath.Join(le.dir, fmt.Sprintf("journal-%d.jsonl", time.Now().UnixNano())))
		if err != nil {
			return nil, nil, err
		}
		o.Journal = j
		done = func() { _ = j.Close() }
	}
	return engine.New(o), done, nil
}

// Close disconnects, stops the lab and removes the temporary files.
func (le *labEstate) Close() {
	if le.cli != nil {
		_ = le.cli.Close()
	}
	_ = le.lab.Close()
	_ = os.RemoveAll(le.dir)
}

// countingRemote counts the PowerShell commands and T-SQL batches the steps ask for,
// the denominators of the round-trip figures: what the tool sends per thing it has
// to do, whatever the protocols make of it.
type countingRemote struct {
	remote.Remote
	mu    sync.Mutex
	ps    int
	sql   int
	trace *timeline // nil: no timeline
}

func (c *countingRemote) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	defer c.count(&c.ps).command(host, "ps  "+s.Op, time.Now())
	return c.Remote.PowerShell(ctx, host, s)
}

func (c *countingRemote) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	defer c.count(&c.sql).command(host, "sql "+b.Op, time.Now())
	return c.Remote.SQL(ctx, host, b)
}

// count adds one to n, a counter of c, and returns the timeline the call goes on.
func (c *countingRemote) count(n *int) *timeline {
	c.mu.Lock()
	defer c.mu.Unlock()
	*n++
	return c.trace
}

// traceTo starts recording a timeline (nil stops).
func (c *countingRemote) traceTo(t *timeline) {
	c.mu.Lock()
	c.trace = t
	c.mu.Unlock()
}

// reset zeroes the counts and returns them.
func (c *countingRemote) reset() (ps, sql int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, sql = c.ps, c.sql
	c.ps, c.sql = 0, 0
	return ps, sql
}

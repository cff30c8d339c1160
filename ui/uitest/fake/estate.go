package fake

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// LabStart is the lab clock when an estate is seeded: fixed, so that what the steps
// read and the plan's fingerprint are the same on every run.
var LabStart = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// labSQLVersion is the SQL Server release of the fake's estates.
const labSQLVersion = 2019

// labPasswords are the estate's accounts' passwords and the secrets the lab chooses
// itself, fixed so that nothing drawn from them changes between runs.
var labPasswords = map[string]string{
	envvar.WinRMPassword:         "Lab-Admin-7f3Q!x",
	envvar.SQLPassword:           "Lab-Admin-7f3Q!x",
	envvar.MasterAccountPassword: "Lab-Master-2k9W!v",
	envvar.WorkerAccountPassword: "Lab-Worker-5m1E!z",
	envvar.LoggingPassword:       "Lab-Logging-8c4R!t",
	envvar.MasterKeyPassword:     "Lab-MasterKey-3h6T!p",
	envvar.PFXPassword:           "Lab-Pfx-9d2Y!k",
}

// labEstate is a seeded lab estate of masters and workers, run in process.
type labEstate struct {
	rem *clockedRemote
	ans *answers.Answers
	sec *answers.Secrets
	env *steps.Env
}

// newLabEstate seeds an estate of that shape at LabStart, with the answers `ssisha lab`
// would write for it (on fixed ports) and its secrets, and detects its SQL Server
// version as a session does.
func newLabEstate(masters, workers int) (*labEstate, error) {
	e := estate.NewEstate(estate.SeedOptions{Masters: masters, Workers: workers, SQLVersion: labSQLVersion, Passwords: map[string]string{
		`contoso\` + estate.AdminAccount:         labPasswords[envvar.WinRMPassword],
		`contoso\` + estate.MasterServiceAccount: labPasswords[envvar.MasterAccountPassword],
		`contoso\` + estate.WorkerServiceAccount: labPasswords[envvar.WorkerAccountPassword],
	}})
	d := lab.NewDirect(e)
	d.Now = LabStart
	rem := &clockedRemote{d: d}
	ans, sec, err := LabAnswers(masters, workers)
	if err != nil {
		return nil, err
	}
	// The steps' waits (a worker's registration) are polls of the estate, whose clock
	// moves with every call: they need no time of their own.
	env := &steps.Env{Answers: ans, Secrets: sec, Remote: rem, Redactor: sec.Redactor(), Now: rem.now, WaitScale: 1e-9}
	v, err := steps.DetectVersion(context.Background(), env)
	if err != nil {
		return nil, fmt.Errorf("the fake's lab estate: %w", err)
	}
	env.Version = v
	return &labEstate{rem: rem, ans: ans, sec: sec, env: env}, nil
}

// LabAnswers are the answers and secrets `ssisha lab` gives the wizard for a lab of
// that shape, with the lab's nodes on fixed loopback ports: what the fake's estates
// are detected with, and what pictures of the wizard start from. Each call returns
// new values, which the caller may change.
func LabAnswers(masters, workers int) (*answers.Answers, *answers.Secrets, error) {
	ep := lab.Endpoints{Listener: "127.0.0.1:14330", ListenerName: "ssislsn", CAFile: "lab-ca.pem", AdminUser: `CONTOSO\` + estate.AdminAccount}
	for i := 1; i <= masters; i++ {
		ep.Nodes = append(ep.Nodes, lab.NodeEndpoint{Host: fmt.Sprintf("node%d.contoso.com", i), Role: "master", Instance: "MSSQLSERVER",
			WinRM: fmt.Sprintf("127.0.0.1:%d", 15900+i), SQL: fmt.Sprintf("127.0.0.1:%d", 14330+i)})
	}
	for i := 1; i <= workers; i++ {
		ep.Nodes = append(ep.Nodes, lab.NodeEndpoint{Host: fmt.Sprintf("worker%d.contoso.com", i), Role: "worker",
			WinRM: fmt.Sprintf("127.0.0.1:%d", 15950+i)})
	}
	sec := &answers.Secrets{}
	for k, v := range labPasswords {
		if err := sec.Set(k, v); err != nil {
			return nil, nil, err
		}
	}
	return labsetup.Answers(ep, false), sec, nil
}

// clockedRemote runs the estate's operations one at a time, each callGap of lab time
// after the last, as a person's estate moves on while ssisha polls it (a worker
// registers a minute after its service starts).
type clockedRemote struct {
	mu sync.Mutex
	d  *lab.Direct
}

func (c *clockedRemote) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick()
	return c.d.PowerShell(ctx, host, s)
}

func (c *clockedRemote) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick()
	return c.d.SQL(ctx, host, b)
}

// callGap is the lab time between two calls: a few polls see a worker register.
const callGap = 5 * time.Second

// tick moves the lab clock on before a call; the call brings the estate up to it.
// Every use of the Direct holds c.mu, so its clock is set without its own lock.
func (c *clockedRemote) tick() { c.d.Now = c.d.Now.Add(callGap) }

func (c *clockedRemote) Close() error { return nil }

// now is the lab clock.
func (c *clockedRemote) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.d.Now
}

var _ remote.Remote = (*clockedRemote)(nil)

// estateFacts are what the real steps and engine find on a lab estate of one shape:
// the plan and preflight of a fresh estate, and the verification after every step is
// applied to it.
type estateFacts struct {
	ans       *answers.Answers
	plan      *engine.Plan
	preflight []engine.VerifyCheck
	verify    *engine.VerifyReport
}

// shape is the size of an estate.
type shape struct{ masters, workers int }

var (
	factsMu sync.Mutex
	facts   = map[shape]*factsOnce{}
)

type factsOnce struct {
	once sync.Once
	f    *estateFacts
	err  error
}

// factsFor returns the facts of an estate of that shape, read from a lab estate once
// per process: the steps take a moment on an estate of sixteen nodes, and every test
// of the wizard plans.
func factsFor(masters, workers int) (*estateFacts, error) {
	factsMu.Lock()
	fo := facts[shape{masters, workers}]
	if fo == nil {
		fo = &factsOnce{}
		facts[shape{masters, workers}] = fo
	}
	factsMu.Unlock()
	fo.once.Do(func() { fo.f, fo.err = readFacts(masters, workers) })
	return fo.f, fo.err
}

// readFacts runs preflight and plan on a fresh lab estate, applies every step with the
// real engine (one target at a time, in the documented order) and verifies the result.
func readFacts(masters, workers int) (*estateFacts, error) {
	le, err := newLabEstate(masters, workers)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ssisha-fake-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	j, err := engine.OpenJournal(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		return nil, err
	}
	defer j.Close()
	eng := engine.New(engine.Options{Steps: steps.All(), Env: le.env, Journal: j, Parallel: 1, StrictOrder: true, Heartbeat: -1})
	ctx := context.Background()
	f := &estateFacts{ans: le.ans}
	if f.preflight, err = eng.Preflight(ctx); err != nil {
		return nil, fmt.Errorf("the fake's lab estate: preflight: %w", err)
	}
	if f.plan, err = eng.Plan(ctx, nil); err != nil {
		return nil, fmt.Errorf("the fake's lab estate: plan: %w", err)
	}
	rep, err := eng.ApplyWith(ctx, f.plan, nil, engine.ApplyOptions{})
	if err != nil {
		return nil, fmt.Errorf("the fake's lab estate: apply: %w", err)
	}
	if rep.Status != engine.StatusSucceeded {
		var errs []string
		for _, r := range rep.Results {
			if r.Err != "" {
				errs = append(errs, fmt.Sprintf("step %d on %s: %s", r.Step, r.Target, r.Err))
			}
		}
		return nil, fmt.Errorf("the fake's lab estate: apply %s: %s", rep.Status, strings.Join(errs, "; "))
	}
	if f.verify, err = eng.Verify(ctx); err != nil {
		return nil, fmt.Errorf("the fake's lab estate: verify: %w", err)
	}
	return f, nil
}

package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
	"github.com/ssisha/ssisha/ui"
)

// wizardBackend gives the wizard the engine: one connection per set of answers (kept
// while the answers stay the same), and an engine per call so that each call's events
// reach the screen.
type wizardBackend struct {
	a *app

	// running counts applies and rollbacks in flight, so that the program does not
	// exit under them when the screen goes away (quit, a dropped terminal).
	running sync.WaitGroup

	mu  sync.Mutex
	key string
	c   *conn
}

var _ ui.Backend = (*wizardBackend)(nil)

func newWizardBackend(a *app) *wizardBackend { return &wizardBackend{a: a} }

// conn returns the connection for these answers, connecting when they changed.
func (b *wizardBackend) conn(ctx context.Context, ans *answers.Answers, sec *answers.Secrets) (*conn, error) {
	data, err := answers.Marshal(ans)
	if err != nil {
		return nil, err
	}
	key := string(data) + fmt.Sprintf("|%p", sec)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c != nil && b.key == key {
		return b.c, nil
	}
	if b.c != nil {
		_ = b.c.rem.Close()
		b.c = nil
	}
	c, err := b.a.connect(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	b.c, b.key = c, key
	return c, nil
}

// Wait blocks until no apply or rollback is running: the wizard has asked them to
// stop after their running actions, and those finish before the program exits, so
// the journal is left ready to resume.
func (b *wizardBackend) Wait() { b.running.Wait() }

// Close releases the connection.
func (b *wizardBackend) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c != nil {
		_ = b.c.rem.Close()
		b.c = nil
	}
}

func (b *wizardBackend) session(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, journal bool, emit func(engine.Event)) (*session, error) {
	c, err := b.conn(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	var subs []engine.Subscriber
	if emit != nil {
		subs = append(subs, engine.Subscriber(emit))
	}
	return b.a.newSession(c, sessionOptions{journal: journal, subscribers: subs})
}

// CheckField checks one network fact from the primary node.
func (b *wizardBackend) CheckField(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, field, value string) ui.FieldCheck {
	c, err := b.conn(ctx, ans, sec)
	if err != nil {
		return ui.FieldCheck{OK: false, Message: "cannot check yet: " + err.Error()}
	}
	if field == "masters" || field == "workers" {
		return b.checkHosts(ctx, c, field, value)
	}
	ok, warn, msg := steps.CheckField(ctx, c.env, field, value)
	return ui.FieldCheck{OK: ok, Warning: warn, Message: c.red.Redact(msg)}
}

// checkHosts checks every host of a list field (the wizard asks for the masters and
// the workers as one comma-separated list).
func (b *wizardBackend) checkHosts(ctx context.Context, c *conn, field, value string) ui.FieldCheck {
	res := ui.FieldCheck{OK: true}
	var msgs []string
	n := 0
	for _, h := range strings.Split(value, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		ok, warn, msg := steps.CheckField(ctx, c.env, fmt.Sprintf("%s[%d].host", field, n), h)
		n++
		// And from this machine: the node's WinRM port and certificate, as ssisha will
		// reach it.
		if ok {
			if r, found := b.reachFromHere(ctx, c, h); found && r.mark == "FAIL" {
				ok, msg = false, r.detail
			}
		}
		if !ok || warn {
			msgs = append(msgs, h+": "+msg)
		}
		res.OK = res.OK && ok
		res.Warning = res.Warning || warn
	}
	switch {
	case len(msgs) > 0:
		res.Message = c.red.Redact(strings.Join(msgs, "; "))
	case n > 0:
		res.Message = fmt.Sprintf("%d host(s) resolve and answer WinRM", n)
	}
	return res
}

// Preflight runs every preflight check on every target of its scope, in parallel.
func (b *wizardBackend) Preflight(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) error {
	c, err := b.conn(ctx, ans, sec)
	if err != nil {
		return err
	}
	runPreflight(ctx, c, emit)
	return nil
}

// Plan detects every step on every target.
func (b *wizardBackend) Plan(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) (*engine.Plan, error) {
	s, err := b.session(ctx, ans, sec, false, emit)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.eng.Plan(ctx, nil)
}

// Apply runs the plan; cancelling ctx stops it after the running actions.
func (b *wizardBackend) Apply(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	b.running.Add(1)
	defer b.running.Done()
	s, err := b.session(context.WithoutCancel(ctx), ans, sec, true, emit)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			close(stop)
		case <-done:
		}
	}()
	return s.eng.ApplyWith(context.WithoutCancel(ctx), p, only, engine.ApplyOptions{Stop: stop, AllowOutOfOrder: len(only) > 0})
}

// Rollback undoes what the journal records for the steps in only (all when empty).
func (b *wizardBackend) Rollback(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, only []int, emit func(engine.Event)) (*engine.Report, error) {
	b.running.Add(1)
	defer b.running.Done()
	s, err := b.session(ctx, ans, sec, true, emit)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.eng.Rollback(ctx, only)
}

// Verify reads back every step on every target.
func (b *wizardBackend) Verify(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) (*engine.VerifyReport, error) {
	s, err := b.session(ctx, ans, sec, false, emit)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.eng.Verify(ctx)
}

// Interrupted reads the journal of the answers' cluster for interrupted actions.
func (b *wizardBackend) Interrupted(ans *answers.Answers) []engine.Record {
	path, err := b.a.journalFile(ans.Cluster.Name)
	if err != nil {
		return nil
	}
	j, err := engine.OpenJournal(path)
	if err != nil {
		return nil
	}
	defer j.Close()
	return j.Pending()
}

// WriteBundle writes the reviewable scripts of the plan.
func (b *wizardBackend) WriteBundle(p *engine.Plan, dir string) error {
	b.mu.Lock()
	c := b.c
	b.mu.Unlock()
	if c == nil {
		return fmt.Errorf("no plan has been made yet")
	}
	s, err := b.a.newSession(c, sessionOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.eng.WriteBundle(p, dir)
}

// reachFromHere runs the local WinRM probe for host, when the answers know the host.
func (b *wizardBackend) reachFromHere(ctx context.Context, c *conn, host string) (reachLine, bool) {
	cfg := answers.RemoteConfig(c.ans, nil)
	n, ok := cfg.Node(host)
	if !ok {
		return reachLine{}, false
	}
	return winrmReach(ctx, cfg, caPool(cfg.WinRM.CAFile), n), true
}

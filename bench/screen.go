package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
	"github.com/ssisha/ssisha/ui"
	"github.com/ssisha/ssisha/ui/uitest"
)

// ViewCost is the mean time of one View() of the run screen with nodes panes at
// width x height, over n calls.
func ViewCost(nodes, width, height, n int) time.Duration {
	m := uitest.RunScreen(ui.Options{Backend: &uitest.FakeBackend{}, Answers: uitest.NodeAnswers(nodes)}, width, height)
	_ = m.View() // the first call sizes caches; a person's terminal sees the steady cost
	start := time.Now()
	for range n {
		_ = m.View()
	}
	return time.Since(start) / time.Duration(max(n, 1))
}

// OutputRate runs the wizard's program through a planned apply of a nodes-node estate
// at width x height for d, writing to a byte counter, and returns the bytes per second
// sent after the first second (the first frame and the plan) until the end: what a
// steady run costs the link. Each action of the fake backend takes step, so the run
// never finishes within d when step is long enough.
func OutputRate(ctx context.Context, nodes, width, height int, lowBandwidth bool, d, step time.Duration) (float64, error) {
	warm := time.Second
	if d <= warm {
		warm = d / 2
	}
	w := &timedWriter{start: time.Now()}
	// The window opens when the apply starts, not when the wizard does: the
	// questions, preflight and plan before it are not the steady run.
	fb := &applyClock{FakeBackend: &uitest.FakeBackend{Delay: step}, started: make(chan time.Duration, 1), since: w.start}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	begun := make(chan time.Duration, 1)
	go func() {
		select {
		case at := <-fb.started:
			begun <- at
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		case <-time.After(d + time.Minute):
		case <-ctx.Done():
		}
		cancel()
	}()
	in, inW := io.Pipe()
	defer inW.Close()
	err := uitest.Apply(ctx, ui.Options{
		Backend:      fb,
		Answers:      uitest.NodeAnswers(nodes),
		LowBandwidth: lowBandwidth,
		Input:        in,
		Output:       w,
	}, width, height)
	if err != nil {
		return 0, err
	}
	select {
	case at := <-begun:
		return float64(w.between(at+warm, at+d)) / (d - warm).Seconds(), nil
	default:
		return 0, fmt.Errorf("the wizard never reached the apply of a %d-node estate", nodes)
	}
}

// applyClock is the fake backend, noting when the wizard starts the apply.
type applyClock struct {
	*uitest.FakeBackend
	started chan time.Duration
	since   time.Time
	once    sync.Once
}

func (a *applyClock) Apply(ctx context.Context, an *answers.Answers, s *answers.Secrets, p *engine.Plan, only []int, emit func(engine.Event)) (*engine.Report, error) {
	a.once.Do(func() { a.started <- time.Since(a.since) })
	return a.FakeBackend.Apply(ctx, an, s, p, only, emit)
}

// FirstFrame is the time from starting the wizard (ui.Run, against the fake backend)
// to its first write to the terminal.
func FirstFrame(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	first := make(chan time.Duration, 1)
	w := &timedWriter{start: time.Now(), first: first}
	in, inW := io.Pipe()
	defer inW.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- ui.Run(ctx, ui.Options{Backend: &uitest.FakeBackend{}, Input: in, Output: w})
	}()
	select {
	case d := <-first:
		cancel()
		<-errc
		return d, nil
	case err := <-errc:
		if err == nil {
			err = ctx.Err()
		}
		return 0, fmt.Errorf("the wizard wrote nothing before it ended: %v", err)
	}
}

// timedWriter counts what is written to it and when.
type timedWriter struct {
	start time.Time
	first chan<- time.Duration

	mu     sync.Mutex
	writes []timedWrite
}

type timedWrite struct {
	at time.Duration
	n  int
}

func (w *timedWriter) Write(p []byte) (int, error) {
	at := time.Since(w.start)
	w.mu.Lock()
	if len(w.writes) == 0 && w.first != nil {
		w.first <- at
	}
	w.writes = append(w.writes, timedWrite{at, len(p)})
	w.mu.Unlock()
	return len(p), nil
}

// between returns the bytes written from `from` after the start up to `to`.
func (w *timedWriter) between(from, to time.Duration) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, x := range w.writes {
		if x.at >= from && x.at < to {
			n += x.n
		}
	}
	return n
}

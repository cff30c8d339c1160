package uitest

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/ui"
	"github.com/ssisha/ssisha/ui/uitest/fake"
)

// What the benchmarks (package bench) need of the wizard: a run screen in a known
// state, and a program that goes straight to an apply. Both reach it by keys.

// RunScreen returns a wizard on the run screen of an apply in progress at width x
// height with opts (its backend a *FakeBackend, or a new one; the lab's secrets unless
// opts has some; timers off): every step but the last done, and the last one started on every
// worker with a line of output each. It is the screen a person watches longest, which
// makes its View the one worth timing.
func RunScreen(opts ui.Options, width, height int) ui.Model {
	fb, ok := opts.Backend.(*fake.Backend)
	if !ok {
		fb = &fake.Backend{}
	}
	fb.Hold = len(steps.All())
	opts.Backend = fb
	withLabSecrets(&opts)
	// A clock of the caller's stops the spinner's timer, which would keep a run
	// that holds its breath busy forever.
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	// The run is held until this returns; the screen stays as it was then.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts.Context = ctx
	w := &wizard{m: ui.NewModel(opts), held: fb.Held}
	w.drive(w.m.Init())
	w.drive(func() tea.Msg { return tea.WindowSizeMsg{Width: width, Height: height} })
	w.press(keys("enter", "n", "enter", "a", "y")...)
	return w.m
}

// withLabSecrets gives opts the lab's secrets when it has none, so that the wizard
// asks for none on its way to an apply.
func withLabSecrets(opts *ui.Options) {
	if opts.Secrets == nil {
		_, opts.Secrets, _ = fake.LabAnswers(FrameMasters, FrameWorkers)
	}
}

// applyAtOnce is the wizard with a person who plans and applies at once: it sends the
// keys that do it, each once the wizard has waited for nothing for a while, as a
// person reads the screen before the next key. (A key sent the moment no backend call
// is in flight can overtake the commands that open the next screen.)
type applyAtOnce struct {
	ui.Model
	keys     []tea.KeyPressMsg
	lastBusy time.Time
}

// applyPoll is applyAtOnce's own timer; the wizard never sees it.
type applyPoll struct{}

// applyQuiet is how long the wizard must have had nothing in flight before a key.
const applyQuiet = 300 * time.Millisecond

func (b *applyAtOnce) Init() tea.Cmd {
	b.lastBusy = time.Now()
	return tea.Batch(b.Model.Init(), b.poll())
}

func (b *applyAtOnce) poll() tea.Cmd {
	return tea.Tick(50*time.Millisecond, func(time.Time) tea.Msg { return applyPoll{} })
}

func (b *applyAtOnce) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(applyPoll); ok {
		if len(b.keys) == 0 {
			return b, nil
		}
		if b.Working() || time.Since(b.lastBusy) < applyQuiet {
			return b, b.poll()
		}
		k := b.keys[0]
		b.keys = b.keys[1:]
		b.lastBusy = time.Now()
		return b, tea.Batch(func() tea.Msg { return k }, b.poll())
	}
	_, cmd := b.Model.Update(msg)
	if b.Working() {
		b.lastBusy = time.Now()
	}
	return b, cmd
}

// Apply runs the wizard's program at width x height, planning and applying against
// opts.Backend straight away (as a person does who confirms everything), writing to
// opts.Output with the same frame rate and colour choices ui.Run makes, until ctx
// ends. It is how the benchmarks count the bytes a run sends to a terminal.
func Apply(ctx context.Context, opts ui.Options, width, height int) error {
	withLabSecrets(&opts)
	opts.Context = ctx
	m := &applyAtOnce{Model: ui.NewModel(opts), keys: keys("enter", "n", "enter", "a", "y")}
	po := append(ui.ProgramOptions(ctx, opts), tea.WithWindowSize(width, height), tea.WithoutSignalHandler())
	if opts.Color != "never" {
		po = append(po, tea.WithColorProfile(colorprofile.ANSI256))
	}
	_, err := tea.NewProgram(m, po...).Run()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// NodeAnswers are the example answers grown to nodes nodes (their masters, then
// workers), for the run screen's figures and tests: it draws one pane per node.
func NodeAnswers(nodes int) *answers.Answers {
	a := answers.Example()
	if len(a.Workers) == 0 {
		a.Workers = []answers.Worker{{Host: "worker1.contoso.com", Account: `CONTOSO\svc_ssisworker`}}
	}
	tmpl := a.Workers[0]
	a.Workers = nil
	for i := 1; i <= nodes-len(a.Masters); i++ {
		w := tmpl
		w.Host = fmt.Sprintf("worker%d.contoso.com", i)
		a.Workers = append(a.Workers, w)
	}
	a.ApplyDefaults()
	return a
}

// Package uitest drives the wizard without a terminal, by its keys, against the fake
// estate of package fake: every screen in a representative state for the golden
// frames and the screenshots, the mistakes the pictures type into the questions, and
// the screens and runs the benchmarks time. It is test support: the wizard never
// imports it; `ssisha lab bench` does, for its screen figures.
package uitest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
	"github.com/ssisha/ssisha/ui"
	"github.com/ssisha/ssisha/ui/uitest/fake"
	"github.com/ssisha/ssisha/ui/uitest/settle"
)

// FakeBackend is the fake estate the wizard is drawn against.
type FakeBackend = fake.Backend

// Clock is the fixed time of the frames: the wizard's clock and the fake's.
var Clock = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// FrameMasters and FrameWorkers are the shape of the lab the frames are drawn
// against, as `ssisha lab` starts it.
const (
	FrameMasters = 2
	FrameWorkers = 1
)

// Frames renders every screen in a representative state at width x height, each
// reached by keys from the start screen of a fresh wizard on a fresh fake lab estate,
// with the lab's answers and secrets unless opts has answers. The result maps a name to
// the screen's ANSI view; it is the same on every call.
func Frames(opts ui.Options, width, height int) (map[string]string, error) {
	fixed := func() time.Time { return Clock }
	opts.Clock = fixed
	d := &driver{opts: opts, width: width, height: height}
	// Ending the wizards' work at the end lets a run held on purpose go.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.opts.Context = ctx
	out := map[string]string{}
	fresh := func(fb *fake.Backend) (*wizard, error) {
		fb.Now = fixed
		return d.start(fb)
	}

	w, err := fresh(&fake.Backend{})
	if err != nil {
		return nil, err
	}
	out["start"] = w.view()

	// Questions: each group with its checks done and a mistake typed in one field.
	if w, err = fresh(&fake.Backend{}); err != nil {
		return nil, err
	}
	w.press(keys("j", "enter")...)
	for g, name := range answers.GroupTitles() {
		mk, ok := QuestionMistake(g, w.answers, w.secrets)
		if !ok {
			out["questions-"+slug(name)] = w.view()
			w.press(repeat(key("enter"), groupSize(g, w.answers, w.secrets))...)
			continue
		}
		w.press(repeat(key("tab"), mk.Moves)...)
		w.typeKeys(mk.Keys)
		out["questions-"+slug(name)] = w.view()
		w.typeKeys(mk.Undo)
		w.press(repeat(key("enter"), mk.Fields-mk.Moves)...)
	}

	// Preflight, with the cursor on the first warning: its detail and fix show below.
	if w, err = fresh(&fake.Backend{}); err != nil {
		return nil, err
	}
	w.press(keys("enter", "n")...)
	if err := w.downUntil(warningDetail, "preflight shows no warning"); err != nil {
		return nil, err
	}
	out["preflight"] = w.view()

	// The plan, with the cursor on step 6's first action: its scripts show beside it.
	fb := &fake.Backend{}
	if w, err = fresh(fb); err != nil {
		return nil, err
	}
	w.press(keys("enter", "n", "enter")...)
	first, err := firstAction(fb, w.answers, w.secrets, 6)
	if err != nil {
		return nil, err
	}
	if err := w.downUntil(first, "the plan has no action of step 6"); err != nil {
		return nil, err
	}
	out["plan"] = w.view()

	// Mid-run: steps 1 to 4 done, step 5 started on both masters.
	fb = &fake.Backend{Hold: 5}
	if w, err = fresh(fb); err != nil {
		return nil, err
	}
	w.held = fb.Held
	w.press(keys("enter", "n", "enter", "a", "y")...)
	out["run"] = w.view()

	// Step 7 failed on the first master.
	if w, err = fresh(&fake.Backend{FailStep: 7, FailHost: "node1.contoso.com", FailTimes: 1}); err != nil {
		return nil, err
	}
	w.press(keys("enter", "n", "enter", "a", "y")...)
	out["run-failed"] = w.view()

	if w, err = fresh(&fake.Backend{}); err != nil {
		return nil, err
	}
	w.press(keys("enter", "n", "enter", "a", "y")...)
	out["summary"] = w.view()

	// The steps after steps 1 to 5 ran one by one from this screen, the cursor on 4.
	if w, err = fresh(&fake.Backend{}); err != nil {
		return nil, err
	}
	w.press(key("t"))
	for i := range 5 {
		if i > 0 {
			w.press(keys("t", "j")...)
		}
		w.press(keys("r", "y")...)
	}
	w.press(keys("t", "k")...)
	out["steps"] = w.view()
	return out, nil
}

// warningDetail finds the detail line of a preflight cell that warns.
var warningDetail = regexp.MustCompile(`: \S+ Warning`)

// firstAction finds the title the plan's script pane gives the first action of step
// id: its host and the action's ID.
func firstAction(fb *fake.Backend, a *answers.Answers, s *answers.Secrets, id int) (*regexp.Regexp, error) {
	p, err := fb.Plan(context.Background(), a, s, func(engine.Event) {})
	if err != nil {
		return nil, err
	}
	for _, ps := range p.Steps {
		if ps.ID != id {
			continue
		}
		for _, t := range ps.Targets {
			if len(t.Detection.Actions) > 0 {
				return regexp.MustCompile(regexp.QuoteMeta(t.Target.Host) + ` \S+ ` + regexp.QuoteMeta(t.Detection.Actions[0].ID)), nil
			}
		}
	}
	return nil, fmt.Errorf("the plan has no action of step %d", id)
}

// groupSize is how many fields question group g has.
func groupSize(g int, a *answers.Answers, s *answers.Secrets) int {
	n := 0
	for _, q := range ui.Questions(a, s) {
		if q.Group == g {
			n++
		}
	}
	return n
}

// driver starts wizards of one size and options.
type driver struct {
	opts          ui.Options
	width, height int
}

// wizard is one wizard driven by keys, with the answers it started from.
type wizard struct {
	m       ui.Model
	answers *answers.Answers
	secrets *answers.Secrets
	// held, when set, reports that the backend holds a run on purpose: the wizard
	// then waits for nothing more.
	held func() bool
}

// start builds a wizard on fb with the lab's answers (unless the options have
// answers), runs its start and sizes it.
func (d *driver) start(fb *fake.Backend) (*wizard, error) {
	o := d.opts
	o.Backend = fb
	if o.Answers == nil {
		a, s, err := fake.LabAnswers(FrameMasters, FrameWorkers)
		if err != nil {
			return nil, err
		}
		o.Answers, o.Secrets = a, s
	}
	w := &wizard{m: ui.NewModel(o), answers: o.Answers, secrets: o.Secrets}
	w.drive(w.m.Init())
	w.drive(func() tea.Msg { return tea.WindowSizeMsg{Width: d.width, Height: d.height} })
	return w, nil
}

// drive runs cmd and what follows from it until nothing is left to wait for.
func (w *wizard) drive(cmd tea.Cmd) {
	settle.Run(w.m, cmd, func() bool { return w.m.Working() && (w.held == nil || !w.held()) })
}

// press sends keys one at a time, each handled with all that follows from it before
// the next, as a person waits for the screen.
func (w *wizard) press(ks ...tea.KeyPressMsg) {
	for _, k := range ks {
		w.drive(func() tea.Msg { return k })
	}
}

// typeKeys sends keys that edit one field all at once, as fast typing does; what
// follows from them is handled after the last.
func (w *wizard) typeKeys(ks []tea.KeyPressMsg) {
	cmds := make([]tea.Cmd, len(ks))
	for i, k := range ks {
		cmds[i] = func() tea.Msg { return k }
	}
	w.drive(tea.Batch(cmds...))
}

// view is the screen as the wizard draws it now.
func (w *wizard) view() string { return w.m.View().Content }

// downUntil moves the cursor down until the screen matches re, or fails with missing
// after 80 moves.
func (w *wizard) downUntil(re *regexp.Regexp, missing string) error {
	for range 80 {
		if re.MatchString(ansi.Strip(w.view())) {
			return nil
		}
		w.press(key("j"))
	}
	return fmt.Errorf("%s; the screen:\n%s", missing, ansi.Strip(w.view()))
}

var (
	key  = settle.Key
	keys = settle.Keys
)

func repeat(k tea.KeyPressMsg, n int) []tea.KeyPressMsg {
	out := make([]tea.KeyPressMsg, max(n, 0))
	for i := range out {
		out[i] = k
	}
	return out
}

// slug is a screen's name made of a title: lower case, words joined by dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}

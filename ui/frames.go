package ui

import (
	"context"
	"reflect"
	"time"

	"charm.land/bubbles/v2/cursor"
	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/engine"
)

// frameClock is the fixed time of screenshots and goldens.
var frameClock = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// FrameEstate is the estate one of Frames' screens is drawn against.
type FrameEstate struct {
	// Now is the clock the backend stamps its events with.
	Now func() time.Time
	// Interrupted is what the backend's Interrupted returns.
	Interrupted []engine.Record
	// FailStep, when above 0, is a step that fails once on FailHost.
	FailStep int
	FailHost string
}

// Frames renders every screen in a representative state, each against a fresh
// backend from estate, for screenshots and golden files. The result maps a name to
// the screen's ANSI view; it is the same on every call for a deterministic estate.
func Frames(opts Options, width, height int, estate func(FrameEstate) Backend) (map[string]string, error) {
	out := map[string]string{}
	fixed := func() time.Time { return frameClock }
	opts.now = fixed
	base := FrameEstate{Now: fixed, Interrupted: []engine.Record{{Time: frameClock, Step: 5, Target: "node2.contoso.com", Action: "set-sqlservername", Summary: "Set SqlServerName to SSISLSN,1433", Kind: engine.KindIntent}}}
	newFake := func() Backend { return estate(base) }
	fresh := func(fb Backend) Model {
		o := opts
		o.Backend = fb
		m := NewModel(o)
		drive(m, func() tea.Msg { return tea.WindowSizeMsg{Width: width, Height: height} })
		return m
	}

	m := fresh(newFake())
	out["start"] = m.render()

	// Questions: each group with its checks done and a mistake typed in one field.
	m = fresh(newFake())
	drive(m, m.start.items()[1].run(m.model))
	for g, name := range questionGroups {
		if g > 0 {
			drive(m, m.questions.form.NextGroup())
		}
		drive(m, m.questions.checkAll(m.model))
		mk, ok := QuestionMistake(g, m.a, m.s)
		if !ok {
			out["questions-"+slug(name)] = m.render()
			continue
		}
		for range mk.Moves {
			drive(m, m.questions.form.NextField())
		}
		pressKeys(m, mk.Keys)
		// The check of the value as typed, which the wizard runs once typing pauses.
		drive(m, m.questions.checkAll(m.model))
		out["questions-"+slug(name)] = m.render()
		pressKeys(m, mk.Undo)
	}

	m = fresh(newFake())
	drive(m, m.startPreflight())
	m.preflight.row, m.preflight.col = 4, 1
	out["preflight"] = m.render()

	m = fresh(newFake())
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	for i, r := range m.plan.rows {
		if r.action != nil && r.step.ID == 6 {
			m.plan.cursor = i
			break
		}
	}
	out["plan"] = m.render()

	// Mid-run: steps 1 to 4 done, step 5 running on both masters at once.
	m = fresh(newFake())
	drive(m, m.startPlan())
	m.goTo(scrRun)
	m.run.begin(m.model, opApply, m.plan.plan, nil)
	m.busy = opApply
	var evs []engine.Event
	fb := newFake()
	_, _ = fb.Apply(context.Background(), m.a, m.s, m.plan.plan, []int{1, 2, 3, 4}, func(e engine.Event) {
		if e.Kind != engine.RunFinished {
			evs = append(evs, e)
		}
	})
	hosts := m.a.MasterHosts()
	evs = append(evs, engine.Event{Time: frameClock, Kind: engine.StepStarted, Step: 5, Title: m.plan.plan.Steps[4].Title})
	for i, h := range hosts {
		evs = append(evs,
			engine.Event{Time: frameClock.Add(-time.Duration(7+i*5) * time.Second), Kind: engine.TargetStarted, Step: 5, Target: h},
			engine.Event{Time: frameClock.Add(-time.Duration(7+i*5) * time.Second), Kind: engine.ActionStarted, Step: 5, Target: h, Action: "set-sqlservername", Summary: "Set SqlServerName to SSISLSN,1433", Script: "# ssisha-op: set-master-settings"},
			engine.Event{Time: frameClock, Kind: engine.ActionOutput, Step: 5, Target: h, Message: "MasterSettings.config read: SqlServerName=" + shortHost(h)},
			engine.Event{Time: frameClock, Kind: engine.ActionOutput, Step: 5, Target: h, Message: "stopping SSISScaleOutMaster150"})
	}
	for _, e := range evs {
		m.run.event(m.model, e)
	}
	out["run"] = m.render()
	m.busy = ""

	failing := base
	failing.FailStep, failing.FailHost = 7, hosts[0]
	m = fresh(estate(failing))
	drive(m, m.startPlan())
	drive(m, m.startApply(nil))
	out["run-failed"] = m.render()

	m = fresh(newFake())
	drive(m, m.startPlan())
	drive(m, m.startApply(nil))
	out["summary"] = m.render()

	sb := newFake()
	m = fresh(sb)
	drive(m, m.startPlan())
	drive(m, m.startApply([]int{1, 2, 3, 4, 5}))
	m.goTo(scrSteps)
	drive(m, m.startPlan())
	m.steps.cursor = 3
	out["steps"] = m.render()
	return out, nil
}

// frameMistakes are typed into one field of each question group, the field reached
// with skip moves, at the end of its value or over it (replace), so that every
// group's frame shows a check failing as the user types; QuestionMistake turns them
// into keys, with those that restore the value before the next group. The secrets
// group has its own there: its passwords are empty in Frames, which its checks already
// flag, and set in the lab.
var frameMistakes = []frameMistake{
	{2, ".", false},                   // Domain (NetBIOS): a trailing dot
	{0, "svc_ssismaster", true},       // Master service account: no domain
	{2, "0", false},                   // Master port: 83910 is not a port
	{2, "-primary-listener", false},   // Listener DNS name: more than NetBIOS's 15 characters
	{0, ", node1.contoso.com", false}, // Worker hosts: a master node typed as a worker
	{2, `CONTOSO\`, true},             // WinRM user: a domain without a user
}

// frameMistake is one entry of frameMistakes.
type frameMistake struct {
	skip    int
	text    string
	replace bool
}

// pressKeys sends keys to the model one at a time, as typing does.
func pressKeys(m Model, keys []tea.KeyPressMsg) {
	for _, k := range keys {
		drive(m, func() tea.Msg { return k })
	}
}

func slug(s string) string {
	b := []rune{}
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			b = append(b, r+'a'-'A')
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b = append(b, r)
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return string(b)
}

// cmdWait is how long drive waits for a wave of commands when no backend work is in
// flight; timers (a cursor blink) take longer and are dropped, so a driven model never
// depends on the wall clock. Backend work is always waited for.
const cmdWait = 20 * time.Millisecond

// drive runs cmd and every command that follows from it, wave by wave, feeding the
// messages to the model in a fixed order, until nothing is left. It is how Frames and
// the tests step the model without a terminal.
func drive(m Model, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for round := 0; len(queue) > 0 && round < 5000; round++ {
		wave := queue
		queue = nil
		chans := make([]chan tea.Msg, len(wave))
		for i, c := range wave {
			if c == nil {
				continue
			}
			ch := make(chan tea.Msg, 1)
			chans[i] = ch
			go func() { ch <- c() }()
		}
		msgs := make([]tea.Msg, len(wave))
		start := time.Now()
		for i, ch := range chans {
			if ch == nil {
				continue
			}
			for msgs[i] == nil {
				select {
				case msgs[i] = <-ch:
				case <-time.After(5 * time.Millisecond):
				}
				if msgs[i] != nil {
					break
				}
				waited := time.Since(start)
				if waited > 30*time.Second || waited > cmdWait && !m.working() {
					break
				}
			}
		}
		for _, msg := range msgs {
			if msg == nil {
				continue
			}
			if sub, ok := cmdList(msg); ok {
				queue = append(queue, sub...)
				continue
			}
			switch msg.(type) {
			case tea.QuitMsg, cursor.BlinkMsg:
				continue
			}
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// working reports backend work in flight, whose messages drive must wait for.
func (m *model) working() bool {
	return m.busy != "" || len(m.questions.inFlight) > 0
}

// cmdList unpacks tea.Batch and tea.Sequence results (the latter has no exported type).
func cmdList(msg tea.Msg) ([]tea.Cmd, bool) {
	if b, ok := msg.(tea.BatchMsg); ok {
		return b, true
	}
	v := reflect.ValueOf(msg)
	if v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		out := make([]tea.Cmd, v.Len())
		for i := range out {
			out[i] = v.Index(i).Interface().(tea.Cmd)
		}
		return out, true
	}
	return nil, false
}

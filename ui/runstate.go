package ui

import (
	"time"

	"github.com/ssisha/ssisha/steps/engine"
)

// nodeState is what one node is doing in a run, folded from the engine's events.
type nodeState struct {
	host    string
	step    int
	action  string
	status  engine.Status
	started time.Time
	lines   []string
	err     string
	fix     string
	// running are the steps whose target on this node has started and not
	// finished: steps overlap when one needs nothing of the other.
	running map[int]bool
	// rev counts the changes events made, so a pane drawn at one rev can be
	// reused until the next.
	rev  int
	pane paneCache
}

// paneCache is a node's pane as last drawn and what it was drawn from. Most frames
// change no node (the spinner and the clock tick far more often than events come),
// and drawing a pane measures and pads every line of it.
type paneCache struct {
	key paneKey
	out string
}

// paneKey is everything a pane shows besides the node's state: the status glyph
// (the spinner's frame), the elapsed time, the size and the focus.
type paneKey struct {
	rev, w, h      int
	focused        bool
	glyph, elapsed string
}

// stepState is one step's status in a run.
type stepState struct {
	id     int
	title  string
	status engine.Status
}

// logEntry is one command the run sent, as the command log shows it.
type logEntry struct {
	host, step, summary, script string
}

// maxNodeLines bounds the output a pane keeps; the full output is in the run's log file.
const maxNodeLines = 50

// maxLog bounds the command log kept for the screen.
const maxLog = 200

// event folds one engine event into the run's state.
func (r *runScreen) event(m *model, e engine.Event) {
	if e.Time.IsZero() {
		e.Time = m.c.Now()
	}
	switch e.Kind {
	case engine.StepStarted:
		r.stepFor(e.Step, e.Title).status = engine.StatusRunning
	case engine.StepFinished:
		r.stepFor(e.Step, e.Title).status = e.Status
	case engine.TargetStarted:
		n := r.node(e.Target)
		n.rev++
		n.step, n.status, n.started, n.err, n.fix, n.action = e.Step, engine.StatusRunning, e.Time, "", "", ""
		if n.running == nil {
			n.running = map[int]bool{}
		}
		n.running[e.Step] = true
	case engine.ActionStarted:
		n := r.node(e.Target)
		n.rev++
		n.step, n.action, n.started = e.Step, m.c.Redact(e.Summary), e.Time
		n.status = engine.StatusRunning
		r.log = append(r.log, logEntry{host: e.Target, step: itoa(e.Step), summary: m.c.Redact(e.Summary), script: m.c.Redact(e.Script)})
		if len(r.log) > maxLog {
			r.log = r.log[len(r.log)-maxLog:]
		}
	case engine.ActionOutput:
		n := r.node(e.Target)
		n.rev++
		n.lines = append(n.lines, m.c.Redact(e.Message))
		if len(n.lines) > maxNodeLines {
			n.lines = n.lines[len(n.lines)-maxNodeLines:]
		}
	case engine.ActionFinished:
		if e.Status == engine.StatusFailed {
			n := r.node(e.Target)
			n.rev++
			n.err = m.c.Redact(e.Error)
		}
	case engine.TargetFinished:
		n := r.node(e.Target)
		n.rev++
		delete(n.running, e.Step)
		if e.Status == engine.StatusSucceeded || e.Status == engine.StatusUndone {
			r.changed[e.Step] = true
		}
		if other, ok := n.otherRunning(); ok && e.Status != engine.StatusFailed {
			// Another step still runs on the node: the pane follows it.
			if n.step == e.Step {
				n.step, n.action = other, ""
			}
			break
		}
		n.status = e.Status
		n.action = ""
		if e.Error != "" {
			n.err = m.c.Redact(e.Error)
		}
		if e.Fix != "" {
			n.fix = m.c.Redact(e.Fix)
		}
		if e.Status == engine.StatusFailed {
			r.failedStep, r.failedHost = e.Step, e.Target
		}
	}
}

// otherRunning is the lowest step still running on the node.
func (n *nodeState) otherRunning() (int, bool) {
	low := 0
	for id := range n.running {
		if low == 0 || id < low {
			low = id
		}
	}
	return low, low != 0
}

func (r *runScreen) stepFor(id int, title string) *stepState {
	for _, s := range r.steps {
		if s.id == id {
			if s.title == "" {
				s.title = title
			}
			return s
		}
	}
	s := &stepState{id: id, title: title}
	r.steps = append(r.steps, s)
	return s
}

func (r *runScreen) node(host string) *nodeState {
	for _, n := range r.nodes {
		if n.host == host {
			return n
		}
	}
	n := &nodeState{host: host}
	r.nodes = append(r.nodes, n)
	return n
}

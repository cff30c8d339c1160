package ui

import (
	"fmt"
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
		r.follow(e.Target)
	case engine.ActionStarted:
		n := r.node(e.Target)
		n.rev++
		n.step, n.action, n.started = e.Step, m.c.Redact(e.Summary), e.Time
		n.status = engine.StatusRunning
		r.log = append(r.log, logEntry{host: e.Target, step: itoa(e.Step), summary: m.c.Redact(e.Summary), script: m.c.Redact(e.Script)})
		if len(r.log) > maxLog {
			r.log = r.log[len(r.log)-maxLog:]
		}
		r.commandsOf(m, e)
		r.follow(e.Target)
	case engine.ActionOutput:
		r.node(e.Target).add(m.c.Redact(e.Message))
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

// add appends one line of output to the node's pane.
func (n *nodeState) add(line string) {
	n.rev++
	n.lines = append(n.lines, line)
	if len(n.lines) > maxNodeLines {
		n.lines = n.lines[len(n.lines)-maxNodeLines:]
	}
}

// follow focuses the pane of the node that just started work, unless the user picked
// a pane with tab.
func (r *runScreen) follow(host string) {
	if r.pinned {
		return
	}
	for i, n := range r.nodes {
		if n.host == host {
			r.tab = i
		}
	}
}

// commandsOf writes each command of the started action into the pane of the node it
// runs on: a T-SQL batch for another replica shows on that replica, not only on the
// step's target. The commands come from the plan the run applies; an undo runs other
// commands than the plan's, so a rollback shows none.
func (r *runScreen) commandsOf(m *model, e engine.Event) {
	p := m.plan.plan
	if p == nil || r.mode != opApply {
		return
	}
	for _, ps := range p.Steps {
		if ps.ID != e.Step {
			continue
		}
		for _, t := range ps.Targets {
			if t.Target.Host != e.Target {
				continue
			}
			for _, a := range t.Detection.Actions {
				if a.ID != e.Action {
					continue
				}
				for _, c := range a.Commands {
					kind := "PowerShell"
					if c.SQL != nil {
						kind = "T-SQL"
					}
					host := c.Host
					if !r.known(host) {
						host = e.Target
					}
					line := fmt.Sprintf("%s %s (step %d)", kind, c.Op(), e.Step)
					if host != e.Target {
						line += " for " + shortHost(e.Target)
					}
					r.node(host).add(m.c.Redact(line))
				}
			}
		}
	}
}

// known reports whether host is one of the run's nodes (a listener is not).
func (r *runScreen) known(host string) bool {
	for _, n := range r.nodes {
		if n.host == host {
			return true
		}
	}
	return false
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

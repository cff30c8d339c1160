package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// startScreen says which estate this is and offers the ways in: the questions, an
// answer file, the resume of an interrupted run, and the steps.
type startScreen struct {
	cursor  int
	records []engine.Record
	loaded  string
}

type startItem struct {
	label, help string
	run         func(m *model) tea.Cmd
}

func (s *startScreen) items() []startItem {
	items := []startItem{
		{"Use these answers", "Review every answer on one page, change any of them, then preflight, plan and apply.", func(m *model) tea.Cmd {
			m.goTo(scrReview)
			return m.questions.checkAll(m)
		}},
		{"Answer the questions", "Nodes, accounts, names and addresses, page by page, then the review.", func(m *model) tea.Cmd {
			return m.questions.restart(m)
		}},
		{"Open an answer file…", "Load answers from a YAML file; secrets still come from the environment or prompts.", func(m *model) tea.Cmd {
			m.dlg = promptFor("Open an answer file", "Path of the answer file", m.answersFile(), func(m *model, p string) tea.Cmd { return loadAnswers(p) })
			return nil
		}},
	}
	if len(s.records) > 0 {
		items = append(items, startItem{"Resume the interrupted run", "Detect again what is done on every node, then continue from the plan.", func(m *model) tea.Cmd {
			m.goTo(scrPlan)
			m.flash = "Resuming: the plan detects again what the interrupted run finished."
			return m.startPlan()
		}})
	}
	items = append(items,
		startItem{"Re-run or undo one step", "The nine steps with what is done on each node.", func(m *model) tea.Cmd {
			return m.openSteps()
		}},
		startItem{"Quit", "", func(m *model) tea.Cmd { return tea.Quit }},
	)
	return items
}

func loadAnswers(path string) tea.Cmd {
	return func() tea.Msg {
		a, err := answers.Load(path)
		if err != nil {
			return answersLoadedMsg{path: path, err: fmt.Errorf("open %s: %w", path, err)}
		}
		return answersLoadedMsg{path: path, answers: a}
	}
}

// answersFile is the answer file the save and open prompts offer first.
func (m *model) answersFile() string {
	if m.answersPath == "" {
		return "answers.yaml"
	}
	return m.answersPath
}

func (m *model) answersLoaded(msg answersLoadedMsg) tea.Cmd {
	if msg.err != nil {
		m.flash = m.c.Redact(msg.err.Error()) + " Fix the file, or answer the questions."
		return nil
	}
	m.a = msg.answers
	m.answersPath = msg.path
	m.start.loaded = msg.path
	m.questions.build(m)
	m.flash = "Answers loaded from " + msg.path + "."
	if errs := answers.Validate(m.a); len(errs) > 0 {
		m.flash = fmt.Sprintf("Answers loaded from %s, with %d problem(s) validate --offline also finds; the questions show each at its field:\n%s", msg.path, len(errs), errs.Error())
	}
	return m.findInterrupted()
}

func (s *startScreen) bindings(m *model) []binding {
	k := m.c.Keys
	return []binding{primary(k.Enter), on(k.Up), on(k.Down), on(k.Load), on(k.Steps)}
}

func (s *startScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	items := s.items()
	switch {
	case key.Matches(msg, k.Up):
		s.cursor = (s.cursor + len(items) - 1) % len(items)
	case key.Matches(msg, k.Down):
		s.cursor = (s.cursor + 1) % len(items)
	case key.Matches(msg, k.Enter):
		return items[min(s.cursor, len(items)-1)].run(m)
	case key.Matches(msg, k.Load):
		return items[2].run(m)
	case key.Matches(msg, k.Steps):
		return items[len(items)-2].run(m)
	}
	return nil
}

func (s *startScreen) render(m *model, w, h int) string {
	st, g := m.c.Styles, m.c.Glyphs
	var b []string
	b = append(b, st.Title.Render("SSIS Scale Out Master, highly available"), "")
	if m.c.Lab {
		b = append(b, st.Accent.Render("Lab")+": a simulated estate on this machine ("+plural(len(m.a.Masters), "master node")+" with SQL Server, "+plural(len(m.a.Workers), "worker")+"). Nothing real is touched.")
	} else {
		b = append(b, st.Warn.Render("Real cluster")+": ssisha connects to the nodes named in the answers. Nothing changes before you confirm the plan.")
	}
	src := "example answers (edit them in the questions)"
	if m.c.Lab {
		src = "the lab's answers"
	}
	if s.loaded != "" {
		src = s.loaded
	} else if m.answersPath != "" && m.answersFromFile {
		src = m.answersPath
	}
	b = append(b, st.Muted.Render(fmt.Sprintf("Answers: %s %s masters %s", src, g.Dot, strings.Join(m.a.MasterHosts(), ", "))))
	if len(s.records) > 0 {
		b = append(b, "", st.Warn.Render(g.Warn+" A run was interrupted")+": "+m.c.Redact(interruptedText(s.records)))
	}
	b = append(b, "")
	items := s.items()
	for i, it := range items {
		line := "  " + it.label
		if i == s.cursor {
			line = st.Selected.Render(g.Cursor + " " + it.label)
		}
		b = append(b, line)
	}
	if s.cursor < len(items) && items[s.cursor].help != "" {
		b = append(b, "", st.Muted.Render(items[s.cursor].help))
	}
	var out []string
	for _, l := range b {
		out = append(out, wrap(l, w)...)
	}
	return fit(strings.Join(out, "\n"), w, h)
}

// interruptedText says where the interrupted run stopped, in one line.
func interruptedText(rs []engine.Record) string {
	r := rs[len(rs)-1]
	if r.Kind == engine.KindRunEnd {
		return "the last apply was stopped before it finished"
	}
	s := fmt.Sprintf("interrupted during step %d on %s", r.Step, r.Target)
	if r.Summary != "" {
		s += ": " + r.Summary
	}
	if len(rs) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(rs)-1)
	}
	return s
}

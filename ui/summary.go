package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/engine"
)

// summaryScreen is the end of a run: per step and node what succeeded, was already
// done, failed or was undone, with the reasons, then the verification results.
type summaryScreen struct {
	report *engine.Report
	verify *engine.VerifyReport
	mode   opKind
	scroll int
}

// set shows the run that just ended. The verification of an earlier operation goes:
// only a read-back made after this run may stand beside it.
func (s *summaryScreen) set(r *runScreen) {
	s.report, s.mode, s.scroll, s.verify = r.report, r.mode, 0, nil
}

func (s *summaryScreen) bindings(m *model) []binding {
	k := m.c.Keys
	export := onIf(k.Export, s.report != nil, "no run has finished yet")
	export.primary = export.disabled == ""
	return []binding{export, on(k.Down), on(k.Steps), on(k.Back)}
}

func (s *summaryScreen) key(m *model, msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Down):
		s.scroll++
	case key.Matches(msg, k.Up):
		s.scroll = max(0, s.scroll-1)
	case key.Matches(msg, k.Steps):
		return m.openSteps()
	case key.Matches(msg, k.Back):
		// One screen back: the run it sums up, with its panes and log.
		m.goTo(scrRun)
	case key.Matches(msg, k.Export):
		rep, ver := s.report, s.verify
		m.dlg = promptFor("Export the report as Markdown", "File", "ssisha-report.md", func(m *model, path string) tea.Cmd {
			return func() tea.Msg {
				text := rep.Markdown()
				if ver != nil {
					text += "\n" + ver.Markdown()
				}
				if err := engine.WritePrivateFile(path, []byte(text)); err != nil {
					return reportExportedMsg{path: path, err: fmt.Errorf("write the report to %s: %w; choose a file you can write", path, err)}
				}
				return reportExportedMsg{path: path}
			}
		})
	}
	return nil
}

func (s *summaryScreen) render(m *model, w, h int) string {
	st, g := m.c.Styles, m.c.Glyphs
	var out []string
	if s.report == nil {
		return fit(st.Muted.Render("No run yet."), w, h)
	}
	title := "Summary"
	if s.mode == opRollback {
		title = "Summary of the rollback"
	}
	out = append(out, st.Header.Render(title)+"  "+s.report.Recap())
	// The step column takes the longest title when the width allows it.
	stepW := min(34, w/3)
	for _, t := range s.report.Results {
		stepW = max(stepW, min(width(fmt.Sprintf("%d %s", t.Step, t.Title))+1, w/2))
	}
	hostW := 10
	for _, t := range s.report.Results {
		reason := t.Note
		if t.Err != "" {
			reason = t.Err
			if t.Fix != "" {
				reason += " Fix: " + t.Fix
			}
		}
		line := pad(clip(fmt.Sprintf("%d %s", t.Step, t.Title), stepW-1), stepW) + pad(shortHost(t.Target), hostW) +
			m.statusGlyph(string(t.Status)) + " " + pad(string(t.Status), 10)
		if reason != "" {
			line += " " + st.Muted.Render(m.c.Redact(reason))
		}
		out = append(out, clip(line, w))
	}
	if s.verify != nil {
		head := "Verification"
		if s.mode == opRollback {
			head = "Verification after the rollback"
		}
		out = append(out, "", st.Header.Render(head))
		for _, c := range s.verify.Checks {
			line := m.statusGlyph(string(c.Status)) + " " + pad(shortHost(c.Target), hostW) + c.Name
			if c.Detail != "" {
				line += st.Muted.Render(" " + g.Dot + " " + m.c.Redact(c.Detail))
			}
			out = append(out, clip(line, w))
		}
	}
	s.scroll = min(s.scroll, max(0, len(out)-h))
	return fit(strings.Join(out[s.scroll:], "\n"), w, h)
}

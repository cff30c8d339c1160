package ui

import (
	"context"

	"github.com/ssisha/ssisha/app"

	tea "charm.land/bubbletea/v2"
)

// ActionsContext is the context a backend runs remote actions with: the operation's
// own context is cancelled by the first stop (Ctrl-C, confirmed), so nothing new
// starts and the running actions finish; this one is cancelled only by a second
// Ctrl-C while stopping, which cancels the running actions too.
func ActionsContext(ctx context.Context) context.Context { return app.ActionsContext(ctx) }

// stopState is how far the user has asked a run to stop.
type stopState int

const (
	running stopState = iota
	// stopping: no new action starts; the running ones finish.
	stopping
	// cancelling: the running actions are cancelled too.
	cancelling
)

// askStop handles Ctrl-C and q during an apply or a rollback: the first asks, the
// confirmed stop lets the running actions finish, and Ctrl-C while stopping cancels
// them.
func (m *model) askStop(ctrlC bool) tea.Cmd {
	switch {
	case m.stop == stopping && ctrlC:
		m.stop = cancelling
		if m.cancelActions != nil {
			m.cancelActions()
		}
		return nil
	case m.stop != running:
		return nil
	}
	d := confirm("Stop the run and quit?",
		[]string{"The actions running now finish first; nothing new starts. The journal lets you resume later.",
			"Once stopping, Ctrl-C again cancels the running actions too."},
		"stop after running actions and quit",
		func(m *model) tea.Cmd {
			m.quitAfterRun = true
			m.stop = stopping
			if m.cancel != nil {
				m.cancel()
			}
			return nil
		})
	d.ctrlCConfirms = true
	m.dlg = d
	return nil
}

// stopText is the status line while a run stops, or "".
func (m *model) stopText() string {
	switch m.stop {
	case stopping:
		return "stopping after the running actions… (ctrl+c again cancels them)"
	case cancelling:
		return "cancelling the running actions…"
	}
	return ""
}

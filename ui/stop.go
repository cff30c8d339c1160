package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// actionsKey carries, in an operation's context, the context its running actions
// should run with.
type actionsKey struct{}

// ActionsContext is the context a backend runs remote actions with. The operation's
// own context is cancelled by the first stop (Ctrl-C, confirmed): nothing new starts,
// the actions running finish. This one is cancelled only by a second Ctrl-C while
// stopping, which cancels the running actions too. Without the wizard's value it is
// ctx with its cancellation removed.
func ActionsContext(ctx context.Context) context.Context {
	if a, ok := ctx.Value(actionsKey{}).(context.Context); ok {
		return a
	}
	return context.WithoutCancel(ctx)
}

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

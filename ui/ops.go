package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// opKind names a backend operation that streams events.
type opKind string

const (
	opPreflight opKind = "preflight"
	opPlan      opKind = "plan"
	opApply     opKind = "apply"
	opRollback  opKind = "rollback"
	opVerify    opKind = "verify"
)

// opItem is one thing an operation's goroutine hands to the screen: an event, or its
// final result.
type opItem struct {
	ev    engine.Event
	final tea.Msg
}

// eventsMsg carries the events that arrived since the last one was read, coalesced so
// a chatty script costs one repaint, and the operation's result once it is done.
type eventsMsg struct {
	op     opKind
	ch     <-chan opItem
	events []engine.Event
	final  tea.Msg
}

// maxCoalesce bounds how many events one message carries, so a flood still repaints.
const maxCoalesce = 256

// startOp runs work in its own goroutine and returns the command that reads its
// events. Emitting never blocks the engine past the operation's context.
func startOp(ctx context.Context, op opKind, work func(ctx context.Context, emit func(engine.Event)) tea.Msg) tea.Cmd {
	ch := make(chan opItem, maxCoalesce)
	go func() {
		emit := func(e engine.Event) {
			select {
			case ch <- opItem{ev: e}:
			case <-ctx.Done():
			}
		}
		final := work(ctx, emit)
		ch <- opItem{final: final}
		close(ch)
	}()
	return listen(op, ch)
}

// listen waits for the next item of an operation, then drains what else is ready.
func listen(op opKind, ch <-chan opItem) tea.Cmd {
	return func() tea.Msg {
		first, ok := <-ch
		if !ok {
			return nil
		}
		msg := eventsMsg{op: op, ch: ch}
		if first.final != nil {
			msg.final = first.final
			return msg
		}
		msg.events = append(msg.events, first.ev)
		for len(msg.events) < maxCoalesce {
			select {
			case it, ok := <-ch:
				if !ok {
					return msg
				}
				if it.final != nil {
					msg.final = it.final
					return msg
				}
				msg.events = append(msg.events, it.ev)
			default:
				return msg
			}
		}
		return msg
	}
}

// Results of the backend calls, named for what happened.
type (
	preflightDoneMsg struct{ err error }
	planReadyMsg     struct {
		plan *engine.Plan
		// undoable are the steps the journal holds changes of (Backend.Undoable).
		undoable []int
		err      error
	}
	runDoneMsg struct {
		mode   opKind
		report *engine.Report
		err    error
	}
	verifyDoneMsg struct {
		report *engine.VerifyReport
		err    error
	}
	fieldCheckDueMsg struct{ field, value string }
	fieldCheckedMsg  struct {
		field, value string
		result       FieldCheck
	}
	bundleWrittenMsg struct {
		dir string
		err error
	}
	answersSavedMsg struct {
		path string
		err  error
	}
	answersLoadedMsg struct {
		path    string
		answers *answers.Answers
		err     error
	}
	reportExportedMsg struct {
		path string
		err  error
	}
	interruptedFoundMsg struct{ records []engine.Record }
	tickMsg             struct{}
)

// Package settle steps a Bubble Tea model without a terminal: it runs a command and
// every command that follows from it, feeding their messages to the model, until
// nothing is left to wait for. The wizard's tests and the pictures of its screens use
// it; it imports nothing of the wizard.
package settle

import (
	"reflect"
	"time"

	"charm.land/bubbles/v2/cursor"
	tea "charm.land/bubbletea/v2"
)

// Wait is how long Run waits for a wave of commands when waiting says no work is in
// flight; timers (a cursor's blink) take longer and are dropped, so that a driven
// model never depends on the wall clock. Work in flight is always waited for, up to
// a bound.
const Wait = 20 * time.Millisecond

// Run runs cmd and every command that follows from it, wave by wave, feeding the
// messages to m in a fixed order, until nothing is left. waiting reports work in
// flight whose messages must arrive (a backend's call), however long it takes.
func Run(m tea.Model, cmd tea.Cmd, waiting func() bool) {
	queue := []tea.Cmd{cmd}
	for round := 0; len(queue) > 0 && round < 5000; round++ {
		msgs := wave(queue, waiting)
		queue = nil
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

// wave runs the commands at once and collects their messages in their order. A
// command is given up only once it has run for Wait without an answer while no work
// is in flight: counted from when it starts, not from when it is launched, so that a
// busy machine that is slow to schedule it does not lose a quick one.
func wave(cmds []tea.Cmd, waiting func() bool) []tea.Msg {
	chans := make([]chan tea.Msg, len(cmds))
	starts := make([]chan time.Time, len(cmds))
	for i, c := range cmds {
		if c == nil {
			continue
		}
		ch, started := make(chan tea.Msg, 1), make(chan time.Time, 1)
		chans[i], starts[i] = ch, started
		go func() {
			started <- time.Now()
			ch <- c()
		}()
	}
	msgs := make([]tea.Msg, len(cmds))
	launched := time.Now()
	for i, ch := range chans {
		if ch == nil {
			continue
		}
		var start time.Time
		for msgs[i] == nil {
			select {
			case msgs[i] = <-ch:
			case start = <-starts[i]:
			case <-time.After(5 * time.Millisecond):
			}
			if msgs[i] != nil || time.Since(launched) > 30*time.Second {
				break
			}
			if !start.IsZero() && time.Since(start) > Wait && !waiting() {
				break
			}
		}
	}
	return msgs
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

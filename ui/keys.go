package ui

import "charm.land/bubbles/v2/key"

// KeyMap holds every binding with its help text. Screens choose which ones the key bar
// shows; dangerous ones (apply, roll back, re-run, quit during a run) always go
// through a confirmation.
type KeyMap struct {
	Up, Down, Left, Right, Enter, Back key.Binding
	Quit, Redraw, Help, FieldHelp      key.Binding
	Save, Load, Continue, Rerun        key.Binding
	Apply, Export, ScrollUp, ScrollDn  key.Binding
	Pause, Retry, Skip, Rollback       key.Binding
	NextTab, PrevTab, Log, Undo, Steps key.Binding
	Yes, No                            key.Binding
	// Accept goes on with a failed network check of the questions' page.
	Accept key.Binding
	// Top and Bottom go to the start and the end of a pane's text.
	Top, Bottom key.Binding
	// QuitAnywhere quits where q is typed into a field.
	QuitAnywhere key.Binding
}

func newKeyMap() *KeyMap {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return &KeyMap{
		Up:        b([]string{"up", "k"}, "↑/k", "up"),
		Down:      b([]string{"down", "j"}, "↓/j", "down"),
		Left:      b([]string{"left", "h"}, "←/h", "left"),
		Right:     b([]string{"right", "l"}, "→/l", "right"),
		Enter:     b([]string{"enter"}, "enter", "choose"),
		Back:      b([]string{"esc"}, "esc", "back"),
		Quit:      b([]string{"q", "ctrl+c"}, "q", "quit"),
		Redraw:    b([]string{"ctrl+l"}, "ctrl+l", "redraw"),
		Help:      b([]string{"?"}, "?", "more keys"),
		FieldHelp: b([]string{"f1"}, "f1", "field help"),
		Save:      b([]string{"ctrl+s"}, "ctrl+s", "save answers"),
		Load:      b([]string{"o"}, "o", "open answer file"),
		Continue:  b([]string{"n"}, "n", "next"),
		Rerun:     b([]string{"r"}, "r", "re-run"),
		Apply:     b([]string{"a"}, "a", "apply"),
		Export:    b([]string{"e"}, "e", "export"),
		ScrollUp:  b([]string{"pgup", "K"}, "pgup", "scroll up"),
		ScrollDn:  b([]string{"pgdown", "J"}, "pgdn", "scroll down"),
		Pause:     b([]string{"p"}, "p", "pause"),
		Retry:     b([]string{"r"}, "r", "retry step"),
		Skip:      b([]string{"s"}, "s", "skip step"),
		Rollback:  b([]string{"u"}, "u", "roll back"),
		NextTab:   b([]string{"tab"}, "tab", "next node"),
		PrevTab:   b([]string{"shift+tab"}, "shift+tab", "previous node"),
		Log:       b([]string{"c"}, "c", "command log"),
		Undo:      b([]string{"u"}, "u", "undo from here"),
		Steps:     b([]string{"t"}, "t", "steps"),
		Yes:       b([]string{"y", "enter"}, "y", "yes"),
		No:        b([]string{"n", "esc"}, "n/esc", "no"),
		Accept:    b([]string{"ctrl+y"}, "ctrl+y", "accept the failed check"),
		Top:       b([]string{"home"}, "home", "script start"),
		Bottom:    b([]string{"end"}, "end", "script end"),
		// ctrl+c is handled before any screen; the binding is its place in the bar.
		QuitAnywhere: b([]string{"ctrl+c"}, "ctrl+c", "quit"),
	}
}

// binding is a key the focused screen offers. When disabled is not empty the key bar
// shows it struck through and pressing it explains why instead of doing nothing.
type binding struct {
	key.Binding
	disabled string
	// primary marks the key the user most likely wants now; the bar highlights it.
	primary bool
}

func on(b key.Binding) binding              { return binding{Binding: b} }
func primary(b key.Binding) binding         { return binding{Binding: b, primary: true} }
func off(b key.Binding, why string) binding { return binding{Binding: b, disabled: why} }
func onIf(b key.Binding, ok bool, why string) binding {
	if ok {
		return on(b)
	}
	return off(b, why)
}

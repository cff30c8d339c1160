package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// dialog is an overlay that takes every key until it closes: a yes/no confirmation for
// dangerous keys, or a one-line prompt (a path).
type dialog struct {
	title string
	body  []string
	// prompt, when set, makes the dialog an input line with this label.
	prompt string
	value  []rune
	yes    string
	// onYes runs when the user confirms; the value is the prompt's text.
	onYes func(m *model, value string) tea.Cmd
	// onNo runs when the user declines (may be nil).
	onNo func(m *model) tea.Cmd
	// ctrlCConfirms makes Ctrl-C answer yes: in the stop dialog a second Ctrl-C means
	// stop, as it does on the command line.
	ctrlCConfirms bool
}

func confirm(title string, body []string, yes string, onYes func(m *model) tea.Cmd) *dialog {
	return &dialog{title: title, body: body, yes: yes, onYes: func(m *model, _ string) tea.Cmd { return onYes(m) }}
}

func promptFor(title, label, initial string, onYes func(m *model, value string) tea.Cmd) *dialog {
	return &dialog{title: title, prompt: label, value: []rune(initial), yes: "ok", onYes: onYes}
}

// update handles a key; it reports whether the dialog closed and what to run.
func (d *dialog) update(k *KeyMap, msg tea.KeyPressMsg) (closed, accepted bool) {
	if d.prompt != "" {
		switch msg.String() {
		case "enter":
			return true, true
		case "esc", "ctrl+c":
			return true, false
		case "backspace":
			if len(d.value) > 0 {
				d.value = d.value[:len(d.value)-1]
			}
		case "ctrl+u":
			d.value = nil
		default:
			if msg.Text != "" {
				d.value = append(d.value, []rune(msg.Text)...)
			}
		}
		return false, false
	}
	switch {
	case key.Matches(msg, k.Yes), d.ctrlCConfirms && msg.String() == "ctrl+c":
		return true, true
	case key.Matches(msg, k.No), msg.String() == "ctrl+c", msg.String() == "q":
		return true, false
	}
	return false, false
}

func (d *dialog) paste(text string) {
	if d.prompt != "" {
		d.value = append(d.value, []rune(strings.TrimSpace(text))...)
	}
}

// Render draws the dialog, clamped to the drawable width.
func (d *dialog) Render(c *Common, width int) string {
	w := min(width-4, 70)
	if w < 20 {
		w = max(width, 1)
	}
	inner := w - 4
	var lines []string
	lines = append(lines, c.Styles.Header.Render(clip(d.title, inner)), "")
	for _, b := range d.body {
		lines = append(lines, wrap(b, inner)...)
	}
	if d.prompt != "" {
		lines = append(lines, d.prompt)
		v := string(d.value)
		if n := ansi.StringWidth(v); n > inner-2 {
			v = ansi.TruncateLeft(v, n-(inner-2), "…")
		}
		lines = append(lines, "> "+v+"_", "", c.Styles.Muted.Render("enter ok · esc cancel"))
	} else {
		lines = append(lines, "", c.Styles.Key.Render("y")+" "+d.yes+"   "+c.Styles.Key.Render("n/esc")+" cancel")
	}
	return c.box(true, "", strings.Join(lines, "\n"), w, len(lines)+2)
}

// wrap breaks text into lines of at most w cells.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

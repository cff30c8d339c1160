package ui

import (
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// Common is what every screen and widget shares: the size, the styles, the glyphs, the
// keys, the clock and the redactor. The root model owns it and passes it by pointer.
type Common struct {
	Width, Height int
	Styles        *Styles
	Glyphs        Glyphs
	Keys          *KeyMap
	// Now is the clock; screenshots and goldens fix it.
	Now func() time.Time
	// Redactor hides every secret the user typed from anything rendered.
	Redactor *script.Redactor
	ASCII    bool
	// LowBandwidth replaces the spinner with elapsed time and lowers the frame rate.
	LowBandwidth bool
	// Static stops timers (spinner, debounce) so frames are reproducible.
	Static bool
	// Lab says the estate is the simulated one.
	Lab bool
}

func newCommon(opts Options) *Common {
	c := &Common{
		Width: 80, Height: 24,
		ASCII:        opts.ASCII,
		LowBandwidth: opts.LowBandwidth,
		Lab:          opts.Lab,
		Now:          time.Now,
		Redactor:     script.NewRedactor(),
		Keys:         newKeyMap(),
	}
	if opts.Clock != nil {
		c.Now = opts.Clock
		c.Static = true
	}
	c.Glyphs = unicodeGlyphs
	if c.ASCII {
		c.Glyphs = asciiGlyphs
	}
	c.Styles = newStyles(opts.Color != "never")
	return c
}

// Redact hides secrets in text before it reaches the screen.
func (c *Common) Redact(s string) string { return c.Redactor.Redact(s) }

// DetectEnv reads the environment for what the terminal can do: ASCII glyphs and low
// bandwidth over SSH and on the Linux console, and accessible mode when asked for or on
// a dumb terminal.
func DetectEnv(getenv func(string) string) (ascii, lowBandwidth, accessible bool) {
	term := strings.ToLower(getenv("TERM"))
	if getenv("SSH_TTY") != "" || getenv("SSH_CONNECTION") != "" {
		lowBandwidth = true
	}
	if term == "linux" || term == "dumb" {
		ascii, lowBandwidth = true, true
	}
	switch strings.ToLower(getenv("ACCESSIBLE")) {
	case "", "0", "false", "no":
	default:
		accessible = true
	}
	if term == "dumb" {
		accessible = true
	}
	return ascii, lowBandwidth, accessible
}

package ui

import (
	"image/color"
	"sync"

	"charm.land/lipgloss/v2"
)

// Styles are the semantic styles of every screen. Colours are the 16 system colours so
// the terminal's own theme applies, and the colour profile downsamples them further.
type Styles struct {
	Title, Header, Muted, Bold  lipgloss.Style
	OK, Warn, Fail, Run, Accent lipgloss.Style
	Selected, Key, KeyDisabled  lipgloss.Style
	Pane, PaneFocused, Dialog   lipgloss.Style
	Code, Flash                 lipgloss.Style
	color                       bool

	// painted remembers what paint rendered. Rendering through lipgloss costs
	// microseconds even for one glyph, and every frame paints the same glyphs, key
	// names and borders again.
	mu      sync.Mutex
	painted map[paintKey]string
}

type paintKey struct {
	style *lipgloss.Style
	text  string
}

// maxPainted bounds the memory of paint: borders come in every length the terminal
// is resized to, so what it remembers would otherwise grow for as long as the
// wizard runs.
const maxPainted = 1024

// paint is st.Render(text), remembered. st must point at one of s's styles, which
// never change once made, so the pointer and the text decide the result.
func (s *Styles) paint(st *lipgloss.Style, text string) string {
	k := paintKey{st, text}
	s.mu.Lock()
	out, ok := s.painted[k]
	s.mu.Unlock()
	if ok {
		return out
	}
	out = st.Render(text)
	s.mu.Lock()
	if s.painted == nil || len(s.painted) >= maxPainted {
		s.painted = make(map[paintKey]string)
	}
	s.painted[k] = out
	s.mu.Unlock()
	return out
}

func newStyles(useColor bool) *Styles {
	fg := func(c string) color.Color {
		if !useColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.Color(c)
	}
	border := lipgloss.NormalBorder()
	return &Styles{
		color:       useColor,
		Title:       lipgloss.NewStyle().Bold(true).Foreground(fg("6")),
		Header:      lipgloss.NewStyle().Bold(true),
		Muted:       lipgloss.NewStyle().Foreground(fg("8")),
		Bold:        lipgloss.NewStyle().Bold(true),
		OK:          lipgloss.NewStyle().Foreground(fg("2")),
		Warn:        lipgloss.NewStyle().Foreground(fg("3")),
		Fail:        lipgloss.NewStyle().Foreground(fg("1")).Bold(true),
		Run:         lipgloss.NewStyle().Foreground(fg("4")),
		Accent:      lipgloss.NewStyle().Foreground(fg("5")),
		Selected:    lipgloss.NewStyle().Reverse(true),
		Key:         lipgloss.NewStyle().Bold(true).Foreground(fg("6")),
		KeyDisabled: lipgloss.NewStyle().Foreground(fg("8")).Strikethrough(true),
		Pane:        lipgloss.NewStyle().Border(border).BorderForeground(fg("8")),
		PaneFocused: lipgloss.NewStyle().Border(border).BorderForeground(fg("6")),
		Dialog:      lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).Padding(0, 1),
		Code:        lipgloss.NewStyle().Foreground(fg("7")),
		Flash:       lipgloss.NewStyle().Foreground(fg("3")).Bold(true),
	}
}

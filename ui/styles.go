package ui

import (
	"image/color"

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

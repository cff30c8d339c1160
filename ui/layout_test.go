package ui

import (
	"math/rand/v2"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// widthPieces are what screen lines are made of, and the cases width must hand back
// to ansi: combining marks and variation selectors after ASCII and after glyphs,
// emoji sequences, wide characters, a Prepend rune, escapes other than CSI, broken
// CSI and broken UTF-8.
var widthPieces = []string{
	"a", "Z", " ", "~", "│", "─", "┌", "✓", "✗", "⚠", "⠋", "·", "•", "…", "é",
	"\u0301", "\ufe0f", "\u200d", "\u20e3", "1", "👍", "🏳️‍🌈", "漢", "\u0600", "\u0e33",
	"\x1b[90m", "\x1b[m", "\x1b[1;38;5;6m", "\x1b[?25l", "\x1b[ q", "\x1b[", "\x1b[9", "\x1b[1\x1b[m",
	"\x1b]8;;https://example.com\x07", "\x1b\\", "\x1bP1$r\x1b\\", "\t", "\r\n", "\x7f", "\x00",
	"\xc2", "\xe2\x94", "\xff", "\x80", "\xed\xa0\x80", "\u00a0", "\u00ad", "\u2028", "\u28ff",
}

func TestWidthIsAnsiStringWidth(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(widthPieces[rng.IntN(len(widthPieces))])
		}
		s := b.String()
		if got, want := width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("case %d: width(%q) = %d, ansi.StringWidth = %d", i, s, got, want)
		}
	}
	for r := rune(loneRunesStart - 2); r < loneRunesEnd+2; r++ {
		for _, s := range []string{string(r), string(r) + "a", "a" + string(r) + "\x1b[m", string(r) + "\u0301"} {
			if got, want := width(s), ansi.StringWidth(s); got != want {
				t.Fatalf("width(%q) = %d, ansi.StringWidth = %d", s, got, want)
			}
		}
	}
}

func FuzzWidth(f *testing.F) {
	for _, p := range widthPieces {
		f.Add(p + "x" + p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := width(s), ansi.StringWidth(s); got != want {
			t.Fatalf("width(%q) = %d, ansi.StringWidth = %d", s, got, want)
		}
	})
}

// joinColumns must draw what padding every block and lipgloss.JoinHorizontal drew.
func TestJoinColumnsIsJoinHorizontal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	block := func() string {
		var lines []string
		for range rng.IntN(5) {
			var b strings.Builder
			for range rng.IntN(8) {
				b.WriteString(widthPieces[rng.IntN(len(widthPieces))])
			}
			lines = append(lines, b.String())
		}
		return strings.Join(lines, "\n")
	}
	for i := range 5000 {
		n := 1 + rng.IntN(4)
		widths := make([]int, n)
		blocks := make([]string, n)
		parts := make([]string, n)
		for j := range n {
			widths[j] = rng.IntN(12) - 1
			blocks[j] = block()
			parts[j] = padBlock(blocks[j], widths[j])
		}
		want := lipgloss.JoinHorizontal(lipgloss.Top, parts...)
		if got := joinColumns(widths, blocks...); got != want {
			t.Fatalf("case %d: joinColumns(%v, %q)\n got %q\nwant %q", i, widths, blocks, got, want)
		}
	}
}

// asciiOnly keeps every column: each character becomes as many ASCII ones as it
// is wide.
func TestASCIIOnlyKeepsColumns(t *testing.T) {
	for _, s := range []string{"┃ › ✓ node1 · ok…", "⠋ checking", "名前 ok", "plain"} {
		got := asciiOnly(s)
		if ansi.StringWidth(got) != ansi.StringWidth(s) {
			t.Errorf("asciiOnly(%q) = %q: width %d, want %d", s, got, ansi.StringWidth(got), ansi.StringWidth(s))
		}
		for _, r := range got {
			if r >= 0x80 {
				t.Errorf("asciiOnly(%q) = %q keeps %q", s, got, r)
			}
		}
	}
}

// Package shot turns the wizard's screens into what a terminal shows, for the
// screenshots in the README. LabScreens drives the real wizard through a tour of a lab
// in this process with teatest, replaying its output into a terminal emulator;
// Screens renders each screen with uitest.Frames against the fake backend into an
// emulator of the same size, which is quicker. freeze (when installed) turns either
// into PNGs. The generator in screenshots/gen and the tests that keep the pictures
// from rotting both go through here.
package shot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/colorprofile"
	"github.com/ssisha/ssisha/ui"
	"github.com/ssisha/ssisha/ui/uitest"
)

// Names are the screens the README shows, in the order it shows them. uitest.Frames must
// render every one; a missing name means a screen lost its picture.
var Names = []string{
	"start",
	"questions-nodes-and-version",
	"questions-accounts",
	"questions-master-service",
	"questions-availability-group",
	"questions-workers",
	"questions-connection",
	"questions-secrets",
	"preflight",
	"plan",
	"run",
	"run-failed",
	"summary",
	"steps",
}

// Screen is one screen as a terminal of the chosen size shows it.
type Screen struct {
	Name string
	// ANSI is the emulated screen with its colours, one line per row; freeze reads it.
	ANSI string
	// Text is the same screen without styles, trailing blanks trimmed.
	Text string
}

// Options are the wizard options of the screenshots: the lab, in colour, with the
// Unicode glyphs a modern terminal shows.
func Options() ui.Options {
	return ui.Options{Lab: true, Color: "always"}
}

// Screens renders every screen of the wizard with opts at width x height through a
// TrueColor terminal emulator. The result holds the names of Names first, in that
// order, then any other screen Frames renders, by name.
func Screens(opts ui.Options, width, height int) ([]Screen, error) {
	frames, err := uitest.Frames(opts, width, height)
	if err != nil {
		return nil, err
	}
	names := slices.Clone(Names)
	var extra []string
	for n := range frames {
		if !slices.Contains(Names, n) {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	names = append(names, extra...)

	out := make([]Screen, 0, len(names))
	for _, n := range names {
		f, ok := frames[n]
		if !ok {
			return nil, fmt.Errorf("uitest.Frames rendered no %q screen", n)
		}
		a, t, err := Emulate(f, width, height, colorprofile.TrueColor)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, Screen{Name: n, ANSI: a, Text: t})
	}
	return out, nil
}

// Emulate writes frame, a View whose lines are separated by bare newlines, to a
// terminal emulator of width x height whose colours are limited to profile, and returns
// what the screen then shows, with styles (ANSI) and without (text).
func Emulate(frame string, width, height int, profile colorprofile.Profile) (ansiScreen, text string, err error) {
	t := newTerminal(width, height)
	defer t.close()
	// The colour profile writer downsamples as the program's renderer would for a
	// terminal of that profile; for TrueColor it passes the frame through unchanged.
	w := &colorprofile.Writer{Forward: t.emu, Profile: profile}
	if _, err := io.WriteString(w, frame); err != nil {
		return "", "", err
	}
	ansiScreen, text = t.snapshot()
	return ansiScreen, text, nil
}

// FindFreeze returns the freeze binary to use: explicit when it is not empty, else
// freeze on PATH, else freeze in $(go env GOPATH)/bin, where go install puts it.
func FindFreeze(explicit string) (string, error) {
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("freeze: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("freeze"); err == nil {
		return p, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(gopath))) {
			p := filepath.Join(dir, "bin", "freeze")
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
	}
	return "", errors.New("freeze is not on PATH nor in $(go env GOPATH)/bin; install it with go install github.com/charmbracelet/freeze@v0.2.2")
}

// FreezeArgs are freeze's arguments for turning the ANSI file in into the PNG out: a
// window frame like a terminal's on the theme's background, and a font size and
// padding that keep a 120x40 screen legible.
func FreezeArgs(in, out string) []string {
	return []string{in, "--language", "ansi", "--window",
		"--background", fmt.Sprintf("#%02x%02x%02x", Background.R, Background.G, Background.B),
		"--font.size", "14", "--line-height", "1.2",
		"--padding", "20", "--margin", "0", "--border.radius", "8",
		"--output", out}
}

// fontStandIns replace the glyphs of the wizard that JetBrains Mono, the font freeze
// embeds, does not have and would draw as empty boxes: the braille spinner frames and
// the skip and undo arrows. Only the pictures use them; the .ansi files keep the real
// glyphs.
var fontStandIns = strings.NewReplacer(
	"⠋", "◌", "⠙", "◌", "⠹", "◌", "⠸", "◌", "⠼", "◌",
	"⠴", "◌", "⠦", "◌", "⠧", "◌", "⠇", "◌", "⠏", "◌",
	"↷", "↪", "↶", "↩",
)

// PNG renders the ANSI file in to the PNG file out with the freeze binary. freeze draws
// PNGs at four times their size; PNG halves that, which stays sharp on high-density
// screens and keeps the committed files small.
func PNG(ctx context.Context, freeze, in, out string) error {
	tmp, err := os.MkdirTemp("", "ssisha-shot-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	ansiIn := filepath.Join(tmp, "frame.ansi")
	if err := os.WriteFile(ansiIn, []byte(fontStandIns.Replace(string(data))), 0o600); err != nil {
		return err
	}
	big := filepath.Join(tmp, "frame.png")
	cmd := exec.CommandContext(ctx, freeze, FreezeArgs(ansiIn, big)...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("freeze %s: %w: %s", filepath.Base(in), err, strings.TrimSpace(stderr.String()))
	}
	return shrink(big, out, 2)
}

// Command gen draws a picture of every screen of the wizard for the README: the real
// wizard, with the real backend, driven through a tour of a lab it starts in this
// process (or, with -fake, the screens rendered against the fake backend, which is
// quicker). Run it from the repository root:
//
//	go run ./screenshots/gen
//
// It writes screenshots/<screen>.ansi and, when freeze is installed, screenshots/<screen>.png.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"

	"github.com/ssisha/ssisha/screenshots/shot"
	"golang.org/x/sync/errgroup"
)

func main() {
	out := flag.String("out", "screenshots", "directory the pictures are written to")
	width := flag.Int("width", 120, "terminal width in columns")
	height := flag.Int("height", 40, "terminal height in rows")
	freeze := flag.String("freeze", "", "path to the freeze binary (default: freeze on PATH, then $(go env GOPATH)/bin/freeze)")
	fake := flag.Bool("fake", false, "render the screens against the fake backend instead of touring a lab: quicker, and the same on every run")
	speed := flag.Float64("speed", shot.LabSpeed, "the lab's speed: the share of a real estate's operation times it spends")
	flag.Parse()
	if err := run(*out, *width, *height, *freeze, *fake, *speed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string, width, height int, freezeFlag string, fake bool, speed float64) error {
	if width < 20 || height < 10 {
		return fmt.Errorf("%dx%d is too small for a picture of the wizard", width, height)
	}
	var screens []shot.Screen
	var err error
	if fake {
		screens, err = shot.Screens(shot.Options(), width, height)
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		screens, err = shot.LabScreens(ctx, width, height, speed)
		stop()
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// A freeze that was asked for by name must be there; the default is only used when
	// found, so the .ansi files can be made anywhere.
	freeze, ferr := shot.FindFreeze(freezeFlag)
	if ferr != nil && freezeFlag != "" {
		return ferr
	}
	for _, s := range screens {
		if err := os.WriteFile(filepath.Join(out, s.Name+".ansi"), []byte(s.ANSI), 0o644); err != nil {
			return err
		}
	}
	if ferr == nil {
		// freeze takes seconds a picture, mostly on one core; run a few at once.
		g, ctx := errgroup.WithContext(context.Background())
		g.SetLimit(runtime.NumCPU())
		for _, s := range screens {
			g.Go(func() error {
				return shot.PNG(ctx, freeze, filepath.Join(out, s.Name+".ansi"), filepath.Join(out, s.Name+".png"))
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	for _, s := range screens {
		ext := ".png"
		if ferr != nil {
			ext = ".ansi"
		}
		fmt.Println(filepath.Join(out, s.Name+ext))
	}
	if ferr != nil {
		fmt.Fprintf(os.Stderr, "gen: wrote the .ansi files only: %v; then run go run ./screenshots/gen again (or pass -freeze path/to/freeze) for the PNGs\n", ferr)
	}
	return nil
}

package ui

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ssisha/ssisha/ui/uitest"
)

// updating reports the -update flag, which the golden package of teatest defines.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run go test -update to create it)", path, err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff.\n--- got ---\n%s", name, got)
	}
}

// TestFramesGolden renders every screen at 80x24, 120x40 and 200x60 and compares the stripped
// frames with the golden files; every line fits the width.
func TestFramesGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		frames, err := Frames(Options{Lab: true, ASCII: true}, size[0], size[1], fakeEstate)
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, 0, len(frames))
		for n := range frames {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			plain := ansi.Strip(frames[n])
			lines := strings.Split(plain, "\n")
			if len(lines) != size[1] {
				t.Errorf("%s at %dx%d: %d lines, want %d", n, size[0], size[1], len(lines), size[1])
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%s at %dx%d: line %d is %d wide: %q", n, size[0], size[1], i, w, l)
				}
			}
			golden(t, n+"-"+itoa(size[0])+"x"+itoa(size[1]), plain)
		}
	}
}

// FakeBackend is the wizard's tests' fake estate.
type FakeBackend = uitest.FakeBackend

// fakeEstate is the fake backend for one of Frames' screens.
func fakeEstate(e FrameEstate) Backend {
	return &uitest.FakeBackend{Now: e.Now, Records: e.Interrupted, FailStep: e.FailStep, FailHost: e.FailHost, FailTimes: min(e.FailStep, 1)}
}

// The golden frames are drawn with --ascii: every byte of every screen's frame is
// ASCII, and no message in them is cut.
func TestASCIIFramesAreASCII(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden frames: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, r := range line {
				if r >= 0x80 {
					t.Errorf("%s line %d: %q is not ASCII: %s", f, i+1, r, line)
					break
				}
			}
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

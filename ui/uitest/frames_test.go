package uitest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ssisha/ssisha/ui"
)

// -update rewrites the golden files, as in the wizard's own tests (where teatest's
// golden package defines it).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files")
	}
}

// updating reports the -update flag.
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
		frames, err := Frames(ui.Options{Lab: true, ASCII: true}, size[0], size[1])
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
			golden(t, fmt.Sprintf("%s-%dx%d", n, size[0], size[1]), plain)
		}
	}
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

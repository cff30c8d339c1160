package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab"
)

// TestLabKeepsItsStateFolder: `ssisha lab` keeps its estate, journal and saved answers
// in a state folder per lab shape that a restart finds again; --fresh empties it.
func TestLabKeepsItsStateFolder(t *testing.T) {
	state := t.TempDir()
	a := newApp(BuildInfo{}, strings.NewReader(""), io.Discard, io.Discard, func(k string) string {
		return map[string]string{"XDG_STATE_HOME": state}[k]
	})
	f := labFlags{masters: 2, workers: 2, sqlVersion: 2019, encrypt: "tls"}
	dir, err := a.labStateDir(f, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(state, "ssisha", "lab", "2m-2w-sql2019"); dir != want {
		t.Fatalf("state folder = %s, want %s", dir, want)
	}
	f.dir = dir
	l, err := lab.Start(f.options())
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	journal := filepath.Join(dir, "journal.jsonl")
	if err := os.WriteFile(journal, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.dir = ""
	if again, err := a.labStateDir(f, false); err != nil || again != dir {
		t.Fatalf("second start: %s, %v; want %s", again, err, dir)
	}
	for _, name := range []string{labStateFile, "journal.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("a restart lost %s: %v", name, err)
		}
	}
	if _, err := a.labStateDir(f, true); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("--fresh left %d files in %s", len(entries), dir)
	}
}

// TestLabFreshLeavesOtherFoldersAlone: --fresh with --dir naming a folder that holds
// no lab refuses (exit 2) and deletes nothing.
func TestLabFreshLeavesOtherFoldersAlone(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, nil, true, "", "lab", "--fresh", "--dir", dir)
	if code != 2 || !strings.Contains(out, "holds no lab") {
		t.Errorf("exit %d, output %q; want 2 and why", code, out)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("--fresh deleted a file that was not the lab's: %v", err)
	}
}

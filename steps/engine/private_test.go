package engine

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

// The plan bundle is for its user alone, whatever the umask: folders 0700, files
// 0600, as the journal is.
func TestBundleIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows guards the files with their ACL")
	}
	w := newWorld(t, 2)
	e := w.engine(0, newFakeStep(1, steps.EachMaster, w.tr, "install-master"))
	p, err := e.Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := e.WriteBundle(p, dir); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWritePrivateFileNarrowsAnExistingFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows guards the files with their ACL")
	}
	path := filepath.Join(t.TempDir(), "report.md")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WritePrivateFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "new" || info.Mode().Perm() != 0o600 {
		t.Errorf("content %q, mode %04o; want new, 0600", b, info.Mode().Perm())
	}
}

package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

func TestWriteBundle(t *testing.T) {
	w := newWorld(t, 2)
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "install-master")
	s1.secret = w.secret()
	s2 := newFakeStep(2, steps.Primary, w.tr, "create-ag")
	s2.secret = w.secret()
	s2.irreversible = map[string]string{"create-ag": "the AG keeps its history"}
	e := w.engine(0, s1, s2)
	p, err := e.Plan(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := e.WriteBundle(p, dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range man.Files {
		paths = append(paths, f.Path)
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: manifest hash does not match the file", f.Path)
		}
		mustNotContain(t, f.Path, string(b))
		if !strings.Contains(string(b), "ssisha-op: "+f.Op) {
			t.Errorf("%s does not name its operation %s", f.Path, f.Op)
		}
	}
	want := []string{
		"01-node1.contoso.com/step1-01-install-master-1.ps1",
		"01-node1.contoso.com/step1-02-install-master-2.sql",
		"02-node2.contoso.com/step1-01-install-master-1.ps1",
		"02-node2.contoso.com/step1-02-install-master-2.sql",
		"01-node1.contoso.com/step2-01-create-ag-1.ps1",
		"01-node1.contoso.com/step2-02-create-ag-2.sql",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("bundle files:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	for _, s := range []string{p.Fingerprint, "cannot be undone: the AG keeps its history"} {
		if !strings.Contains(string(readme), s) {
			t.Errorf("README lacks %q", s)
		}
	}
	if err := e.WriteBundle(p, dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("writing into a used folder: %v, want a refusal", err)
	}
}

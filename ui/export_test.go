package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The report the summary exports for the change ticket is private to its owner, as
// the journal is: it names the estate's nodes, accounts and what was changed.
func TestSummaryExportIsPrivate(t *testing.T) {
	fb := &FakeBackend{}
	m := newTestModel(t, fb, 120, 40)
	m.goTo(scrPlan)
	drive(m, m.startPlan())
	press(m, "a", "y")
	if m.screen != scrSummary {
		t.Fatalf("screen = %v after apply, want summary:\n%s", m.screen, screen(m))
	}
	path := filepath.Join(t.TempDir(), "report.md")
	if err := os.WriteFile(path, []byte("an older export, readable by all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	press(m, "e")
	for range len("ssisha-report.md") {
		press(m, "backspace")
	}
	typeText(m, path)
	press(m, "enter")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the report was not written: %v\n%s", err, screen(m))
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("report mode = %o, want 600", mode)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "targets succeeded") {
		t.Errorf("the report does not hold the run's recap:\n%s", data)
	}
}

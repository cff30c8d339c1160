package ui

import (
	"strings"
	"testing"
)

// TestWizardReviewAndBack: after the last question a review lists every answer by
// group; Enter on a row opens that question and finishing it comes back to the
// review; Esc goes back one screen from the preflight, the review and the questions.
func TestWizardReviewAndBack(t *testing.T) {
	opts := Options{Backend: &FakeBackend{}}
	qs := NewModel(Options{Backend: opts.Backend, Secrets: allSecrets(t)}).questions.qs
	wz := newWizard(t, opts, 80, 24, nil)
	wz.waitFor("Answer the questions")
	wz.keys("down", "enter")
	wz.waitFor("Questions 1/7")
	for _, qu := range qs {
		// One Enter per question, once it has the cursor: an Enter that arrives while
		// the form turns a page would land on the page before.
		wz.waitFocus(qu.title)
		wz.keys("enter")
	}
	got := wz.waitFor("enter changes one", "Nodes and version", "Master nodes")
	if strings.Contains(got, "Flow-Secret-Value-7") {
		t.Fatalf("the review shows a secret:\n%s", got)
	}
	wz.keys("enter")
	wz.waitFor("Questions 1/7", "Master nodes")
	wz.typeText(", node3.contoso.com")
	wz.keys("enter")
	wz.waitFor("enter changes one", "node2.contoso.com, node3")
	wz.keys("n")
	wz.waitFor("read-only checks on every node")
	wz.keys("esc")
	wz.waitFor("enter changes one")
	wz.keys("esc")
	wz.waitFor("Questions 1/7")
	wz.keys("esc")
	wz.waitFor("Use these answers")
	m := wz.final()
	if got := m.a.MasterHosts(); len(got) != 3 {
		t.Errorf("masters = %v after the edit from the review, want three", got)
	}
}

// TestWizardReuseAnswersOneKey: with answers at hand, one key on Start reaches the
// review, and n runs the preflight checks from there.
func TestWizardReuseAnswersOneKey(t *testing.T) {
	fb := &FakeBackend{}
	wz := newWizard(t, Options{Backend: fb}, 80, 24, nil)
	wz.waitFor("Use these answers")
	wz.keys("enter")
	wz.waitFor("enter changes one", "SSISCL")
	wz.keys("n")
	wz.waitFor("24 success")
	if m := wz.final(); m.screen != scrPreflight {
		t.Errorf("screen = %v, want preflight", m.screen)
	}
}

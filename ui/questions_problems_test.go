package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ssisha/ssisha/steps/answers"
)

// Every problem validate --offline finds in an answer file whose values each read
// well alone is shown by the wizard at the question of its path, in validate's words
// and in full, and a problem that is the question's to fix keeps the cursor there.
func TestWizardShowsValidateProblemsAtTheirFields(t *testing.T) {
	a, err := answers.Load(filepath.Join("testdata", "hidden-problems.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := answers.Validate(a)
	// The question each problem is shown at; empty for settings only the file holds,
	// which are named above the page they belong with.
	tests := []struct {
		path, question string
	}{
		{"cluster.staticAddress", ""},
		{"cluster.witness", "cluster.witness"},
		{"masters[1].host", "masters"},
		{"masterService.account", "masterService.account"},
		{"masterService.dnsName", "masterService.dnsName"},
		{"masterService.staticAddress", "masterService.staticAddress"},
		{"masterService.port", "masterService.port"},
		{"workers[0].host", "workers"},
		{"connection.winrm.auth", "connection.winrm.auth"},
	}
	if len(tests) != len(want) {
		t.Errorf("the file has %d problems, the table %d:\n%v", len(want), len(tests), want)
	}
	for _, e := range want {
		t.Run(e.Path, func(t *testing.T) {
			question, listed := "", false
			for _, tc := range tests {
				if tc.path == e.Path {
					question, listed = tc.question, true
				}
			}
			if !listed {
				t.Fatalf("validate found %v, which the table does not list", e)
			}
			m := newTestModel(t, &FakeBackend{}, 80, 40)
			m.a = a
			drive(m, m.questions.restart(m.model))
			q := m.questions
			if got := q.questionFor(e.Path); got != question {
				t.Fatalf("%s is shown at question %q, want %q", e.Path, got, question)
			}
			text := e.Problem + "; " + e.Fix
			if question == "" {
				g := q.groupOfPath(e.Path)
				for q.group() < g {
					drive(m, q.form.NextGroup())
				}
				if page := pageText(m); !strings.Contains(page, e.Error()) {
					t.Errorf("%s is not named on page %d with its line:\n%s", e.Path, g+1, page)
				}
				return
			}
			for q.focused() == nil || q.focused().key != question {
				before := q.focused()
				if q.focused() != nil && q.focused().group < q.byKey[question].group {
					drive(m, q.form.NextGroup())
				} else {
					drive(m, q.form.NextField())
				}
				if q.focused() == before {
					t.Fatalf("the cursor cannot reach %s", question)
				}
			}
			if page := pageText(m); !strings.Contains(page, text) {
				t.Errorf("%s: %q is not shown in full at %s:\n%s", e.Path, text, question, page)
			}
			// A cut line ends in the ellipsis, which --ascii draws as ~.
			for _, l := range strings.Split(screen(m), "\n") {
				if strings.HasSuffix(l, "~") || strings.Contains(l, "…") {
					t.Errorf("%s: a line is cut: %q", e.Path, l)
				}
			}
			qu := q.byKey[question]
			if err := q.blocking(m.model, qu, *qu.value); err != nil {
				press(m, "enter")
				if q.focused() != qu {
					t.Errorf("%s: enter left the question with %v", question, err)
				}
			}
		})
	}
}

// A rule across two fields is shown at both as soon as both are typed: a master node
// typed as a worker is refused at the worker hosts, and named at the master nodes.
func TestCrossFieldRuleAtBothFields(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 80, 40)
	press(m, "down", "enter")
	q := m.questions
	drive(m, q.form.NextGroup())
	for q.focused().key != "workers" {
		drive(m, q.form.NextGroup())
	}
	typeText(m, ", node2.contoso.com")
	page := pageText(m)
	if want := "node2.contoso.com is already a master node (masters[1].host)"; !strings.Contains(page, want) {
		t.Errorf("the worker hosts do not say %q:\n%s", want, page)
	}
	press(m, "enter")
	if q.focused().key != "workers" {
		t.Errorf("enter left the worker hosts with a master node in them")
	}
	if got := q.shownProblems(m.model, q.byKey["masters"], q.problems(m.model, "", "")); len(got) != 1 || !strings.Contains(got[0], "already a master node") {
		t.Errorf("the master nodes show %q, want the same problem", got)
	}
	if err := q.blocking(m.model, q.byKey["masters"], *q.byKey["masters"].value); err != nil {
		t.Errorf("the master nodes, asked first, are held by a rule the worker hosts break: %v", err)
	}
}

// A failed network check holds the page until the value is fixed or the user accepts
// it; the acceptance is listed in the review.
func TestFailedNetworkCheckHoldsThePage(t *testing.T) {
	m := newTestModel(t, &FakeBackend{}, 120, 40)
	press(m, "down", "enter")
	q := m.questions
	for q.focused().key != "workers" {
		drive(m, q.form.NextGroup())
	}
	typeText(m, ", node9.contoso.com")
	drive(m, q.checkAll(m.model))
	if !strings.Contains(pageText(m), "node9.contoso.com does not resolve") {
		t.Fatalf("the failed check is not under the field:\n%s", pageText(m))
	}
	press(m, "enter", "enter")
	if q.focused().group != int(answers.GroupWorkers) {
		t.Fatalf("the page was left with a failed check")
	}
	if !strings.Contains(screen(m), "ctrl+y to go on with it") {
		t.Errorf("the refusal does not say how to go on:\n%s", screen(m))
	}
	press(m, "ctrl+y", "enter")
	if q.focused() == nil || q.focused().group != int(answers.GroupConnection) {
		t.Fatalf("the page was held after the check was accepted")
	}
	m.goTo(scrReview)
	if got := strings.Join(strings.Fields(screen(m)), " "); !strings.Contains(got, "(accepted: node9.contoso.com: node9.contoso.com does not resolve") {
		t.Errorf("the review does not list the accepted check:\n%s", screen(m))
	}
}

// pageText is the questions page as text, with the form's frame and the wrapping
// taken out, so a message reads as one line.
func pageText(m Model) string {
	var words []string
	for _, l := range strings.Split(ansi.Strip(m.render()), "\n") {
		l = strings.TrimLeft(l, "┃|> ")
		words = append(words, strings.Fields(l)...)
	}
	return strings.Join(words, " ")
}

// An answer file that cannot be read shows every problem with its line, as validate
// --offline lists them; one that reads but breaks rules is loaded, with its problems.
func TestOpenAnswerFileShowsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("domain: CONTOSO\nfoo: 1\nmasters:\n  - host: node1\n    colour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, loadErr := answers.Load(bad)
	if loadErr == nil {
		t.Fatal("the bad file loads")
	}
	m := newTestModel(t, &FakeBackend{}, 80, 24)
	drive(m, loadAnswers(bad))
	got := pageText(m)
	for _, line := range strings.Split(loadErr.Error(), "\n")[1:] {
		if !strings.Contains(got, strings.Join(strings.Fields(line), " ")) {
			t.Errorf("the screen does not show %q:\n%s", line, screen(m))
		}
	}

	hidden := filepath.Join("testdata", "hidden-problems.yaml")
	a, err := answers.Load(hidden)
	if err != nil {
		t.Fatal(err)
	}
	m = newTestModel(t, &FakeBackend{}, 200, 60)
	drive(m, loadAnswers(hidden))
	got = pageText(m)
	for _, e := range answers.Validate(a) {
		if !strings.Contains(got, e.Error()) {
			t.Errorf("the screen does not show %q:\n%s", e.Error(), screen(m))
		}
	}
}

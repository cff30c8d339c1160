package ui

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ssisha/ssisha/steps/answers"
)

// fieldProblem is a problem validate --offline finds in the answers as typed, as the
// wizard shows it at one question.
type fieldProblem struct {
	answers.FieldError
	// blocks says leaving the question is refused until the problem is fixed: the
	// question is the one blamed, or the other field of the rule was asked before it.
	// A rule whose other field comes later shows here but holds the later one.
	blocks bool
}

// text is the problem in validate's words, without the path and line the question
// already stands for.
func (p fieldProblem) text() string {
	if p.Fix == "" {
		return p.Problem
	}
	return p.Problem + "; " + p.Fix
}

// fieldProblems are validate --offline's problems of the answers as typed, by the key
// of the question that shows each (a rule across two questions is at both), and
// those of settings only an answer file holds, which no question can fix.
type fieldProblems struct {
	at    map[string][]fieldProblem
	other []answers.FieldError
}

// problems runs every rule of validate --offline over the answers as typed, with
// key's value replaced by v when key is not empty (the value a field is about to
// take).
func (q *questionsScreen) problems(m *model, key, v string) fieldProblems {
	// Every key press and every frame asks; the answers change far less often.
	var sig strings.Builder
	sig.WriteString(fmt.Sprintf("%p\x00%s\x00%s", m.a, key, v))
	for _, qu := range q.qs {
		if qu.secret == nil {
			sig.WriteString("\x00" + *qu.value)
		}
	}
	if q.lastSig == sig.String() && q.lastProblems.at != nil {
		return q.lastProblems
	}
	defer func() { q.lastSig = sig.String() }()
	q.lastProblems = q.computeProblems(m, key, v)
	return q.lastProblems
}

// computeProblems is problems without the memory of the last answer.
func (q *questionsScreen) computeProblems(m *model, key, v string) fieldProblems {
	a := q.snapshotWith(m, key, v)
	out := fieldProblems{at: map[string][]fieldProblem{}}
	order := map[string]int{}
	for i, qu := range q.qs {
		order[qu.key] = i
	}
	for _, e := range answers.Validate(a) {
		blamed := q.questionFor(e.Path)
		if blamed == "" {
			out.other = append(out.other, e)
			continue
		}
		other := ""
		if e.Other != "" {
			other = q.questionFor(e.Other)
		}
		out.at[blamed] = append(out.at[blamed], fieldProblem{FieldError: e, blocks: other == "" || order[other] <= order[blamed]})
		if other != "" && other != blamed {
			out.at[other] = append(out.at[other], fieldProblem{FieldError: e, blocks: order[blamed] < order[other]})
		}
	}
	return out
}

var pathIndex = regexp.MustCompile(`\[\d+\]`)

// questionFor is the key of the question an answer path belongs to: the question of
// that path, of the list the path is an element of (masters[1].sqlInstance is in the
// master nodes), or the one question inside a setting the path names
// (masterService.certificate); empty when no question asks it.
func (q *questionsScreen) questionFor(path string) string {
	p := pathIndex.ReplaceAllString(path, "")
	best := ""
	var inside []string
	for _, qu := range q.qs {
		switch {
		case qu.secret != nil:
		case qu.key == p:
			return qu.key
		case strings.HasPrefix(p, qu.key+".") && len(qu.key) > len(best):
			best = qu.key
		case strings.HasPrefix(qu.key, p+"."):
			inside = append(inside, qu.key)
		}
	}
	if best == "" && len(inside) == 1 {
		best = inside[0]
	}
	return best
}

// blocking is the problem that keeps the cursor in a question with value v: its own
// rule first (the registry's, the one validate --offline applies to it), then the
// rules across fields. Nil when it may be left.
func (q *questionsScreen) blocking(m *model, qu *question, v string) error {
	if err := q.redacted(qu)(v); err != nil {
		return err
	}
	if qu.secret != nil {
		return nil
	}
	for _, p := range q.problems(m, qu.key, v).at[qu.key] {
		if p.blocks {
			return errors.New(m.c.Redact(p.text()))
		}
	}
	return nil
}

// shownProblems are the lines a question shows under it: its own rule's problem, and
// every problem validate --offline finds there that says something else.
func (q *questionsScreen) shownProblems(m *model, qu *question, ps fieldProblems) []string {
	var out []string
	own := q.redacted(qu)(*qu.value)
	if own != nil {
		out = append(out, m.c.Redact(own.Error()))
	}
	for _, p := range ps.at[qu.key] {
		if own != nil && p.text() == own.Error() {
			continue
		}
		out = append(out, m.c.Redact(p.text()))
	}
	return out
}

// otherProblemsOf are the problems of settings only the answer file holds that
// belong with group g (by the part of the file they are in), as validate --offline
// words them, with their lines.
func (q *questionsScreen) otherProblemsOf(g int, ps fieldProblems) []string {
	var out []string
	for _, e := range ps.other {
		if q.groupOfPath(e.Path) == g {
			out = append(out, e.Error())
		}
	}
	return out
}

// groupOfPath is the page a setting no question asks belongs with: the page of the
// first question in the same part of the answer file, else the first page.
func (q *questionsScreen) groupOfPath(path string) int {
	top, _, _ := strings.Cut(pathIndex.ReplaceAllString(path, ""), ".")
	for _, qu := range q.qs {
		if k, _, _ := strings.Cut(qu.key, "."); k == top && qu.secret == nil {
			return qu.group
		}
	}
	return 0
}

package answers

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem with one field of the answers.
type FieldError struct {
	Path    string // masterService.account, masters[1].host
	Line    int    // line in the answer file; 0 when unknown
	Problem string // what is wrong
	Fix     string // what to type instead
	// Other is the second field of a rule across two fields (a name both fields
	// use, a port that clashes); empty for a rule of one field. The wizard shows the
	// problem at both.
	Other string
}

// Error reads like `masterService.account (line 14): "NT Service\X" is a virtual
// account, which cannot log in to a remote replica; type a domain account such as ...`.
func (e FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// FieldErrors is every problem Validate found, sorted by line then path.
type FieldErrors []FieldError

// Error lists the problems one per line.
func (es FieldErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err is es as an error, or nil when there is no problem; it avoids the non-nil
// interface holding an empty list.
func (es FieldErrors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// report collects FieldErrors with the lines of the answer file.
type report struct {
	a    *Answers
	errs FieldErrors
}

func (r *report) add(path, problemText, fix string) {
	r.errs = append(r.errs, FieldError{Path: path, Line: r.a.lineFor(path), Problem: problemText, Fix: fix})
}

// addPair records a problem of a rule across two fields: path is blamed, other is
// the field it clashes with.
func (r *report) addPair(path, other, problemText, fix string) {
	r.add(path, problemText, fix)
	r.errs[len(r.errs)-1].Other = other
}

// check records err from a field validator against path.
func (r *report) check(path string, err error) {
	if err == nil {
		return
	}
	var p *problem
	if errors.As(err, &p) {
		r.add(path, p.what, p.fix)
		return
	}
	r.add(path, err.Error(), "")
}

func (r *report) sorted() FieldErrors {
	sort.SliceStable(r.errs, func(i, j int) bool {
		if r.errs[i].Line != r.errs[j].Line {
			return r.errs[i].Line < r.errs[j].Line
		}
		return r.errs[i].Path < r.errs[j].Path
	})
	if len(r.errs) == 0 {
		return nil
	}
	return r.errs
}

// orList joins choices as a fix names them: "windows or sql", "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

package cli

import (
	"encoding/json"
	"io"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// validateJSON is what validate --output json prints: one object for the whole run.
// Problems are the answer file's; unless offline, reach, networkFacts and preflight
// follow, each in the order the text output lists them. ok is false when anything
// is wrong (the exit code is then 2).
type validateJSON struct {
	File      string        `json:"file"`
	Offline   bool          `json:"offline"`
	OK        bool          `json:"ok"`
	Problems  []problemJSON `json:"problems"`
	Reach     []reachJSON   `json:"reach,omitempty"`
	Facts     []factJSON    `json:"networkFacts,omitempty"`
	Preflight []checkJSON   `json:"preflight,omitempty"`
}

// problemJSON is one problem of the answer file: the field path (empty for a YAML
// syntax error), its line (0 when unknown), what is wrong and what to type instead.
type problemJSON struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Problem string `json:"problem"`
	Fix     string `json:"fix,omitempty"`
}

// reachJSON is one port probed from this machine; mark is ok, warn or FAIL.
type reachJSON struct {
	Mark   string `json:"mark"`
	What   string `json:"what"`
	Detail string `json:"detail"`
}

// factJSON is one network fact behind an answer, checked from the primary node;
// status is ok, warn or fail.
type factJSON struct {
	Field   string `json:"field"`
	Value   string `json:"value"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

// checkJSON is one check of a node: status is Success, Warning, Failed or Skipped;
// fix says what to do unless it succeeded. Step and title are 0 and empty for the
// preflight checks, which belong to no step.
type checkJSON struct {
	Step   int    `json:"step,omitempty"`
	Title  string `json:"title,omitempty"`
	Target string `json:"target"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// verifyJSON is what verify --output json prints: every check of every step on every
// target (with --failover, those of each stop too), and the counts by status. ok is
// false when a check failed (the exit code is then 1).
type verifyJSON struct {
	OK      bool        `json:"ok"`
	Success int         `json:"success"`
	Warning int         `json:"warning"`
	Failed  int         `json:"failed"`
	Skipped int         `json:"skipped"`
	Checks  []checkJSON `json:"checks"`
}

func toCheckJSON(c engine.VerifyCheck) checkJSON {
	return checkJSON{Step: c.Step, Title: c.Title, Target: c.Target, Name: c.Name, Status: string(c.Status), Detail: c.Detail, Fix: c.Fix}
}

func toVerifyJSON(vr *engine.VerifyReport) verifyJSON {
	out := verifyJSON{Checks: []checkJSON{}}
	for _, c := range vr.Checks {
		out.Checks = append(out.Checks, toCheckJSON(c))
		switch c.Status {
		case steps.CheckSuccess:
			out.Success++
		case steps.CheckWarning:
			out.Warning++
		case steps.CheckFailed:
			out.Failed++
		case steps.CheckSkipped:
			out.Skipped++
		}
	}
	out.OK = out.Failed == 0
	return out
}

func toProblemsJSON(errs answers.FieldErrors) []problemJSON {
	out := []problemJSON{}
	for _, e := range errs {
		out = append(out, problemJSON{Path: e.Path, Line: e.Line, Problem: e.Problem, Fix: e.Fix})
	}
	return out
}

func toReachJSON(r ssisha.ReachLine) reachJSON {
	return reachJSON{Mark: r.Mark, What: r.What, Detail: r.Detail}
}

// writeJSON writes v as one indented JSON object.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

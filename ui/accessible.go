package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// RunAccessible is the line-by-line twin of the wizard for screen readers and dumb
// terminals: huh's accessible prompts for the questions, then one line per event for
// preflight, plan and apply, with no panes and no repainting.
func RunAccessible(ctx context.Context, opts Options) error {
	if opts.Backend == nil {
		return errors.New("the wizard needs a backend; this is a bug in the caller")
	}
	in, out := opts.Input, opts.Output
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	out = accessibleOutput(out, opts.Color)
	a, s := opts.startingAnswers()
	qs := newQuestions(a, s)
	b := opts.Backend
	ask := qs
	for {
		if err := askAccessible(ctx, in, out, ask); err != nil {
			return err
		}
		if err := applyQuestions(qs, a, s); err != nil {
			return err
		}
		if errs := answers.Validate(a); len(errs) > 0 {
			return &ExitError{Code: exitInvalid, Err: fmt.Errorf("the answers have problems:\n%w", errs)}
		}
		// What the full-screen wizard checks beside each field as it is typed: names,
		// addresses, accounts and the certificate, through the primary node.
		failed := checkAccessible(ctx, out, b, qs, a, s)
		if len(failed) == 0 {
			break
		}
		choice, err := askAfterChecks(ctx, in, out, len(failed))
		if err != nil {
			return err
		}
		if choice == choiceStop {
			return fmt.Errorf("stopped at the network checks: %d answer(s) need another look", len(failed))
		}
		if choice == choiceGoOn {
			break
		}
		ask = failed
	}
	red := s.Redactor()
	line := func(e engine.Event) {
		if t := engine.Text(e, engine.Spoken); t != "" {
			fmt.Fprintln(out, red.Redact(t))
		}
	}
	fmt.Fprintln(out, "Preflight checks:")
	if err := b.Preflight(ctx, a, s, line); err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	fmt.Fprintln(out, "Planning:")
	p, err := b.Plan(ctx, a, s, func(engine.Event) {})
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	for _, ps := range p.Steps {
		for _, t := range ps.Targets {
			fmt.Fprintf(out, "step %d %s on %s: %s, %d action(s)\n", ps.ID, ps.Title, t.Target.Host, t.Detection.State, len(t.Detection.Actions))
		}
	}
	fmt.Fprintln(out, engine.CountsText(p.Counts())+" will run.")
	ok := false
	if err := huh.NewForm(huh.NewGroup(huh.NewConfirm().Title("Apply the plan?").Value(&ok))).WithAccessible(true).WithInput(in).WithOutput(out).RunWithContext(ctx); err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	if !ok {
		fmt.Fprintln(out, "Nothing applied.")
		return &ExitError{Code: exitAborted, Err: errors.New("the plan was not applied: the confirmation was declined")}
	}
	var only []int
	for {
		rep, err := b.Apply(ctx, a, s, p, only, line)
		if rep != nil {
			fmt.Fprintln(out, rep.Recap())
		}
		failedStep := firstFailedStep(rep)
		if err == nil && failedStep == 0 {
			return nil
		}
		if failedStep == 0 {
			return fmt.Errorf("apply: %w", red.RedactError(err))
		}
		choice, cerr := askAfterFailure(ctx, in, out, failedStep)
		if cerr != nil {
			return cerr
		}
		switch choice {
		case choiceRetry:
			fmt.Fprintf(out, "Planning steps %d to 9 again:\n", failedStep)
			if p, err = b.Plan(ctx, a, s, func(engine.Event) {}); err != nil {
				return fmt.Errorf("plan: %w", red.RedactError(err))
			}
			only = stepsFrom(failedStep)
		case choiceRollback:
			rb, err := b.Rollback(ctx, a, s, changedSteps(rep), line)
			if rb != nil {
				fmt.Fprintln(out, rb.Recap())
			}
			if err != nil {
				return fmt.Errorf("rollback: %w", red.RedactError(err))
			}
			return nil
		default:
			fmt.Fprintln(out, "Stopped. The journal keeps the run: run the same command again to resume, or roll back.")
			return fmt.Errorf("step %d failed", failedStep)
		}
	}
}

// accessibleOutput is out with the prompts' styling fitted to where it goes: the
// prompts colour their titles, which a dumb terminal, a screen reader's log or a file
// should never see as escape codes. The terminal and the environment decide (TERM,
// NO_COLOR), as for the full-screen wizard; --color always keeps the colours and
// --color never drops them.
func accessibleOutput(out io.Writer, color string) io.Writer {
	w := colorprofile.NewWriter(out, os.Environ())
	switch color {
	case "always":
		return out
	case "never":
		if w.Profile > colorprofile.Ascii {
			w.Profile = colorprofile.Ascii
		}
	}
	return w
}

// The choices after a failed step, in the order they are offered, and after failed
// network checks.
const (
	choiceRetry    = "retry"
	choiceRollback = "rollback"
	choiceStop     = "stop"
	choiceAgain    = "again"
	choiceGoOn     = "go-on"
)

// askAccessible asks qs line by line. Each question is read out whole before its
// prompt: the title, what it is for, and the value an empty line keeps (the prompt
// itself shows only its title). A secret already given (environment, secrets file)
// is not asked again, as the full-screen wizard shows it as set.
func askAccessible(ctx context.Context, in io.Reader, out io.Writer, qs []*question) error {
	for _, q := range qs {
		if q.secret != nil && strings.TrimSpace(*q.value) != "" {
			continue
		}
		shown := strings.TrimSpace(*q.value)
		keep := "Press Enter to keep " + quoteShown(shown) + "."
		switch {
		case q.secret != nil:
			keep = "Typing is hidden."
		case shown == "":
			keep = "Press Enter to leave it empty."
		}
		fmt.Fprintf(out, "%s: %s. %s\n", q.title, strings.TrimSuffix(q.desc, "."), keep)
		f := huh.NewInput().Key(q.key).Title(q.title + ":").Value(q.value)
		if validate := accessibleValidator(q); validate != nil {
			// An empty line keeps the shown value, so it is the shown value that must be
			// valid; the line-by-line prompt checks the raw line before defaulting.
			value := *q.value
			f = f.Validate(func(v string) error {
				if strings.TrimSpace(v) == "" {
					return validate(value)
				}
				return validate(v)
			})
		}
		if q.secret != nil {
			f = f.EchoMode(huh.EchoModePassword)
		}
		form := huh.NewForm(huh.NewGroup(f)).WithAccessible(true).WithInput(in).WithOutput(out)
		if err := form.RunWithContext(ctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("questions: %w", err)
			}
			// The input ended before a valid answer: the answers are invalid.
			return &ExitError{Code: exitInvalid, Err: fmt.Errorf("questions: no valid answer for %s: %w", q.title, err)}
		}
	}
	return nil
}

// accessibleValidator is the check a typed answer must pass: the question's own, or,
// for a choice (a list in the full-screen wizard), being one of its options.
func accessibleValidator(q *question) func(string) error {
	if q.validate != nil || q.options == nil {
		return q.validate
	}
	return func(v string) error {
		v = strings.TrimSpace(v)
		if slices.Contains(q.options, v) {
			return nil
		}
		var named []string
		for _, o := range q.options {
			if o != "" {
				named = append(named, o)
			}
		}
		return fmt.Errorf("%q is not a choice; type one of: %s", v, strings.Join(named, ", "))
	}
}

// quoteShown is a value as the accessible stream reads it out.
func quoteShown(v string) string { return "\"" + v + "\"" }

// accessibleCheckTimeout bounds each network check, as the wizard's do.
const accessibleCheckTimeout = 10 * time.Second

// checkAccessible runs the network check of every answered network question at once,
// prints one line per check in the questions' order, and returns the questions whose
// check found a problem (a warning is printed, not returned).
func checkAccessible(ctx context.Context, out io.Writer, b Backend, qs []*question, a *answers.Answers, s *answers.Secrets) []*question {
	var asked []*question
	for _, q := range qs {
		if q.network && strings.TrimSpace(*q.value) != "" {
			asked = append(asked, q)
		}
	}
	if len(asked) == 0 {
		return nil
	}
	fmt.Fprintln(out, "Network checks:")
	results := make([]FieldCheck, len(asked))
	var wg sync.WaitGroup
	for i, q := range asked {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, accessibleCheckTimeout)
			defer cancel()
			results[i] = b.CheckField(cctx, a, s, q.key, strings.TrimSpace(*q.value))
		})
	}
	wg.Wait()
	red := s.Redactor()
	var failed []*question
	for i, q := range asked {
		r := results[i]
		if r.OK && !r.Warning && r.Message == steps.NoNetworkCheck {
			continue
		}
		status := "ok"
		switch {
		case r.Warning:
			status = "warning"
		case !r.OK:
			status = "problem"
			failed = append(failed, q)
		}
		fmt.Fprintln(out, red.Redact(fmt.Sprintf("%s (%s): %s: %s", q.title, strings.TrimSpace(*q.value), status, r.Message)))
	}
	return failed
}

// askAfterChecks offers, after network checks that found problems: answer those
// questions again, go on to the preflight checks anyway, or stop.
func askAfterChecks(ctx context.Context, in io.Reader, out io.Writer, problems int) (string, error) {
	return askChoice(ctx, in, out, "choice after the network checks", fmt.Sprintf("%d answer(s) did not pass the network checks. What now?", problems),
		huh.NewOption("Answer those questions again", choiceAgain),
		huh.NewOption("Go on to the preflight checks anyway", choiceGoOn),
		huh.NewOption("Stop here", choiceStop))
}

// askAfterFailure offers what the run screen's keys offer: retry the failed step (and
// the ones after it), roll back what this run changed, or stop.
func askAfterFailure(ctx context.Context, in io.Reader, out io.Writer, step int) (string, error) {
	return askChoice(ctx, in, out, "choice after the failure", fmt.Sprintf("Step %d failed. What now?", step),
		huh.NewOption(fmt.Sprintf("Retry step %d and the steps after it", step), choiceRetry),
		huh.NewOption("Roll back what this run changed", choiceRollback),
		huh.NewOption("Stop here; the journal keeps the run for later", choiceStop))
}

// askChoice asks one numbered question; the first option is the default. what names
// the question in an error.
func askChoice(ctx context.Context, in io.Reader, out io.Writer, what, title string, options ...huh.Option[string]) (string, error) {
	choice := options[0].Value
	sel := huh.NewSelect[string]().Title(title).Options(options...).Value(&choice)
	if err := huh.NewForm(huh.NewGroup(sel)).WithAccessible(true).WithInput(in).WithOutput(out).RunWithContext(ctx); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return choice, nil
}

// firstFailedStep is the lowest step that failed in the report, or 0.
func firstFailedStep(r *engine.Report) int {
	if r == nil {
		return 0
	}
	first := 0
	for _, t := range r.Results {
		if (t.Status == engine.StatusFailed || t.Status == engine.StatusBlocked) && (first == 0 || t.Step < first) {
			first = t.Step
		}
	}
	return first
}

// changedSteps are the steps in which this run changed something (or failed while
// changing it), for the rollback offered after a failure.
func changedSteps(r *engine.Report) []int {
	seen := map[int]bool{}
	var out []int
	for _, t := range r.Results {
		if t.Status == engine.StatusSucceeded || t.Status == engine.StatusFailed {
			if !seen[t.Step] {
				seen[t.Step] = true
				out = append(out, t.Step)
			}
		}
	}
	return out
}

func stepsFrom(step int) []int {
	var out []int
	for i := step; i <= 9; i++ {
		out = append(out, i)
	}
	return out
}

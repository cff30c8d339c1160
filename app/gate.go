package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// InputError is a gate's refusal for what the user gave: the answers, the secrets or
// a check to skip that does not exist. Nothing was changed; the command exits 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// PreflightError is a gate's refusal because preflight checks failed on the estate.
// Nothing was changed; the command exits 1.
type PreflightError struct {
	// Failed are the failed checks that were not skipped.
	Failed []engine.VerifyCheck
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "preflight found %d failed check(s), so nothing was changed:", len(e.Failed))
	for _, c := range e.Failed {
		fmt.Fprintf(&b, "\n  - %s on %s: %s", c.Name, c.Target, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(&b, " (fix: %s)", c.Fix)
		}
	}
	b.WriteString("\nfix them and run again, or skip one you have checked by hand with --skip-check NAME (the journal records it)")
	return b.String()
}

// CheckInput is the offline part of the gate: the answers' validation and the
// secrets' rules, every problem at once.
func CheckInput(ans *answers.Answers, sec *answers.Secrets) error {
	errs := answers.Validate(ans)
	if sec != nil {
		errs = append(errs, sec.Check()...)
	}
	if len(errs) > 0 {
		return &InputError{fmt.Errorf("the answers or secrets have %d problem(s):\n%s", len(errs), indent(errs.Error()))}
	}
	return nil
}

// checkCleartext refuses an apply whose secrets would cross an unencrypted SQL
// Server connection, unless Options.AllowCleartextSecrets allows it.
func (s *Session) checkCleartext(ans *answers.Answers) error {
	o := remote.SQLOptions{Encrypt: ans.Connection.SQL.Encrypt}
	if s.opts.AllowCleartextSecrets || !o.Cleartext() {
		return nil
	}
	return &InputError{fmt.Errorf("connection.sql.encrypt is %s, so the logging login's and the SSISDB master key's passwords would cross the network in clear text; set it to true or strict, or allow it with --allow-cleartext-secrets", ans.Connection.SQL.Encrypt)}
}

// PreflightCheckNames lists the names --skip-check takes, sorted, once each.
func PreflightCheckNames() []string {
	var names []string
	for _, pc := range steps.PreflightChecks() {
		if !slices.Contains(names, pc.Name) {
			names = append(names, pc.Name)
		}
	}
	sort.Strings(names)
	return names
}

// skipList checks that every name the user asked to skip is a preflight check, and
// returns the checks' own spelling of each.
func skipList(skip []string) ([]string, error) {
	known := PreflightCheckNames()
	var out []string
	for _, s := range skip {
		i := slices.IndexFunc(known, func(n string) bool { return strings.EqualFold(n, strings.TrimSpace(s)) })
		if i < 0 {
			return nil, &InputError{fmt.Errorf("--skip-check %q is not a preflight check; the checks are: %s", s, strings.Join(known, ", "))}
		}
		if !slices.Contains(out, known[i]) {
			out = append(out, known[i])
		}
	}
	return out, nil
}

// Gate runs what every apply passes before it changes anything: the offline
// validation and the secrets' rules (an InputError), then preflight on every node (a
// PreflightError when a check failed that neither Options.SkipChecks nor the
// context's WithSkippedChecks names). It
// returns the preflight checks. A passed gate is remembered for these answers and
// secrets, so that Apply does not run preflight again right after the command did.
func (s *Session) Gate(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) ([]engine.VerifyCheck, error) {
	if err := CheckInput(ans, sec); err != nil {
		return nil, err
	}
	if err := s.checkCleartext(ans); err != nil {
		return nil, err
	}
	skip, err := s.skipChecks(ctx)
	if err != nil {
		return nil, err
	}
	checks, err := s.PreflightChecks(ctx, ans, sec, emit)
	if err != nil {
		return checks, err
	}
	var failed []engine.VerifyCheck
	for _, c := range checks {
		if c.Status == steps.CheckFailed && !slices.Contains(skip, c.Name) {
			failed = append(failed, c)
		}
	}
	if len(failed) > 0 {
		return checks, &PreflightError{Failed: failed}
	}
	key, err := gateKey(ans, sec)
	if err != nil {
		return checks, err
	}
	s.mu.Lock()
	s.gated = key
	s.mu.Unlock()
	return checks, nil
}

// gate runs Gate unless it already passed for these answers and secrets.
func (s *Session) gate(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, emit func(engine.Event)) error {
	key, err := gateKey(ans, sec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	passed := s.gated != "" && s.gated == key
	s.mu.Unlock()
	if passed {
		return nil
	}
	_, err = s.Gate(ctx, ans, sec, emit)
	return err
}

// gateKey names a set of answers and secrets, as the connection does.
func gateKey(ans *answers.Answers, sec *answers.Secrets) (string, error) {
	data, err := answers.Marshal(ans)
	if err != nil {
		return "", err
	}
	return string(data) + fmt.Sprintf("|%p", sec), nil
}

func indent(text string) string {
	return "  - " + strings.ReplaceAll(text, "\n", "\n  - ")
}

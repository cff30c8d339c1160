package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/steps/answers"
)

// loadAnswers reads and validates the answer file. Every problem is listed at once;
// the error exits 2.
func (a *app) loadAnswers(file string) (*answers.Answers, error) {
	if file == "" {
		return nil, invalid("no answer file: pass -f answers.yaml (the wizard writes one; `ssisha lab serve --dir DIR` writes DIR/answers.yaml)")
	}
	ans, err := answers.Load(file)
	if err != nil {
		return nil, invalidErr(fmt.Errorf("%s: %w", file, err))
	}
	a.applyUserOverrides(ans)
	if errs := answers.Validate(ans); len(errs) > 0 {
		return nil, invalidErr(fmt.Errorf("%s has %d problem(s):\n%s", file, len(errs), formatFieldErrors(errs)))
	}
	return ans, nil
}

// applyUserOverrides applies the user names of the environment (envvar.WinRMUser and
// envvar.SQLUser).
func (a *app) applyUserOverrides(ans *answers.Answers) {
	if u := a.getenv(envvar.WinRMUser); u != "" {
		ans.Connection.WinRM.User = u
	}
	if u := a.getenv(envvar.SQLUser); u != "" {
		ans.Connection.SQL.User = u
	}
}

func formatFieldErrors(errs answers.FieldErrors) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  - ")
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// loadSecrets reads secrets from the environment and --secrets, and asks for the
// missing ones with masked input when a person is at the terminal. Without one, the
// missing secrets are named with the variables that carry them (exit 2).
func (a *app) loadSecrets(ans *answers.Answers) (*answers.Secrets, error) {
	s, err := answers.LoadSecrets(a.getenv, a.secretsFile)
	if err != nil {
		return nil, invalidErr(err)
	}
	if err := checkSecrets(s); err != nil {
		return nil, err
	}
	missing := s.Missing(ans)
	if len(missing) == 0 {
		return s, nil
	}
	if !a.isTerminal() {
		var names []string
		for _, m := range missing {
			names = append(names, m.Env+" ("+m.Label+")")
		}
		return nil, invalid("missing secrets: %s; set them in the environment or in a --secrets file with mode 0600", strings.Join(names, ", "))
	}
	for _, m := range missing {
		for {
			fmt.Fprintf(a.errOut, "%s (%s): ", m.Label, m.Env)
			v, err := a.readPassword()
			fmt.Fprintln(a.errOut)
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, aborted("reading %s: %v", m.Label, err)
			}
			if v == "" {
				return nil, aborted("no value given for %s", m.Label)
			}
			if err := answers.ValidatePassword(m.Kind, v, ""); err != nil {
				fmt.Fprintf(a.errOut, "  %v\n", err)
				continue
			}
			if err := s.Set(m.Env, v); err != nil {
				return nil, invalidErr(err)
			}
			break
		}
	}
	return s, nil
}

// checkSecrets refuses secrets that cannot be carried safely (exit 2), naming each by
// its variable, never by its value.
func checkSecrets(s *answers.Secrets) error {
	if errs := s.Check(); len(errs) > 0 {
		return invalid("%d secret(s) cannot be used:\n%s", len(errs), formatFieldErrors(errs))
	}
	return nil
}

package ui

import "github.com/ssisha/ssisha/steps/answers"

// question is one answer the wizard asks for: its place in the answer file (the key is
// the YAML path, which is also what Backend.CheckField receives), its texts, its
// syntax check and whether a network fact stands behind it.
type question struct {
	key, title, desc, help string
	group                  int
	options                []string // a choice instead of free text
	validate               func(string) error
	network                bool
	secret                 *answers.SecretSpec
	value                  *string
}

// questionGroups are the pages of the questions, in the order a DBA thinks of them.
var questionGroups = answers.GroupTitles()

// splitList splits hosts typed as one list, as the answers do.
func splitList(v string) []string { return answers.SplitList(v) }

// hostList checks hosts typed as one list.
func hostList(v string) error { return answers.ValidateHostList(v) }

// newQuestions builds the questions from the answer-field registry, with the values of
// the answers, and then the secrets the answers need.
func newQuestions(a *answers.Answers, s *answers.Secrets) []*question {
	str := func(v string) *string { return &v }
	var qs []*question
	for _, f := range answers.Fields() {
		if !f.Asked() {
			continue
		}
		q := &question{key: f.Path, group: int(f.Group), title: f.Label, desc: f.Desc, help: f.Help,
			options: f.Choices, network: f.Check != answers.NoCheck, value: str(f.Get(a))}
		if f.Choices == nil {
			// A choice is its own rule; a value outside it is shown as it is.
			q.validate = f.Validate
		}
		qs = append(qs, q)
	}
	for _, spec := range secretSpecsToAsk(a, s) {
		login := ""
		if spec.Kind == answers.LoggingPassword {
			login = a.Logging.Login
		}
		qs = append(qs, &question{
			key: spec.Env, group: secretsGroup, title: spec.Label, desc: spec.Help,
			help:     "Masked; never written to the answer file or any log. Also read from the environment variable " + spec.Env + ".",
			validate: func(v string) error { return answers.ValidatePassword(spec.Kind, v, login) },
			secret:   &spec, value: str(s.Get(spec.Env).Reveal()),
		})
	}
	return qs
}

// Question is one answer the wizard asks for, as a program typing into it needs to
// know it.
type Question struct {
	// Group is the page it is on, from 0, in the order the wizard shows the pages.
	Group int
	// Key is its place in the answer file, or the environment variable of a secret.
	Key string
	// Value is what the field holds when the page opens.
	Value string
}

// Questions are the questions the wizard asks, page by page and field by field, when
// it starts from these answers and secrets (nil: as NewModel starts).
func Questions(a *answers.Answers, s *answers.Secrets) []Question {
	a, s = Options{Answers: a, Secrets: s}.startingAnswers()
	qs := newQuestions(a, s)
	var out []Question
	for g := range questionGroups {
		for _, q := range qs {
			if q.group == g {
				out = append(out, Question{Group: g, Key: q.key, Value: *q.value})
			}
		}
	}
	return out
}

// secretsGroup is the page of the secrets.
const secretsGroup = int(answers.GroupSecrets)

// secretSpecsToAsk are the secrets the answers need, whether set already or not.
func secretSpecsToAsk(a *answers.Answers, s *answers.Secrets) []answers.SecretSpec {
	missing := map[string]bool{}
	for _, sp := range s.Missing(a) {
		missing[sp.Env] = true
	}
	var out []answers.SecretSpec
	for _, sp := range answers.SecretSpecs() {
		if missing[sp.Env] || !s.Get(sp.Env).IsZero() {
			out = append(out, sp)
		}
	}
	return out
}

// applyQuestions writes the typed values into a (and secrets into s when not nil).
func applyQuestions(qs []*question, a *answers.Answers, s *answers.Secrets) error {
	values := map[string]string{}
	for _, q := range qs {
		if q.secret == nil {
			values[q.key] = *q.value
			continue
		}
		if s != nil && *q.value != "" {
			if err := s.Set(q.secret.Env, *q.value); err != nil {
				return err
			}
		}
	}
	answers.ApplyFields(a, values)
	return nil
}

package answers

// MinSecretLength is the shortest secret ssisha accepts: a shorter value is too easy
// to find again inside ordinary text, so the redactor could not keep it out of a log.
const MinSecretLength = 8

// loggingLogin is the logging login's name, which its password must not contain.
const loggingLogin = "##MS_SSISLogDBWorkerAgentLogin##"

// Check applies ValidatePassword to every secret that has a value, whatever it came
// from (environment, secrets file, prompt), so that a secret that cannot be carried
// safely is refused before anything connects. Each problem names the secret's
// variable, never its value.
func (s *Secrets) Check() FieldErrors {
	var errs FieldErrors
	for _, spec := range secretSpecs {
		v := s.Get(spec.Env).Reveal()
		if v == "" {
			continue
		}
		login := ""
		if spec.Kind == LoggingPassword {
			login = loggingLogin
		}
		if err := ValidatePassword(spec.Kind, v, login); err != nil {
			errs = append(errs, FieldError{Path: spec.Env, Problem: err.Error()})
		}
	}
	return errs
}

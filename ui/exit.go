package ui

// ExitError is an end of the wizard that has its own exit code: 2 when the input is
// invalid (or ends before a valid answer), 3 when the user declines to go on.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the process exit code the error stands for.
func (e *ExitError) ExitCode() int { return e.Code }

// Exit codes the wizard's errors carry, as the command line's.
const (
	exitInvalid = 2
	exitAborted = 3
)

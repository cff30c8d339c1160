package cli

import (
	"errors"
	"fmt"
)

// Exit codes, as the design fixes them.
const (
	ExitOK         = 0 // success
	ExitStepFailed = 1 // a step failed
	ExitInvalid    = 2 // invalid input or usage
	ExitAborted    = 3 // aborted, or confirmation refused
)

// exitError carries the exit code a failure should produce.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func invalid(format string, args ...any) error {
	return &exitError{code: ExitInvalid, err: fmt.Errorf(format, args...)}
}

func invalidErr(err error) error { return &exitError{code: ExitInvalid, err: err} }

func aborted(format string, args ...any) error {
	return &exitError{code: ExitAborted, err: fmt.Errorf(format, args...)}
}

func failed(err error) error { return &exitError{code: ExitStepFailed, err: err} }

// exitCode maps an error to its exit code; errors without one are step failures.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	// The wizard's own ends (invalid input, a declined confirmation) carry theirs.
	var c interface{ ExitCode() int }
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return ExitStepFailed
}

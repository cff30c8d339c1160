package remote

import (
	"errors"
	"fmt"
	"slices"
)

// ScriptError is a PowerShell script that ran and failed on a node.
type ScriptError struct {
	Host     string
	Op       string
	ExitCode int
	// Message is the error record as readable text (CLIXML decoded), free of secrets.
	Message string
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("%s: %s failed (exit %d): %s", e.Host, e.Op, e.ExitCode, e.Message)
}

// SQLError is a SQL Server error raised by a batch.
type SQLError struct {
	Host    string
	Op      string
	Number  int32
	State   uint8
	Class   uint8
	Message string
}

func (e *SQLError) Error() string {
	return fmt.Sprintf("%s: %s: SQL Server error %d: %s", e.Host, e.Op, e.Number, e.Message)
}

// SQLNumber returns the SQL Server error number carried by err, or 0.
func SQLNumber(err error) int32 {
	var se *SQLError
	if errors.As(err, &se) {
		return se.Number
	}
	return 0
}

// IsSQLError reports whether err carries one of the given SQL Server error numbers.
func IsSQLError(err error, numbers ...int32) bool {
	n := SQLNumber(err)
	return n != 0 && slices.Contains(numbers, n)
}

package winrm

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// CommandError is a script that ran and failed: a non-zero exit code.
type CommandError struct {
	Host, Op string
	ExitCode int
	// Stderr is the script's error output, CLIXML decoded to readable text, redacted.
	Stderr string
	// Stdout is what the script printed before failing, redacted.
	Stdout string
}

func (e *CommandError) Error() string {
	msg := firstLines(e.Stderr, 6)
	if msg == "" {
		msg = "it wrote no error message"
	}
	return fmt.Sprintf("%s on %s failed with exit code %d: %s", e.Op, e.Host, e.ExitCode, msg)
}

// ProtocolError is a failure below the script: HTTP, TLS, authentication or a
// WS-Management fault.
type ProtocolError struct {
	Host string
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Fault is the SOAP fault subcode and reason, "" when there was none.
	Fault string
	Err   error
}

func (e *ProtocolError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "WinRM on %s", e.Host)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Fault != "" {
		fmt.Fprintf(&b, ": %s", e.Fault)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString(" (" + hint + ")")
	}
	return b.String()
}

// Unwrap returns the underlying transport error.
func (e *ProtocolError) Unwrap() error { return e.Err }

func (e *ProtocolError) hint() string {
	switch {
	case e.Status == 401:
		return "the node refused the credentials: check the user name and password, and that the auth method is enabled (winrm get winrm/config/service/auth)"
	case strings.Contains(e.Fault, "QuotaLimit"):
		return "the node runs too many shells for this user; it is retried when the script allows it, otherwise close other WinRM sessions and run again"
	case strings.Contains(e.Fault, "too long"):
		return "the command line exceeds the node's limit; this is a bug, please report it"
	case e.Status == 0 && isConnRefused(e.Err):
		return "nothing listens there: check the WinRM port and firewall (winrm quickconfig)"
	}
	return ""
}

// transient reports whether err is worth retrying for a script that allows it:
// the node did not run the command, or the connection broke.
func transient(err error) bool {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		if pe.Status == 503 || strings.Contains(pe.Fault, "QuotaLimit") {
			return true
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || isConnRefused(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	// A refused connection, in any spelling, was taken above.
	msg := err.Error()
	return strings.Contains(msg, "EOF") || strings.Contains(msg, "connection reset")
}

func isConnRefused(err error) bool {
	return err != nil && (errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused"))
}

// firstLines keeps the start of a long message: errors name the problem, the rest is
// in the journal.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// truncate shortens output quoted in an error.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

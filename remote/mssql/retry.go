package mssql

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// isTransient reports whether err may pass if the batch is sent again on a new
// connection: a dropped or refused connection, or the estate mid-failover.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	if n, ok := sqlNumber(err); ok {
		return !loginFailed[n] && (notPrimary[n] || transientNumbers[n])
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && !ne.Timeout() {
		return true
	}
	// The driver flattens some network failures into text.
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"connection reset", "connection refused", "broken pipe", "eof", "use of closed network connection", "bad connection"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

package mssql

import (
	"errors"
	"fmt"

	mssqldb "github.com/microsoft/go-mssqldb"
)

// SQLError is an error SQL Server returned for a batch, with the node (or the
// listener) and the operation it ran.
type SQLError struct {
	Host, Op     string
	Number       int32
	State, Class uint8
	Message      string
}

// Error reads like "node2: login failed (18456): Login failed for user 'x'.",
// followed by what to do about it when the number is a known one.
func (e *SQLError) Error() string {
	what := "T-SQL " + e.Op + " failed"
	if e.Op == "" {
		what = "T-SQL failed"
	}
	if loginFailed[e.Number] {
		what = "login failed"
	}
	msg := fmt.Sprintf("%s: %s (%d): %s", e.Host, what, e.Number, e.Message)
	if h := hint(e.Number); h != "" {
		msg += " " + h
	}
	return msg
}

// Known error numbers, grouped by what the caller does about them.
var (
	notPrimary = numbers(
		976,   // database not accessible: not the primary, or no readable secondary
		983,   // availability replica role is not PRIMARY/readable
		35250, // not joined / not connected to the primary
		35281, // replica state change in progress
		41104, // AG failover in progress
		978,   // secondary requires read-intent connections
		952,   // database in transition
	)
	alreadyExists = numbers(
		15025, // server principal already exists
		15023, // user, group or role already exists
		1801,  // database already exists
		2714,  // object already exists
		19476, // listener already exists
		35237, // availability group or replica name already exists
		15632, // certificate already exists
		7907,  // endpoint already exists
		15578, // master key already exists
		41051, // AG already has a listener with that name
	)
	permissionDenied = numbers(
		229,   // permission denied on object
		262,   // permission denied in database
		15247, // no permission to perform this action
		300,   // permission was denied on server
		297,   // the user does not have permission to perform this action
		916,   // server principal cannot access the database
	)
	loginFailed = numbers(18456, 18452, 18486, 18487, 18488, 4060)
	// transientNumbers are conditions that pass once the estate settles (after a
	// failover, a restart or a busy moment), besides the not-primary ones.
	transientNumbers = numbers(40613, 40197, 40501, 49918, 49919, 49920, 1205, 10928, 10929)
)

func numbers(ns ...int32) map[int32]bool {
	m := make(map[int32]bool, len(ns))
	for _, n := range ns {
		m[n] = true
	}
	return m
}

func hint(n int32) string {
	switch {
	case n == 18452:
		return "The instance refuses this Windows login: NTLM is off in the domain, or the account's domain is not trusted; use connection.sql.auth kerberos with a ticket (kinit), or SQL authentication."
	case loginFailed[n]:
		return "Check the SQL connection account and its password (connection.sql), and that it has a login on this instance."
	case notPrimary[n]:
		return "This instance is not the primary replica now; connect through the listener, or run the step again after the failover completes."
	case permissionDenied[n]:
		return "The connection account needs sysadmin (or the named permission) on this instance."
	}
	return ""
}

func sqlNumber(err error) (int32, bool) {
	var se *SQLError
	if errors.As(err, &se) {
		return se.Number, true
	}
	var me mssqldb.Error
	if errors.As(err, &me) {
		return me.Number, true
	}
	return 0, false
}

func is(set map[int32]bool, err error) bool {
	n, ok := sqlNumber(err)
	return ok && set[n]
}

// IsNotPrimary reports whether err says the instance is not (or not yet) the
// primary replica for the database.
func IsNotPrimary(err error) bool { return is(notPrimary, err) }

// IsAlreadyExists reports whether err says the object being created exists.
func IsAlreadyExists(err error) bool { return is(alreadyExists, err) }

// IsPermissionDenied reports whether err says the connection account lacks a permission.
func IsPermissionDenied(err error) bool { return is(permissionDenied, err) }

// IsLoginFailed reports whether err says the login was refused.
func IsLoginFailed(err error) bool { return is(loginFailed, err) }

package engine

import (
	"fmt"
	"os"
)

// The files ssisha writes for people (the verify report, the wizard's report export,
// the plan bundle) describe the estate: who runs what where, with which accounts.
// Like the journal, they are for the user alone, whatever the umask says.

// MkdirPrivate creates dir (and its parents) readable by the user only; an existing
// dir is made so.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// WritePrivateFile writes data to path with mode 0600, also when the file existed
// with a wider mode.
func WritePrivateFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("cannot make %s private: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

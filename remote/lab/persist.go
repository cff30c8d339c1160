package lab

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// stateFormat versions state.json so that a future lab can refuse or migrate an old one.
const stateFormat = 1

// savedState is state.json: the estate and the secrets the lab chose for it. It holds
// passwords, so it is written 0600.
type savedState struct {
	Format  int               `json:"format"`
	Estate  *estate.Estate    `json:"estate"`
	Secrets map[string]string `json:"secrets"`
	// Clock is the lab clock when the state was saved.
	Clock time.Time `json:"clock"`
}

func (l *Lab) statePath() string { return filepath.Join(l.opts.Dir, "state.json") }
func (l *Lab) portsPath() string { return filepath.Join(l.opts.Dir, "ports.json") }

// loadState reads Dir/state.json, or seeds a new estate; either way it makes sure the
// generated secrets exist.
func (l *Lab) loadState() error {
	if l.opts.Dir != "" {
		data, err := os.ReadFile(l.statePath())
		switch {
		case err == nil:
			var st savedState
			if err := json.Unmarshal(data, &st); err != nil {
				return fmt.Errorf("lab: the state in %s is not valid JSON (%w); move it away to start a fresh estate", l.statePath(), err)
			}
			if st.Format != stateFormat || st.Estate == nil {
				return fmt.Errorf("lab: the state in %s has format %d, this lab reads format %d; move it away to start a fresh estate", l.statePath(), st.Format, stateFormat)
			}
			l.estate, l.secrets, l.clockOrigin = st.Estate, st.Secrets, st.Clock
		case errors.Is(err, fs.ErrNotExist):
		default:
			return fmt.Errorf("lab: cannot read the state in %s: %w", l.statePath(), err)
		}
	}
	if l.estate == nil {
		l.estate = estate.NewEstate(l.opts.Seed)
	}
	l.estate.Migrate()
	l.estate.Spend = func(host string, d time.Duration) {
		l.stats.busy(host, time.Duration(float64(d)*l.opts.Speed))
	}
	if l.secrets == nil {
		l.secrets = map[string]string{}
	}
	for _, k := range generatedSecrets {
		if l.secrets[k] == "" {
			l.secrets[k] = estate.GeneratePassword()
		}
	}
	for h := range l.estate.Nodes {
		l.localAdminLocked(h)
	}
	return nil
}

// persistLocked saves the state when it changed since the last save (or always, with
// force). The estate lock must be held.
func (l *Lab) persistLocked(force bool) error {
	if l.opts.Dir == "" {
		// A lab that keeps nothing has no saved state to compare with: encoding the
		// whole estate after every operation would only spend time.
		l.refreshRouteLocked()
		return nil
	}
	data, err := json.Marshal(savedState{Format: stateFormat, Estate: l.estate, Secrets: l.secrets})
	if err != nil {
		return fmt.Errorf("lab: the estate cannot be encoded: %w", err)
	}
	l.refreshRouteLocked()
	sum := sha256.Sum256(data)
	if !force && sum == l.savedHash {
		return nil
	}
	// The clock is saved with the state but not hashed: it alone is no change.
	withClock, err := json.MarshalIndent(savedState{Format: stateFormat, Estate: l.estate, Secrets: l.secrets, Clock: l.now()}, "", "  ")
	if err != nil {
		return fmt.Errorf("lab: the estate cannot be encoded: %w", err)
	}
	if err := labWriteAtomic(l.statePath(), withClock, 0o600); err != nil {
		return fmt.Errorf("lab: cannot save the state in %s: %w", l.opts.Dir, err)
	}
	l.savedHash = sum
	return nil
}

// loadPorts reads Dir/ports.json, so that a restarted lab listens where its answer
// file says.
func (l *Lab) loadPorts() error {
	if l.opts.Dir == "" {
		return nil
	}
	data, err := os.ReadFile(l.portsPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lab: cannot read %s: %w", l.portsPath(), err)
	}
	if err := json.Unmarshal(data, &l.ports); err != nil {
		return fmt.Errorf("lab: %s is not valid JSON (%w); delete it and the lab picks new ports", l.portsPath(), err)
	}
	return nil
}

func (l *Lab) savePorts() error {
	if l.opts.Dir == "" {
		return nil
	}
	data, err := json.MarshalIndent(l.ports, "", "  ")
	if err != nil {
		return err
	}
	if err := labWriteAtomic(l.portsPath(), data, 0o644); err != nil {
		return fmt.Errorf("lab: cannot save the ports in %s: %w", l.opts.Dir, err)
	}
	return nil
}

// labWriteAtomic writes through a temporary file and a rename, so a crash leaves either
// the old or the new file, never half of one.
func labWriteAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer func() { _ = os.Remove(name) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

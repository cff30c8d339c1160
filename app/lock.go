package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

// LockedError is the refusal to change an estate another ssisha is changing: one on
// this machine (the OS lock beside the journal), or on any machine (the marker on the
// primary node).
type LockedError struct {
	Cluster string
	Holder  steps.LockHolder
	// Where is the lock file on this machine, or the node that holds the marker.
	Where string
	// Local is true when the holder runs on this machine and still holds its OS lock.
	Local bool
}

func (e *LockedError) Error() string {
	if e.Local {
		return fmt.Sprintf("cluster %s is locked by %s (lock file %s); wait for it to finish, or stop that process: the lock goes with it", e.Cluster, e.Holder, e.Where)
	}
	return fmt.Sprintf("cluster %s is locked by %s (marker %s on %s); wait for it to finish; if that run is gone (its machine or process died), run again with --break-lock", e.Cluster, e.Holder, steps.EstateLockFile, e.Where)
}

// heldLock is the cluster lock a session holds, and how many of its calls use it.
type heldLock struct {
	cluster string
	users   int
	release func()
}

// Lock takes the cluster's lock for command (apply, rollback) before anything
// changes: the OS lock on a file beside the journal, which the kernel releases when
// the process dies, then the marker on the primary node, which every ssisha honours
// on any machine. It fails at once with a LockedError naming the holder. A marker left
// by a process of this machine that is gone is taken over; any other is broken only
// with Options.BreakLock. The session's later calls reuse the lock until release.
func (s *Session) Lock(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, command string) (release func(), err error) {
	s.mu.Lock()
	if h := s.lock; h != nil && strings.EqualFold(h.cluster, ans.Cluster.Name) {
		h.users++
		s.mu.Unlock()
		return s.unlocker(h), nil
	}
	s.mu.Unlock()
	c, err := s.conn(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	path, err := s.JournalFile(ans.Cluster.Name)
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	me := lockHolder(ans.Cluster.Name, command, path+".lock")
	f, err := lockLocal(path+".lock", ans.Cluster.Name, me)
	if err != nil {
		return nil, err
	}
	unlockLocal := func() {
		_ = unlockFile(f)
		_ = f.Close()
	}
	primary := ans.Primary().Host
	other, err := steps.TakeEstateLock(ctx, c.env, primary, me, s.opts.BreakLock)
	if err == nil && other != nil && staleHere(*other, me) {
		// A run of this machine left it and is gone: this one holds its OS lock now.
		other, err = steps.TakeEstateLock(ctx, c.env, primary, me, true)
	}
	if err != nil {
		unlockLocal()
		return nil, c.red.RedactError(err)
	}
	if other != nil {
		unlockLocal()
		return nil, &LockedError{Cluster: ans.Cluster.Name, Holder: *other, Where: primary}
	}
	h := &heldLock{cluster: ans.Cluster.Name, users: 1}
	h.release = func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := steps.ReleaseEstateLock(rctx, c.env, primary, me.Token); err != nil && s.opts.Warn != nil {
			s.opts.Warn(fmt.Sprintf("could not remove the lock marker %s on %s (%v); the next run takes it over from this machine, or breaks it with --break-lock", steps.EstateLockFile, primary, c.red.RedactError(err)))
		}
		unlockLocal()
	}
	s.mu.Lock()
	s.lock = h
	s.mu.Unlock()
	return s.unlocker(h), nil
}

// unlocker is the release of one use of h: the last one lets the lock go.
func (s *Session) unlocker(h *heldLock) func() {
	done := false
	return func() {
		s.mu.Lock()
		if done {
			s.mu.Unlock()
			return
		}
		done = true
		h.users--
		last := h.users == 0
		if last && s.lock == h {
			s.lock = nil
		}
		s.mu.Unlock()
		if last {
			h.release()
		}
	}
}

// LockHolder reads the marker on the primary node: who is changing the estate now,
// or nil. Read-only commands show it.
func (s *Session) LockHolder(ctx context.Context, ans *answers.Answers, sec *answers.Secrets) (*steps.LockHolder, error) {
	c, err := s.conn(ctx, ans, sec)
	if err != nil {
		return nil, err
	}
	h, err := steps.EstateLockHolder(ctx, c.env, ans.Primary().Host)
	return h, c.red.RedactError(err)
}

// lockLocal takes the OS lock on path and writes the holder into it; when another
// process holds it, it reads that holder back for the error.
func lockLocal(path, cluster string, me steps.LockHolder) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder of the lock file %s: %w; choose another place with %s", path, err, envvar.StateDir)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the lock file %s: %w; check the permissions of its folder or set %s", path, err, envvar.StateDir)
	}
	held, err := tryLockFile(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if held {
		var other steps.LockHolder
		data, _ := os.ReadFile(path)
		_ = json.Unmarshal(data, &other)
		_ = f.Close()
		return nil, &LockedError{Cluster: cluster, Holder: other, Where: path, Local: true}
	}
	data, _ := json.Marshal(me)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(data, 0)
	}
	return f, nil
}

// staleHere reports whether a marker was left by a run of this machine that is gone:
// this process holds the OS lock that run took, so that run is not running. A marker
// without a lock file is stale when its process has ended.
func staleHere(other, me steps.LockHolder) bool {
	if !strings.EqualFold(other.Host, me.Host) || !strings.EqualFold(other.Cluster, me.Cluster) {
		return false
	}
	if other.LockFile != "" {
		return other.LockFile == me.LockFile
	}
	return other.PID != me.PID && !processAlive(other.PID)
}

// lockHolder describes this process as a lock holder.
func lockHolder(cluster, command, lockFile string) steps.LockHolder {
	host, _ := os.Hostname()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return steps.LockHolder{Host: host, User: name, PID: os.Getpid(), Since: time.Now().UTC().Truncate(time.Second),
		Cluster: cluster, Command: command, LockFile: lockFile, Token: hex.EncodeToString(b)}
}

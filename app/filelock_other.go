//go:build !unix && !windows

package app

import "os"

// tryLockFile has no OS lock to take here; the estate lock still guards the estate.
func tryLockFile(*os.File) (bool, error) { return false, nil }

func unlockFile(*os.File) error { return nil }

// processAlive cannot tell here, so a marker is never taken for stale.
func processAlive(int) bool { return true }

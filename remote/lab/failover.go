package lab

import "github.com/ssisha/ssisha/remote/lab/estate"

// FailoverAG makes to the primary replica of the availability group, as a planned
// manual failover does: the catalog's data is served from to's copy of each database,
// the old primary becomes a secondary, and the AG's cluster role follows.
func (l *Lab) FailoverAG(to string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.estate.FailoverAG(to, l.nodeDown)
	if perr := l.persistLocked(false); err == nil {
		err = perr
	}
	return err
}

// FailoverMasterRole moves the master's Generic Service role to the node to: the
// service stops on the old owner and starts on to. When it cannot start there the
// role is left Failed on to, as the cluster leaves it.
func (l *Lab) FailoverMasterRole(to string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.estate.FailoverMasterRole(to, l.now(), l.nodeDown)
	if perr := l.persistLocked(false); err == nil {
		err = perr
	}
	return err
}

// Health checks the estate for what a real Scale Out HA estate needs; an empty list
// means healthy.
func (l *Lab) Health() []estate.Problem {
	l.mu.Lock()
	defer l.mu.Unlock()
	return estate.CheckHealth(l.estate)
}

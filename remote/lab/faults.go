package lab

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// FaultKind names a fault the lab can inject.
type FaultKind string

// The faults the lab injects. Unless said otherwise a fault stays until ClearFaults.
const (
	// NodeDown: the node's WinRM and TDS drop every connection.
	NodeDown FaultKind = "node-down"
	// Unreachable: the node answers After more requests, then drops every one
	// (a network that goes away in the middle of a command).
	Unreachable FaultKind = "unreachable"
	// Latency: Duration more per round trip on Host, or on every node when Host is "".
	Latency FaultKind = "latency"
	// WinRMFault: WinRM answers HTTP 500 with a w:InternalError SOAP fault; with Op,
	// only for the commands that run Op (and Op does not run).
	WinRMFault FaultKind = "winrm-fault"
	// AuthFailure: WinRM answers 401 and SQL Server error 18456 on Host.
	AuthFailure FaultKind = "auth-failure"
	// SQLReset: the TDS connection to Host is reset on the request After from now
	// (once).
	SQLReset FaultKind = "sql-reset"
	// SlowOp: Op takes Duration longer (on Host, or everywhere).
	SlowOp FaultKind = "slow-op"
	// AGFailoverAt: the AG fails over to Host just before Op next runs (once).
	AGFailoverAt FaultKind = "ag-failover-at"
	// MasterFailoverAt: the master role moves to Host just before Op next runs (once).
	MasterFailoverAt FaultKind = "master-failover-at"
)

// faultKinds lists every kind, for help texts and the fault matrix.
var faultKinds = []FaultKind{NodeDown, Unreachable, Latency, WinRMFault, AuthFailure, SQLReset, SlowOp, AGFailoverAt, MasterFailoverAt}

// parseFaultKind reads a kind as the CLI spells it.
func parseFaultKind(s string) (FaultKind, error) {
	for _, k := range faultKinds {
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("fault %q is not one the lab knows; use one of %s", s, strings.Join(FaultKindNames(), ", "))
}

// Fault is one injected fault.
type Fault struct {
	Kind FaultKind
	// Host is the node it applies to (FQDN or short name); "" means every node where
	// that makes sense (Latency, SlowOp, WinRMFault with Op).
	Host string
	// Op limits WinRMFault, SlowOp and the failover faults to one operation.
	Op string
	// After is how many more requests pass before Unreachable or SQLReset strike.
	After int
	// Duration is the extra delay of Latency and SlowOp.
	Duration time.Duration
}

// Validate says what is missing from a fault.
func (f Fault) Validate() error {
	switch f.Kind {
	case NodeDown, Unreachable, AuthFailure, SQLReset:
		if f.Host == "" {
			return fmt.Errorf("fault %s needs a host", f.Kind)
		}
	case Latency:
		if f.Duration <= 0 {
			return fmt.Errorf("fault %s needs a duration", f.Kind)
		}
	case WinRMFault:
		if f.Host == "" && f.Op == "" {
			return fmt.Errorf("fault %s needs a host, an operation or both", f.Kind)
		}
	case SlowOp:
		if f.Op == "" || f.Duration <= 0 {
			return fmt.Errorf("fault %s needs an operation and a duration", f.Kind)
		}
	case AGFailoverAt, MasterFailoverAt:
		if f.Host == "" || f.Op == "" {
			return fmt.Errorf("fault %s needs a host to fail over to and an operation", f.Kind)
		}
	default:
		_, err := parseFaultKind(string(f.Kind))
		return err
	}
	if f.After < 0 || f.Duration < 0 {
		return fmt.Errorf("fault %s: after and duration cannot be negative", f.Kind)
	}
	return nil
}

// SetFault injects f from now on. A fault that cannot apply (no host, no op) is
// refused with the reason.
func (l *Lab) SetFault(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	l.faults.add(f)
	return nil
}

// ClearFaults removes every injected fault (the counts stay, see Stats).
func (l *Lab) ClearFaults() { l.faults.clear() }

// Faults lists the faults in force.
func (l *Lab) Faults() []Fault { return l.faults.list() }

// activeFault is a fault with its countdown.
type activeFault struct {
	Fault
	remaining int
	spent     bool
}

// faultBook holds the faults in force and how often each kind struck.
type faultBook struct {
	mu     sync.Mutex
	active []*activeFault
	counts map[FaultKind]int
}

func (b *faultBook) add(f Fault) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active = append(b.active, &activeFault{Fault: f, remaining: f.After})
}

func (b *faultBook) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active = nil
}

func (b *faultBook) list() []Fault {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Fault, 0, len(b.active))
	for _, a := range b.active {
		if !a.spent {
			out = append(out, a.Fault)
		}
	}
	return out
}

func (b *faultBook) countsCopy() map[FaultKind]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[FaultKind]int, len(b.counts))
	for k, v := range b.counts {
		out[k] = v
	}
	return out
}

func (b *faultBook) resetCounts() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counts = map[FaultKind]int{}
}

// faultHostMatches compares a fault's host with a node's, FQDN or short name, any case;
// "" matches every node.
func faultHostMatches(faultHost, host string) bool {
	if faultHost == "" {
		return true
	}
	if strings.EqualFold(faultHost, host) {
		return true
	}
	return strings.EqualFold(estate.ShortName(faultHost), estate.ShortName(host))
}

// wireDecision is what the protocol servers do with one request.
type wireDecision struct {
	Delay    time.Duration
	Drop     bool // refuse or reset the connection
	Deny     bool // fail authentication
	Internal bool // WinRM answers a w:InternalError fault
}

// protocol kinds a request can be.
const (
	wireWinRM = "winrm"
	wireTDS   = "tds"
)

// onRequest decides the fate of one request to host. request is false for the TDS
// phases that are not a client request (PRELOGIN, LOGIN), which SQLReset does not
// count.
func (b *faultBook) onRequest(host, wire string, request bool) wireDecision {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d wireDecision
	for _, a := range b.active {
		if a.spent || !faultHostMatches(a.Host, host) {
			continue
		}
		switch a.Kind {
		case NodeDown:
			d.Drop = true
			b.counts[a.Kind]++
		case Unreachable:
			if a.remaining > 0 {
				a.remaining--
				continue
			}
			d.Drop = true
			b.counts[a.Kind]++
		case Latency:
			d.Delay += a.Duration
			b.counts[a.Kind]++
		case AuthFailure:
			d.Deny = true
			b.counts[a.Kind]++
		case WinRMFault:
			if wire == wireWinRM && a.Op == "" {
				d.Internal = true
				b.counts[a.Kind]++
			}
		case SQLReset:
			if wire != wireTDS || !request {
				continue
			}
			if a.remaining > 0 {
				a.remaining--
				continue
			}
			d.Drop = true
			a.spent = true
			b.counts[a.Kind]++
		}
	}
	return d
}

// opDecision is what happens around one operation.
type opDecision struct {
	Slow       time.Duration
	WinRMFault bool
	AGTo       string
	MasterTo   string
}

// beforeOp decides the faults that strike when op is about to run on host, spending
// the one-shot failovers.
func (b *faultBook) beforeOp(host, op string, winrm bool) opDecision {
	b.mu.Lock()
	defer b.mu.Unlock()
	var d opDecision
	for _, a := range b.active {
		if a.spent || a.Op != op {
			continue
		}
		switch a.Kind {
		case SlowOp:
			if faultHostMatches(a.Host, host) {
				d.Slow += a.Duration
				b.counts[a.Kind]++
			}
		case WinRMFault:
			if winrm && faultHostMatches(a.Host, host) {
				d.WinRMFault = true
				b.counts[a.Kind]++
			}
		case AGFailoverAt:
			d.AGTo = a.Host
			a.spent = true
			b.counts[a.Kind]++
		case MasterFailoverAt:
			d.MasterTo = a.Host
			a.spent = true
			b.counts[a.Kind]++
		}
	}
	return d
}

// nodeDown reports whether host is down or unreachable now, without counting a strike.
func (l *Lab) nodeDown(host string) bool {
	l.faults.mu.Lock()
	defer l.faults.mu.Unlock()
	for _, a := range l.faults.active {
		if a.spent || a.Host == "" || !faultHostMatches(a.Host, host) {
			continue
		}
		if a.Kind == NodeDown || (a.Kind == Unreachable && a.remaining == 0) {
			return true
		}
	}
	return false
}

// strike reports whether a fault of kind is in force on host, counting it as struck.
func (b *faultBook) strike(kind FaultKind, host string) bool {
	return b.match(kind, host, true)
}

// inForce reports whether a fault of kind is in force on host, without counting.
func (b *faultBook) inForce(kind FaultKind, host string) bool {
	return b.match(kind, host, false)
}

// match reports whether a fault of kind is in force on host, counting it as struck
// when count is set.
func (b *faultBook) match(kind FaultKind, host string, count bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.active {
		if !a.spent && a.Kind == kind && faultHostMatches(a.Host, host) {
			if count {
				b.counts[kind]++
			}
			return true
		}
	}
	return false
}

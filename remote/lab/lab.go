// Package lab runs a simulated Scale Out estate (package estate) so that ssisha's
// client code runs against it exactly as against a real cluster: each node serves
// real WinRM and each instance real TDS on loopback, and the listener routes to the
// primary. The runtime dispatches each script to the estate's operation table, keeps
// the lab clock, injects faults, counts what happened, and saves the state.
package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/lab/internal/krbaccept"
	"github.com/ssisha/ssisha/remote/lab/labca"
)

// Options shape a running lab.
type Options struct {
	// Dir keeps the state, the ports and the CA across restarts; "" keeps all in memory.
	Dir string
	// Seed shapes the starting estate when Dir holds no state yet.
	Seed estate.SeedOptions
	// Speed multiplies operation delays: 1 is realistic, 0 (the default) no waiting.
	Speed float64
	// Latency is added to every protocol round trip.
	Latency time.Duration
	// Encrypt is the TDS mode the instances offer: "strict" (TDS 8.0) or "tls"
	// (TLS-in-TDS, the default). Strict needs SQL Server 2022 on every instance:
	// Start refuses it on older releases, which have no TDS 8.0.
	Encrypt string
	// WinRMBasic offers Basic authentication on the nodes' WinRM listeners. Windows
	// ships with Basic off; like it, the lab offers only Negotiate and NTLM unless
	// this is set. Basic takes only each node's local administrator (LocalAdmin).
	WinRMBasic bool
	// Kerberos makes the nodes' WinRM and the instances' TDS accept tickets of a
	// Kerberos realm, as servers joined to an Active Directory domain do; nil: no
	// Kerberos. The lab runs no KDC itself (tests use package labkdc).
	Kerberos *Kerberos
	// DisableNTLM refuses NTLM on WinRM (401) and TDS (Msg 18452), as a hardened
	// domain that has turned NTLM off does.
	DisableNTLM bool
	// Faults are injected from the start (`ssisha lab --fault`).
	Faults []Fault
	// Ops is the operation table; nil is estate.NewOperations(). Tests add operations
	// of their own to a table they make with it.
	Ops *estate.Operations
}

// Kerberos is the realm whose tickets the lab's servers accept.
type Kerberos struct {
	// Realm is the Kerberos realm, e.g. CONTOSO.COM.
	Realm string
	// Keytab holds the keys of the lab's service principals: HTTP/<node> for
	// WinRM and MSSQLSvc/<node>:<port> for each instance and the listener (see
	// Lab.ServicePrincipals). It is read again when it changes, so principals can
	// be added once the lab's ports are known.
	Keytab string
}

// defaultListenerName is the listener DNS name the lab's listener endpoint answers to
// (and its certificate names) until the estate has a listener of its own.
const defaultListenerName = "ssislsn"

// Lab is a running simulated estate: the model, its WinRM and TDS endpoints on
// loopback, injected faults and counters.
type Lab struct {
	opts Options

	// mu is the estate lock: every operation, failover and health check holds it.
	mu        sync.Mutex
	estate    *estate.Estate
	secrets   map[string]string
	savedHash [32]byte
	saveErr   error

	// The lab clock runs faster than the wall clock by the inverse of Speed (at Speed
	// 0.01 a real second is 100 lab seconds), so that an operation's scaled wait and
	// the estate's own time-based behaviour (workers registering a minute after their
	// service starts, heartbeats) keep the proportions of a real estate, whoever is
	// waiting for what. clockOrigin is the lab time at wallStart; it is saved with the
	// state, so the clock never runs backwards across restarts. clockSkew adds the
	// delays that Speed 0 skips entirely.
	clockOrigin time.Time
	wallStart   time.Time
	clockSkew   atomic.Int64

	ca     *labca.CA
	caFile string
	tmpDir string
	ports  map[string]int

	servers   []closer
	endpoints Endpoints
	route     atomic.Pointer[route]
	certCache

	// ops is what the estate does for each operation a script names.
	ops *estate.Operations
	// krb verifies Kerberos tickets when Options.Kerberos is set.
	krb *krbaccept.Acceptor

	faults faultBook
	stats  statsBook
	shells shellFaults
	// inflight are the operations running on each node.
	inflight inflightBook

	closing   chan struct{}
	closeOnce sync.Once
	closeErr  error
}

type closer interface{ Close() error }

// NodeEndpoint says where one node's protocols listen.
type NodeEndpoint struct {
	Host  string // FQDN as the estate knows it
	Role  string // master | worker
	WinRM string // 127.0.0.1:port (HTTPS)
	SQL   string // 127.0.0.1:port, "" for workers
	// Instance is the SQL Server instance's name (MSSQLSERVER or a named one), "" for
	// workers.
	Instance string
}

// Endpoints are where a client reaches the lab.
type Endpoints struct {
	Nodes        []NodeEndpoint
	Listener     string // 127.0.0.1:port of the AG listener
	ListenerName string // the listener's DNS name
	CAFile       string // PEM of the lab CA
	AdminUser    string // DOMAIN\dba
}

// generatedSecrets are chosen by the lab once and kept in its state; the others are
// the estate's own account passwords.
var generatedSecrets = []string{envvar.LoggingPassword, envvar.MasterKeyPassword, envvar.PFXPassword}

// Start loads or seeds the estate, loads or creates the CA and serves every node's
// WinRM, every instance's TDS and the listener on 127.0.0.1.
func Start(opts Options) (*Lab, error) {
	switch strings.ToLower(opts.Encrypt) {
	case "":
		opts.Encrypt = "tls"
	case "tls", "strict":
		opts.Encrypt = strings.ToLower(opts.Encrypt)
	default:
		return nil, fmt.Errorf("lab: encryption mode %q is not one the lab offers; use \"tls\" or \"strict\"", opts.Encrypt)
	}
	if opts.Speed < 0 {
		return nil, fmt.Errorf("lab: speed %v is negative; use 0 (no delays) or more", opts.Speed)
	}
	if opts.Ops == nil {
		opts.Ops = estate.NewOperations()
	}
	l := &Lab{opts: opts, ops: opts.Ops, closing: make(chan struct{}), ports: map[string]int{}}
	if k := opts.Kerberos; k != nil {
		if k.Realm == "" || k.Keytab == "" {
			return nil, errors.New("lab: Kerberos needs the realm and the keytab of the lab's service principals")
		}
		l.krb = &krbaccept.Acceptor{Realm: strings.ToUpper(k.Realm), KeytabFile: k.Keytab}
	}
	l.faults.counts = map[FaultKind]int{}
	if err := l.SetFaults(opts.Faults); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l.stats.reset()
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("lab: cannot create the lab directory %s: %w", opts.Dir, err)
		}
	}
	if err := l.loadState(); err != nil {
		return nil, err
	}
	if err := l.checkStrict(); err != nil {
		return nil, err
	}
	l.wallStart = time.Now()
	if l.clockOrigin.Before(l.wallStart) {
		l.clockOrigin = l.wallStart
	}
	if err := l.loadCA(); err != nil {
		l.cleanupTemp()
		return nil, err
	}
	if err := l.loadPorts(); err != nil {
		l.cleanupTemp()
		return nil, err
	}
	if err := l.startServers(); err != nil {
		l.stopServers()
		l.cleanupTemp()
		return nil, err
	}
	if err := l.savePorts(); err != nil {
		l.stopServers()
		l.cleanupTemp()
		return nil, err
	}
	l.mu.Lock()
	err := l.persistLocked(true)
	l.mu.Unlock()
	if err != nil {
		l.stopServers()
		l.cleanupTemp()
		return nil, err
	}
	return l, nil
}

// loadCA reads the lab CA from Dir, or creates it (and writes it to Dir, or to a
// temporary directory when the lab keeps nothing).
func (l *Lab) loadCA() error {
	dir := l.opts.Dir
	if dir != "" {
		certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
		if _, err := os.Stat(certFile); err == nil {
			ca, err := labca.Load(certFile, keyFile)
			if err != nil {
				return fmt.Errorf("lab: the CA in %s cannot be read (%w); delete ca.pem and ca-key.pem to make a new one", dir, err)
			}
			l.ca, l.caFile = ca, certFile
			return nil
		}
	}
	ca, err := labca.New("ssisha lab CA")
	if err != nil {
		return err
	}
	l.ca = ca
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ssisha-lab-")
		if err != nil {
			return fmt.Errorf("lab: cannot create a temporary directory for the CA file: %w", err)
		}
		l.tmpDir = tmp
		l.caFile = filepath.Join(tmp, "ca.pem")
		return os.WriteFile(l.caFile, ca.PEM(), 0o644)
	}
	l.caFile = filepath.Join(dir, "ca.pem")
	if err := ca.Save(l.caFile, filepath.Join(dir, "ca-key.pem")); err != nil {
		return fmt.Errorf("lab: cannot save the CA in %s: %w", dir, err)
	}
	return nil
}

func (l *Lab) cleanupTemp() {
	if l.tmpDir != "" {
		_ = os.RemoveAll(l.tmpDir)
	}
}

// Close stops every server, wakes waiting operations and saves the state.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		close(l.closing)
		l.stopServers()
		l.mu.Lock()
		err := l.persistLocked(false)
		l.mu.Unlock()
		l.cleanupTemp()
		l.closeErr = err
	})
	return l.closeErr
}

func (l *Lab) stopServers() {
	var errs []error
	for i := len(l.servers) - 1; i >= 0; i-- {
		if err := l.servers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	l.servers = nil
	_ = errors.Join(errs...)
}

// Endpoints says where each node, instance and the listener listen.
func (l *Lab) Endpoints() Endpoints {
	ep := l.endpoints
	ep.Nodes = append([]NodeEndpoint(nil), l.endpoints.Nodes...)
	l.mu.Lock()
	ep.ListenerName = l.listenerNameLocked()
	l.mu.Unlock()
	return ep
}

// listenerNameLocked is the estate's listener name, or the default before it exists.
func (l *Lab) listenerNameLocked() string {
	if ag := l.estate.AG; ag != nil && ag.Listener != nil && ag.Listener.DNSName != "" {
		return ag.Listener.DNSName
	}
	return defaultListenerName
}

// Secrets returns the values ssisha's SSISHA_* secret variables need against this lab.
func (l *Lab) Secrets() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.secretsLocked()
}

func (l *Lab) secretsLocked() map[string]string {
	pw := func(user string) string {
		if a := l.estate.Accounts[strings.ToLower(l.estate.Domain+`\`+user)]; a != nil {
			return a.Password
		}
		return ""
	}
	out := map[string]string{
		envvar.WinRMPassword:         pw(estate.AdminAccount),
		envvar.SQLPassword:           pw(estate.AdminAccount),
		envvar.MasterAccountPassword: pw(estate.MasterServiceAccount),
		envvar.WorkerAccountPassword: pw(estate.WorkerServiceAccount),
	}
	for _, k := range generatedSecrets {
		out[k] = l.secrets[k]
	}
	return out
}

// ExportedPFX returns the PFXs (base64) the nodes have exported so far: secrets
// ssisha carries between nodes that no output, journal or log may show.
func (l *Lab) ExportedPFX() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.estate.ExportedPFX)
}

// Estate runs fn with the estate locked; fn must not keep the pointer.
func (l *Lab) Estate(fn func(e *estate.Estate)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fn(l.estate)
	if err := l.persistLocked(false); err != nil {
		l.saveErr = err
	}
}

// SaveError reports the last failure to save the state, or nil.
func (l *Lab) SaveError() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.saveErr
}

// clockRate is how many lab seconds pass in a wall second.
func (l *Lab) clockRate() float64 {
	if l.opts.Speed > 0 {
		return 1 / l.opts.Speed
	}
	return 1000
}

// now is the lab clock.
func (l *Lab) now() time.Time {
	elapsed := time.Duration(float64(time.Since(l.wallStart)) * l.clockRate())
	return l.clockOrigin.Add(elapsed + time.Duration(l.clockSkew.Load()))
}

// sleeper returns the OpContext sleep of an operation running on host: it scales the
// delay, charges it to the node, and waits with the estate lock released.
func (l *Lab) sleeper(host string, ctx interface{ Done() <-chan struct{} }) func(time.Duration) {
	return func(d time.Duration) {
		scaled := time.Duration(float64(d) * l.opts.Speed)
		if scaled <= 0 {
			l.clockSkew.Add(int64(d))
		}
		l.stats.busy(host, scaled)
		if scaled <= 0 {
			return
		}
		l.mu.Unlock()
		defer l.mu.Lock()
		l.wait(ctx, scaled)
	}
}

// wait blocks for d, or until the request is abandoned or the lab closes.
func (l *Lab) wait(ctx interface{ Done() <-chan struct{} }, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	var done <-chan struct{}
	if ctx != nil {
		done = ctx.Done()
	}
	select {
	case <-t.C:
	case <-done:
	case <-l.closing:
	}
}

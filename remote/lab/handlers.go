package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/lab/tds"
	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/sqlversion"
)

// endpointServer is what the lab needs of a protocol server.
type endpointServer interface {
	Start(addr string) error
	Addr() string
	Close() error
}

// listenerKey names the listener endpoint in ports.json.
const listenerKey = "listener"

// startServers serves every node's WinRM, every instance's TDS and the listener.
func (l *Lab) startServers() error {
	type nodeInfo struct {
		host, role, version, instance string
		sql                           bool
	}
	l.mu.Lock()
	domain := l.estate.Domain
	var nodes []nodeInfo
	for _, h := range l.estate.SortedHosts() {
		n := l.estate.Nodes[h]
		ni := nodeInfo{host: h, role: n.Role, sql: n.SQL != nil}
		if n.SQL != nil {
			ni.version, ni.instance = n.SQL.Version, n.SQL.Name
		}
		nodes = append(nodes, ni)
	}
	l.refreshRouteLocked()
	l.mu.Unlock()

	ep := Endpoints{CAFile: l.caFile, AdminUser: domain + `\` + estate.AdminAccount}
	sqlVersion := ""
	for _, n := range nodes {
		cert, err := l.ca.Issue(n.host, estate.ShortName(n.host))
		if err != nil {
			return fmt.Errorf("lab: certificate for %s: %w", n.host, err)
		}
		host := n.host
		winrmAddr, err := l.listen("winrm/"+host, func() endpointServer {
			return wsman.NewServer(wsman.Options{
				Host:        host,
				TLS:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
				Domain:      domain,
				PasswordFor: l.winrmPassword(host),
				Handler:     l.winrmHandler(host),
				Fault:       l.winrmFault(host),
				OnRequest:   func(wsman.RequestInfo) { l.stats.winrmRequest(host) },

				DisableBasic: !l.opts.WinRMBasic, // off unless enabled, as Windows ships
				DisableNTLM:  l.opts.DisableNTLM,
				Kerberos:     l.krb,
			})
		})
		if err != nil {
			return err
		}
		ne := NodeEndpoint{Host: host, Role: n.role, WinRM: winrmAddr, Instance: n.instance}
		if n.sql {
			if sqlVersion == "" {
				sqlVersion = n.version
			}
			version := n.version
			ne.SQL, err = l.listen("sql/"+host, func() endpointServer {
				return tds.NewServer(l.tdsOptions(host, false, version, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
			})
			if err != nil {
				return err
			}
		}
		ep.Nodes = append(ep.Nodes, ne)
	}
	var err error
	ep.Listener, err = l.listen(listenerKey, func() endpointServer {
		return tds.NewServer(l.tdsOptions("", true, sqlVersion, &tls.Config{GetCertificate: l.listenerCertificate, MinVersion: tls.VersionTLS12}))
	})
	if err != nil {
		return err
	}
	l.endpoints = ep
	return nil
}

// listen starts a server on its remembered port, or on a new one when that port is
// taken now, and remembers where it listens.
func (l *Lab) listen(key string, newServer func() endpointServer) (string, error) {
	s := newServer()
	err := s.Start(net.JoinHostPort("127.0.0.1", strconv.Itoa(l.ports[key])))
	if err != nil && l.ports[key] != 0 {
		s = newServer()
		err = s.Start("127.0.0.1:0")
	}
	if err != nil {
		return "", fmt.Errorf("lab: cannot listen for %s on 127.0.0.1: %w", key, err)
	}
	l.servers = append(l.servers, s)
	addr := s.Addr()
	if _, p, err := net.SplitHostPort(addr); err == nil {
		l.ports[key], _ = strconv.Atoi(p)
	}
	return addr, nil
}

// listenerCertificate issues the listener's certificate for the name it has now, so
// that a client verifying the listener's name succeeds once the listener exists
// under that name.
func (l *Lab) listenerCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	l.mu.Lock()
	name := strings.ToLower(l.listenerNameLocked())
	suffix := l.estate.DNSSuffix
	l.mu.Unlock()
	l.certMu.Lock()
	defer l.certMu.Unlock()
	if c, ok := l.listenerCerts[name]; ok {
		return c, nil
	}
	names := []string{estate.ShortName(name)}
	if strings.Contains(name, ".") {
		names = append(names, name)
	} else if suffix != "" {
		names = append(names, name+"."+suffix)
	}
	c, err := l.ca.Issue(names...)
	if err != nil {
		return nil, err
	}
	if l.listenerCerts == nil {
		l.listenerCerts = map[string]*tls.Certificate{}
	}
	l.listenerCerts[name] = &c
	return &c, nil
}

// winrmPassword lets in the node's administrators: the domain's admin account and
// the node's local administrator.
func (l *Lab) winrmPassword(host string) func(string) (string, bool) {
	return func(user string) (string, bool) {
		if l.faults.strike(AuthFailure, host) {
			return "", false
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if local, pw := l.localAdminLocked(host); strings.EqualFold(user, local) {
			return pw, true
		}
		name := l.estate.QualifyAccount(user)
		if !strings.EqualFold(name, l.estate.Domain+`\`+estate.AdminAccount) {
			return "", false
		}
		a := l.estate.Accounts[strings.ToLower(name)]
		if a == nil || !a.Enabled {
			return "", false
		}
		return a.Password, true
	}
}

func (l *Lab) winrmHandler(host string) wsman.Handler {
	return func(ctx context.Context, user string, cmd wsman.Command) wsman.Result {
		o := l.runCommand(ctx, host, user, cmd)
		r := wsman.Result{Stdout: o.Stdout, ExitCode: o.Exit}
		if o.ErrorMsg != "" {
			r.Stderr = wsman.CLIXMLError(o.errorView())
		}
		return r
	}
}

func (l *Lab) winrmFault(host string) func(wsman.RequestInfo) *wsman.Fault {
	return func(info wsman.RequestInfo) *wsman.Fault {
		d := l.faults.onRequest(host, wireWinRM, true)
		f := &wsman.Fault{Delay: l.opts.Latency + d.Delay}
		switch {
		case d.Drop:
			f.Drop = true
		case d.Deny:
			f.Status, f.Subcode, f.Reason = 401, "w:AccessDenied", "Access is denied."
		case d.Internal || (info.Action == "Receive" && info.ShellID != "" && l.shells.take(info.ShellID)):
			f.Status, f.Subcode = 500, "w:InternalError"
			f.Reason = "The WS-Management service cannot process the request because of an internal error (injected by the ssisha lab)."
		case f.Delay <= 0:
			return nil
		}
		return f
	}
}

// tdsOptions configures the TDS endpoint of host's instance, or of the listener.
func (l *Lab) tdsOptions(host string, viaListener bool, version string, cfg *tls.Config) tds.Options {
	name := strings.ToUpper(estate.ShortName(host))
	if viaListener {
		name = strings.ToUpper(defaultListenerName)
	}
	l.mu.Lock()
	domain := l.estate.Domain
	l.mu.Unlock()
	return tds.Options{
		ServerName:  name,
		Version:     version,
		TLS:         cfg,
		Strict:      l.opts.Encrypt == "strict",
		NoTDS8:      !hasTDS8(version),
		Domain:      domain,
		DisableNTLM: l.opts.DisableNTLM,
		Kerberos:    l.krb,
		HostNames:   l.sqlHostNames(host, viaListener),
		PasswordFor: l.sqlPassword(host, viaListener),
		Handler:     l.sqlHandler(host, viaListener),
		Fault:       l.sqlFault(host, viaListener),
		OnRoundTrip: func() {
			if t := l.routeTarget(host, viaListener); t != "" {
				l.stats.tdsRoundTrip(t)
			}
		},
	}
}

// hasTDS8 says whether the release of a product version (e.g. 16.0.4135.4) speaks
// TDS 8.0 (sqlversion.Release.StrictTDS).
func hasTDS8(version string) bool {
	r, ok := sqlversion.ByMajor(majorOf(version))
	return ok && r.StrictTDS
}

// majorOf is the first number of a product version, 0 when there is none.
func majorOf(version string) int {
	major, _, _ := strings.Cut(version, ".")
	n, _ := strconv.Atoi(major)
	return n
}

// checkStrict refuses strict encryption on an estate with an instance whose release
// has no TDS 8.0: such an instance closes every TLS-first connection.
func (l *Lab) checkStrict() error {
	if l.opts.Encrypt != "strict" {
		return nil
	}
	for _, h := range l.estate.SortedHosts() {
		in := l.estate.Nodes[h].SQL
		if in == nil || hasTDS8(in.Version) {
			continue
		}
		name := in.Version
		if r, ok := sqlversion.ByMajor(majorOf(in.Version)); ok {
			name = "SQL Server " + r.Name
		}
		first, _ := sqlversion.FirstStrictTDS()
		return fmt.Errorf("lab: encryption mode strict is TDS 8.0, which %s on %s does not speak (SQL Server %s is the first); seed SQL Server %s or use \"tls\"", name, h, first.Name, first.Name)
	}
	return nil
}

// sqlHostNames are the names a client knows an instance by, short and full, for
// its Kerberos SPNs; the listener's follow the listener's name as it is now.
func (l *Lab) sqlHostNames(host string, viaListener bool) func() []string {
	return func() []string {
		name := host
		l.mu.Lock()
		if viaListener {
			name = l.listenerNameLocked()
			if !strings.Contains(name, ".") && l.estate.DNSSuffix != "" {
				name += "." + l.estate.DNSSuffix
			}
		}
		l.mu.Unlock()
		return []string{strings.ToLower(name), strings.ToLower(estate.ShortName(name))}
	}
}

// sqlPassword gives the password of a login the instance would accept: a SQL login
// (with mixed mode on) or a domain account that has a Windows login there.
func (l *Lab) sqlPassword(host string, viaListener bool) func(string, bool) (string, bool) {
	return func(user string, windows bool) (string, bool) {
		target := l.routeTarget(host, viaListener)
		if target == "" || l.faults.strike(AuthFailure, target) {
			return "", false
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		n := l.estate.Node(target)
		if n == nil || n.SQL == nil {
			return "", false
		}
		if l.estate.CheckLogin(n.SQL, user, windows) != nil {
			return "", false
		}
		if windows {
			a := l.estate.Accounts[strings.ToLower(l.estate.QualifyAccount(user))]
			if a == nil || !a.Enabled {
				return "", false
			}
			return a.Password, true
		}
		return n.SQL.Logins[strings.ToLower(user)].Password, true
	}
}

func (l *Lab) sqlHandler(host string, viaListener bool) tds.Handler {
	return func(ctx context.Context, s *tds.Session, req tds.Request) (*script.ResultSet, error) {
		if t := l.routeTarget(host, viaListener); t != "" && l.faults.inForce(AuthFailure, t) {
			return nil, &tds.Error{Number: 18456, State: 1, Class: 14, Message: fmt.Sprintf("Login failed for user '%s'.", s.User)}
		}
		rs, err := l.runSQL(ctx, host, viaListener, sqlSession{User: s.User, Windows: s.Windows}, req.Text, req.Params)
		var se *estate.SQLError
		if errors.As(err, &se) {
			return nil, &tds.Error{Number: se.Number, State: se.State, Class: se.Class, Message: se.Message}
		}
		return rs, err
	}
}

// sqlFault drops connections to a node that is down or whose instance is stopped,
// and to the listener while it does not exist, like a name that does not resolve.
func (l *Lab) sqlFault(host string, viaListener bool) func(string) *tds.Fault {
	return func(phase string) *tds.Fault {
		target := l.routeTarget(host, viaListener)
		if target == "" || l.routeSQLDown(target) {
			return &tds.Fault{Reset: true}
		}
		d := l.faults.onRequest(target, wireTDS, phase == "request")
		f := &tds.Fault{Delay: l.opts.Latency + d.Delay, Reset: d.Drop}
		if !f.Reset && f.Delay <= 0 {
			return nil
		}
		return f
	}
}

// route is a snapshot of where T-SQL goes, refreshed whenever the estate is saved,
// so that the protocol hooks never wait for a running operation.
type route struct {
	primary string          // lower-case host behind the listener, "" when none
	sqlDown map[string]bool // instances that are not running
}

func (l *Lab) refreshRouteLocked() {
	r := &route{sqlDown: map[string]bool{}}
	e := l.estate
	if e.AG != nil && e.AG.Listener != nil {
		r.primary = strings.ToLower(e.AG.Primary)
	}
	for h, n := range e.Nodes {
		if n.SQL != nil && !n.SQL.Running {
			r.sqlDown[h] = true
		}
	}
	l.route.Store(r)
}

// routeTarget is the node answering T-SQL for host, or for the listener.
func (l *Lab) routeTarget(host string, viaListener bool) string {
	if !viaListener {
		return strings.ToLower(host)
	}
	if r := l.route.Load(); r != nil {
		return r.primary
	}
	return ""
}

func (l *Lab) routeSQLDown(host string) bool {
	r := l.route.Load()
	return r != nil && r.sqlDown[strings.ToLower(host)]
}

// certCache holds the listener certificates issued so far, by name.
type certCache struct {
	certMu        sync.Mutex
	listenerCerts map[string]*tls.Certificate
}

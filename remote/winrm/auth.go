package winrm

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ssisha/ssisha/remote"
)

// Auth methods WinRMOptions.Auth accepts, as package remote names them.
const (
	AuthNTLM        = remote.WinRMAuthNTLM
	AuthKerberos    = remote.WinRMAuthKerberos
	AuthBasic       = remote.WinRMAuthBasic
	AuthCertificate = remote.WinRMAuthCertificate
)

// settings are the options checked once, shared by every node.
type settings struct {
	auth      string
	https     bool
	tls       *tls.Config // without ServerName; each node sets its own
	user      string
	password  string
	kerberos  *kerberosAuth
	timeout   time.Duration
	maxPerSh  int
	opTimeout string
}

// checkOptions validates the WinRM options and loads the files they name. Problems
// name the answer-file field to fix.
func checkOptions(o remote.WinRMOptions, warn func(string)) (*settings, error) {
	s := &settings{auth: strings.ToLower(strings.TrimSpace(o.Auth)), https: o.HTTPS,
		user: o.User, password: o.Password.Reveal(), timeout: o.Timeout, maxPerSh: o.MaxCommandsPerShell}
	if s.auth == "" {
		s.auth = AuthNTLM
	}
	if s.timeout <= 0 {
		s.timeout = 2 * time.Minute
	}
	if s.maxPerSh <= 0 {
		s.maxPerSh = 100
	}
	op := min(60*time.Second, s.timeout-5*time.Second)
	if op < time.Second {
		op = time.Second
	}
	s.opTimeout = fmt.Sprintf("PT%dS", int(op/time.Second))

	if !o.HTTPS {
		warn("WinRM runs over plain HTTP: traffic between this machine and the nodes is not protected by TLS; set connection.winrm.https: true for production")
	}
	if o.HTTPS {
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		if o.Insecure {
			s.tls.InsecureSkipVerify = true
			warn("WinRM certificate verification is off (connection.winrm.insecure): anyone on the path can impersonate the nodes; give a caFile instead")
		}
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("connection.winrm.caFile: cannot read %s: %w; give the path of the PEM file of the CA that issued the nodes' WinRM certificates", o.CAFile, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("connection.winrm.caFile: %s holds no PEM certificate; export the CA certificate as Base-64 (PEM)", o.CAFile)
			}
			s.tls.RootCAs = pool
		}
	}
	switch s.auth {
	case AuthNTLM:
		if o.User == "" {
			return nil, fmt.Errorf("connection.winrm.user: NTLM needs a user (DOMAIN\\user); set it or choose kerberos")
		}
	case AuthBasic:
		if o.User == "" {
			return nil, fmt.Errorf("connection.winrm.user: Basic needs a user; set it")
		}
		if !o.HTTPS && !o.AllowBasicOverHTTP {
			return nil, fmt.Errorf("connection.winrm.auth: Basic over plain HTTP sends the password in clear text, so it is refused; use HTTPS, NTLM or Kerberos, or allow it explicitly (allowBasicOverHTTP)")
		}
		if !o.HTTPS {
			warn("WinRM Basic authentication over plain HTTP: the password crosses the network in clear text")
		}
	case AuthCertificate:
		if !o.HTTPS {
			return nil, fmt.Errorf("connection.winrm.auth: certificate authentication works only over HTTPS; set connection.winrm.https: true")
		}
		if o.CertFile == "" || o.KeyFile == "" {
			return nil, fmt.Errorf("connection.winrm.certFile/keyFile: certificate authentication needs both the client certificate and its key (PEM)")
		}
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("connection.winrm.certFile/keyFile: cannot load %s and %s: %w", o.CertFile, o.KeyFile, err)
		}
		s.tls.Certificates = []tls.Certificate{cert}
	case AuthKerberos:
		k, err := newKerberosAuth(o)
		if err != nil {
			return nil, err
		}
		s.kerberos = k
	default:
		return nil, fmt.Errorf("connection.winrm.auth: %q is not an auth method; use %s", o.Auth, remote.ChoiceList(remote.WinRMAuthModes()))
	}
	return s, nil
}

// newTransport builds the transport of one shell of ep: a connection of its own for
// commands and their output, and side for Signals and Sends (a new one when nil).
func (s *settings) newTransport(ep remote.Endpoint, requests *atomic.Int64, side func(*http.Request) (*http.Response, error)) *transport {
	addr := ep.WinRMAddress
	if addr == "" {
		addr = ep.Host
	}
	port := ep.WinRMPort
	if port == 0 {
		port = 5985
		if s.https {
			port = 5986
		}
	}
	scheme := "http"
	if s.https {
		scheme = "https"
	}
	t := &transport{
		host:           ep.Host,
		url:            fmt.Sprintf("%s://%s/wsman", scheme, net.JoinHostPort(addr, fmt.Sprint(port))),
		requests:       requests,
		cleanupTimeout: min(s.timeout, 30*time.Second),
	}
	// Commands travel on one connection, and the Signals that release them and the
	// Sends that feed their stdin on another: a release runs in the background while
	// the next command starts, a Send must not queue behind the command's pending
	// Receive, and NTLM authenticates a connection, not a request, so its handshake
	// must never be spread over two connections.
	t.do = s.doer(ep, requests)
	t.side = side
	if side == nil {
		t.side = s.doer(ep, requests)
	}
	return t
}

// doer returns a function that sends one authenticated request to ep over a single
// kept-alive connection.
func (s *settings) doer(ep remote.Endpoint, requests *atomic.Int64) func(*http.Request) (*http.Response, error) {
	base := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 30 * time.Second,
	}
	if s.https {
		cfg := s.tls.Clone()
		// Certificates name the node, not the address we may connect by.
		cfg.ServerName = ep.Host
		base.TLSClientConfig = cfg
	}
	counted := countingRoundTripper{rt: base, n: requests}
	switch s.auth {
	case AuthBasic, AuthNTLM:
		var rt http.RoundTripper = counted
		if s.auth == AuthNTLM {
			// The negotiator turns the Basic credentials set below into the NTLM
			// handshake; they never leave as Basic.
			rt = newNTLMConn(counted)
		}
		hc := &http.Client{Transport: rt}
		return func(r *http.Request) (*http.Response, error) {
			r.SetBasicAuth(s.user, s.password)
			return hc.Do(r)
		}
	case AuthCertificate:
		hc := &http.Client{Transport: counted}
		return func(r *http.Request) (*http.Response, error) {
			r.Header.Set("Authorization", "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual")
			return hc.Do(r)
		}
	default:
		return s.kerberos.doer(&http.Client{Transport: counted}, "HTTP/"+ep.Host)
	}
}

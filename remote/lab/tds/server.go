// Package tds is the lab's SQL Server endpoint: a TDS server on loopback that
// go-mssqldb accepts unchanged (PRELOGIN, TLS in TDS and TDS 8.0 strict, LOGIN7
// with SQL or NTLM logins, SQLBatch, RPC sp_executesql, attention), and that hands
// every request to a Handler which plays the instance.
package tds

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssisha/ssisha/remote/lab/internal/krbaccept"
	"github.com/ssisha/ssisha/remote/script"
)

// Request is one client request: a SQLBatch, or an RPC.
type Request struct {
	Text   string         // SQLBatch text, or the sp_executesql statement
	Params map[string]any // sp_executesql parameters by name without '@': string, int64, bool, []byte, float64, time.Time, nil
	RPC    bool
}

// Session is what the client's login established.
type Session struct {
	User           string // SQL login name, or DOMAIN\user for Windows (NTLM) logins
	Windows        bool
	Database       string // from LOGIN7, may be ""
	Encrypted      bool
	ReadOnlyIntent bool
}

// Handler answers one request; ctx is cancelled when the client sends attention.
type Handler func(ctx context.Context, s *Session, req Request) (*script.ResultSet, error)

// Error is a SQL Server error a handler returns; it reaches the client as an ERROR
// token with these fields. Any other error becomes number 50000, class 16.
type Error struct {
	Number       int32
	State, Class uint8
	Message      string
}

// Error formats the error the way SQL Server tools print it.
func (e *Error) Error() string {
	return fmt.Sprintf("Msg %d, Level %d, State %d: %s", e.Number, e.Class, e.State, e.Message)
}

// Fault is an injected misbehaviour for one phase of a connection.
type Fault struct {
	Delay time.Duration
	Reset bool // close the connection
}

// Options configures a Server.
type Options struct {
	ServerName string      // shown in tokens (e.g. NODE1)
	Version    string      // ProductVersion for LOGINACK, e.g. 15.0.4345.5
	TLS        *tls.Config // nil: the server does not support encryption (PRELOGIN NOT_SUP)
	Strict     bool        // TDS 8.0: TLS first on the TCP connection (ALPN tds/8.0)
	// NoTDS8 plays a release before SQL Server 2022, which has no TDS 8.0: a
	// TLS-first connection is read as a malformed packet and closed unanswered.
	NoTDS8            bool
	RequireEncryption bool   // answer ENCRYPT_REQ
	Domain            string // NetBIOS domain for the NTLM CHALLENGE
	// DisableNTLM refuses Windows logins over NTLM, as an instance in a domain
	// that has NTLM turned off does (Msg 18452).
	DisableNTLM bool
	// Kerberos, when set, accepts Windows logins with a Kerberos ticket (raw or
	// in SPNEGO) for MSSQLSvc/<name>:<port> or MSSQLSvc/<name>, for the names
	// HostNames returns and the port the client connected to.
	Kerberos  *krbaccept.Acceptor
	HostNames func() []string
	// PasswordFor verifies SQL logins and NTLMv2 proofs; nil accepts every login.
	PasswordFor func(user string, windows bool) (password string, ok bool)
	Handler     Handler
	Fault       func(phase string) *Fault // phase: "login" | "request"; optional
	OnRoundTrip func()                    // optional: called once per client request message
}

// Server is one SQL Server instance's TDS endpoint.
type Server struct {
	opts    Options
	handler atomic.Pointer[Handler]

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool
}

// NewServer returns a server that is not listening yet.
func NewServer(opts Options) *Server {
	if opts.ServerName == "" {
		opts.ServerName = "LAB"
	}
	if opts.Version == "" {
		opts.Version = "15.0.4345.5"
	}
	s := &Server{opts: opts, conns: map[net.Conn]struct{}{}}
	if opts.Handler != nil {
		s.SetHandler(opts.Handler)
	}
	return s
}

// SetHandler swaps the handler; requests already running finish with the old one.
func (s *Server) SetHandler(h Handler) { s.handler.Store(&h) }

// Start listens on addr (host:port; port 0 picks one) and serves in the background.
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return fmt.Errorf("tds: server %s is already listening on %s", s.opts.ServerName, s.ln.Addr())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("tds: server %s cannot listen on %s: %w", s.opts.ServerName, addr, err)
	}
	s.ln = ln
	s.closed = false
	s.wg.Add(1)
	go s.accept(ln)
	return nil
}

// Addr is the address the server listens on, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops listening, drops every connection and waits for them to end. The
// server may be started again afterwards.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, nc)
				s.mu.Unlock()
				_ = nc.Close()
			}()
			c := &conn{srv: s, nc: nc, size: defaultPacketSize}
			_ = c.serve()
		}()
	}
}

// currentHandler returns the handler in force now.
func (s *Server) currentHandler() Handler {
	if p := s.handler.Load(); p != nil {
		return *p
	}
	return nil
}

// fault asks the Fault hook about phase, waits out its delay, and reports whether
// the connection must be dropped.
func (s *Server) fault(phase string, done <-chan struct{}) (reset bool) {
	if s.opts.Fault == nil {
		return false
	}
	f := s.opts.Fault(phase)
	if f == nil {
		return false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-done:
			t.Stop()
			return true
		}
	}
	return f.Reset
}

// Package wsman is the lab's WS-Management server: it speaks the WinRS shell
// protocol (Create, Command, Send, Receive, Signal, Delete) over HTTP or HTTPS with
// Basic and NTLM authentication, exactly as masterzen/winrm expects from Windows,
// and hands each command to a Handler that plays the node.
package wsman

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote/lab/internal/krbaccept"
)

const contentType = "application/soap+xml;charset=UTF-8"

// MaxShellsPerUser is the WinRS default quota of concurrent shells per user; one
// more Create gets a w:QuotaLimit fault.
const MaxShellsPerUser = 30

// Command is one command line run in a shell.
type Command struct {
	ShellID, CommandID string
	// CommandLine is the command line as received (command and arguments).
	CommandLine string
	// Script is the PowerShell text when the command runs PowerShell (the decoded
	// -EncodedCommand, the script a bootstrap carries or read from stdin, or the
	// uploaded -File script), else "".
	Script string
	// ScriptOnStdin says Script came on stdin (a stdin bootstrap): it was on no
	// command line and in no file; Stdin is then what followed it.
	ScriptOnStdin bool
	// File is the uploaded script file the command runs with -File, else "". Its
	// content was on the node's disk, under the user's %TEMP%.
	File string
	// Stdin is what the client sends with Send; it ends when the client sends End.
	Stdin io.Reader
	// ConsoleStdin is WINRS_CONSOLEMODE_STDIN: the process's stdin is a console, not
	// a pipe. Clients that feed a command's stdin turn it off.
	ConsoleStdin bool
}

// Result is what a command printed and its exit code.
type Result struct {
	Stdout, Stderr []byte
	ExitCode       int
}

// Handler plays the node: it runs one command for user (DOMAIN\user as
// authenticated). ctx is cancelled on Signal terminate or Delete.
type Handler func(ctx context.Context, user string, cmd Command) Result

// Fault is an injected failure for one request.
type Fault struct {
	// Delay is waited before answering.
	Delay time.Duration
	// Status is the HTTP status to answer with (with a SOAP fault body when >= 400).
	Status int
	// Subcode and Reason are the SOAP fault subcode (e.g. "w:InternalError",
	// "w:QuotaLimit") and text.
	Subcode, Reason string
	// Drop closes the connection without answering.
	Drop bool
}

// RequestInfo describes one HTTP request, for fault injection and counting.
type RequestInfo struct {
	// Action is Create, Command, Send, Receive, Signal or Delete.
	Action  string
	User    string
	ShellID string
}

// Options configure a Server.
type Options struct {
	// Host is the node's name.
	Host string
	// TLS serves HTTPS when set, plain HTTP when nil.
	TLS *tls.Config
	// Domain is the NetBIOS domain put in the NTLM CHALLENGE TargetName and given
	// to users who name none.
	Domain string
	// PasswordFor returns the password of user (DOMAIN\user); it verifies Basic and
	// NTLMv2 so a wrong password gets 401.
	PasswordFor func(user string) (password string, ok bool)
	// DisableBasic turns Basic off. When on, Basic takes only the node's local
	// accounts (HOST\user, .\user, or a user naming no domain), as WinRM does; a
	// domain account gets 401 whatever its password.
	DisableBasic bool
	// DisableNTLM turns NTLM off, raw or wrapped in SPNEGO, as a hardened domain
	// does.
	DisableNTLM bool
	// Kerberos, when set, accepts Kerberos tickets for HTTP/<Host> and
	// WSMAN/<Host> (short or full name) on Negotiate and Kerberos, raw or wrapped
	// in SPNEGO; the account must be one PasswordFor knows.
	Kerberos *krbaccept.Acceptor
	// Handler runs the commands.
	Handler Handler
	// Fault optionally injects a failure into a request; nil means none.
	Fault func(RequestInfo) *Fault
	// OnRequest optionally observes every HTTP request (benchmarks count round trips).
	OnRequest func(RequestInfo)
	// MaxCommandLine is the longest command line accepted; 0 means 8191, cmd.exe's limit.
	MaxCommandLine int
	// PollTimeout, when set, is how long Receive waits for output before a
	// w:TimedOut fault whatever the client asks (tests use it to see timeouts
	// quickly); 0 honours the client's w:OperationTimeout, as Windows does, and
	// waits 60s when the client names none.
	PollTimeout time.Duration
}

// Server is one node's WinRM listener.
type Server struct {
	opts Options
	http *http.Server
	ln   net.Listener
	ctx  context.Context // cancelled by Close: ends every running command
	stop context.CancelFunc

	mu     sync.Mutex
	shells map[string]*shell
	files  map[string][]byte // user|path -> content, the nodes' %TEMP% files
}

type connKey struct{}

// NewServer returns a server that is not yet listening.
func NewServer(opts Options) *Server {
	if opts.MaxCommandLine <= 0 {
		opts.MaxCommandLine = 8191
	}
	if opts.Handler == nil {
		opts.Handler = func(context.Context, string, Command) Result {
			return Result{Stderr: CLIXMLError("The lab node has no handler."), ExitCode: 1}
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{opts: opts, ctx: ctx, stop: stop, shells: map[string]*shell{}, files: map[string][]byte{}}
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		// Clients that reject the lab's certificate are expected in tests; their
		// handshake errors are not news.
		ErrorLog: log.New(io.Discard, "", 0),
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connState{})
		},
	}
	return s
}

// Start listens on addr (for example "127.0.0.1:0") and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if s.opts.TLS != nil {
		ln = tls.NewListener(ln, s.opts.TLS)
	}
	s.ln = ln
	go func() { _ = s.http.Serve(ln) }()
	return nil
}

// Addr is the host:port actually bound.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops listening, ends every running command and drops every shell.
func (s *Server) Close() error {
	s.stop()
	err := s.http.Close()
	s.mu.Lock()
	for id, sh := range s.shells {
		sh.terminate()
		delete(s.shells, id)
	}
	s.mu.Unlock()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return
	}
	req, action, perr := parseRequest(body)
	info := RequestInfo{Action: action}
	if req != nil {
		info.ShellID = req.shellID()
	}
	cs, _ := r.Context().Value(connKey{}).(*connState)
	if cs == nil {
		cs = &connState{}
	}
	if action == "Identify" && strings.EqualFold(r.Header.Get("WSMANIDENTIFY"), "unauthenticated") {
		s.reply(w, http.StatusOK, identifyResponse(false))
		return
	}
	user := s.authenticate(w, r, cs)
	info.User = user
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(info)
	}
	if user == "" {
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/wsman" {
		s.reply(w, http.StatusNotFound, faultEnvelope(faultNoSuchAction, "", s.opts.Host))
		return
	}
	if perr != nil {
		f := faultBadRequest
		if req != nil {
			f = faultNoSuchAction
		}
		s.reply(w, http.StatusInternalServerError, faultEnvelope(f, "", s.opts.Host))
		return
	}
	if s.opts.Fault != nil {
		if f := s.opts.Fault(info); f != nil && s.inject(w, r, f, req) {
			return
		}
	}
	if action == "Identify" {
		s.reply(w, http.StatusOK, identifyResponse(true))
		return
	}
	status, out := s.dispatch(r.Context(), user, action, req)
	s.reply(w, status, out)
}

// inject applies an injected fault; it reports whether the request was answered.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, f *Fault, req *request) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status >= 400 {
		sf := faultInternal
		if f.Subcode != "" {
			sf.Subcode = f.Subcode
		}
		if f.Reason != "" {
			sf.Reason = f.Reason
		}
		s.reply(w, f.Status, faultEnvelope(sf, req.Header.MessageID, s.opts.Host))
		return true
	}
	return false
}

func (s *Server) reply(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// shell is one WinRS shell and the commands running in it.
type shell struct {
	id, user string
	mu       sync.Mutex
	cmds     map[string]*command
}

// command is one command line running or finished in a shell.
type command struct {
	id     string
	cancel context.CancelFunc
	stdin  *stdinPipe
	done   chan struct{} // closed when the handler returned
	result Result
}

func (sh *shell) terminate() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for id, c := range sh.cmds {
		c.cancel()
		c.stdin.close()
		delete(sh.cmds, id)
	}
}

func (sh *shell) command(id string) *command {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.cmds[id]
}

// dispatch performs one request and returns the HTTP status and reply body.
func (s *Server) dispatch(ctx context.Context, user, action string, req *request) (int, []byte) {
	rel := req.Header.MessageID
	fault := func(f soapFault) (int, []byte) {
		return http.StatusInternalServerError, faultEnvelope(f, rel, s.opts.Host)
	}
	ok := func(body string) (int, []byte) {
		return http.StatusOK, envelope(responseActions[action], rel, body)
	}
	if action == "Create" {
		id, f := s.createShell(user)
		if f != nil {
			return fault(*f)
		}
		return ok(`<x:ResourceCreated><a:Address>http://` + esc(s.opts.Host) + `:5985/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>` +
			resourceCmd + `</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">` + id +
			`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>` + id +
			`</rsp:ShellId><rsp:ResourceUri>` + resourceCmd + `</rsp:ResourceUri><rsp:Owner>` + esc(user) +
			`</rsp:Owner><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`)
	}
	s.mu.Lock()
	sh := s.shells[req.shellID()]
	s.mu.Unlock()
	if sh == nil || sh.user != user {
		return fault(faultNoShell)
	}
	switch action {
	case "Delete":
		s.mu.Lock()
		delete(s.shells, sh.id)
		s.mu.Unlock()
		sh.terminate()
		return ok("")
	case "Command":
		cl := req.Body.CommandLine
		if cl == nil {
			return fault(faultBadRequest)
		}
		line := strings.TrimSpace(strings.Join(append([]string{cl.Command}, cl.Arguments...), " "))
		if utf8.RuneCountInString(line) > s.opts.MaxCommandLine {
			return fault(faultTooLong)
		}
		id := s.startCommand(sh, line, req.consoleStdin())
		return ok(`<rsp:CommandResponse><rsp:CommandId>` + id + `</rsp:CommandId></rsp:CommandResponse>`)
	case "Send":
		if req.Body.Send == nil {
			return fault(faultBadRequest)
		}
		for _, st := range req.Body.Send.Streams {
			c := sh.command(st.CommandID)
			if c == nil {
				return fault(faultNoShell)
			}
			data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st.Data))
			if err != nil {
				return fault(faultBadRequest)
			}
			c.stdin.write(data)
			if st.End == "true" {
				c.stdin.close()
			}
		}
		return ok(`<rsp:SendResponse/>`)
	case "Receive":
		if req.Body.Receive == nil {
			return fault(faultBadRequest)
		}
		c := sh.command(req.Body.Receive.DesiredStream.CommandID)
		if c == nil {
			return fault(faultNoShell)
		}
		t := time.NewTimer(s.receiveTimeout(req))
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			return fault(faultTimedOut)
		case <-ctx.Done():
			return fault(faultTimedOut)
		}
		var b strings.Builder
		b.WriteString(`<rsp:ReceiveResponse>`)
		writeStream(&b, "stdout", c.id, c.result.Stdout)
		writeStream(&b, "stderr", c.id, c.result.Stderr)
		fmt.Fprintf(&b, `<rsp:CommandState CommandId="%s" State="%s"><rsp:ExitCode>%d</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>`,
			c.id, stateDone, c.result.ExitCode)
		return ok(b.String())
	case "Signal":
		if req.Body.Signal == nil {
			return fault(faultBadRequest)
		}
		sh.mu.Lock()
		if c := sh.cmds[req.Body.Signal.CommandID]; c != nil {
			c.cancel()
			c.stdin.close()
			delete(sh.cmds, c.id)
		}
		sh.mu.Unlock()
		return ok(`<rsp:SignalResponse/>`)
	}
	return fault(faultNoSuchAction)
}

// writeStream writes a stream's bytes in pieces, as Windows does, so clients that
// concatenate several Stream elements are exercised.
func writeStream(b *strings.Builder, name, id string, data []byte) {
	const piece = 32 << 10
	for len(data) > 0 {
		n := min(piece, len(data))
		fmt.Fprintf(b, `<rsp:Stream Name="%s" CommandId="%s">%s</rsp:Stream>`, name, id, base64.StdEncoding.EncodeToString(data[:n]))
		data = data[n:]
	}
	fmt.Fprintf(b, `<rsp:Stream Name="%s" CommandId="%s" End="true"></rsp:Stream>`, name, id)
}

func (s *Server) createShell(user string) (string, *soapFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sh := range s.shells {
		if sh.user == user {
			n++
		}
	}
	if n >= MaxShellsPerUser {
		return "", &faultQuota
	}
	id := strings.ToUpper(newID())
	s.shells[id] = &shell{id: id, user: user, cmds: map[string]*command{}}
	return id, nil
}

// startCommand runs line in the background; Receive collects the result.
func (s *Server) startCommand(sh *shell, line string, consoleStdin bool) string {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &command{id: strings.ToUpper(newID()), cancel: cancel, stdin: newStdinPipe(), done: make(chan struct{})}
	sh.mu.Lock()
	sh.cmds[c.id] = c
	sh.mu.Unlock()
	go func() {
		defer close(c.done)
		c.result = s.run(ctx, sh, c, line, consoleStdin)
	}()
	return c.id
}

// run performs the command shapes the server emulates itself (chunked upload,
// restore, delete, a malformed bootstrap), unpacks the script a bootstrap carries
// in its command line or reads from stdin, and passes everything else to the
// Handler.
func (s *Server) run(ctx context.Context, sh *shell, c *command, line string, consoleStdin bool) Result {
	p := parseCommandLine(line)
	cmd := Command{ShellID: sh.id, CommandID: c.id, CommandLine: line, Stdin: c.stdin, ConsoleStdin: consoleStdin}
	key := func(path string) string { return sh.user + "|" + strings.ToLower(path) }
	switch p.kind {
	case kindAppend:
		s.mu.Lock()
		s.files[key(p.path)] = append(s.files[key(p.path)], p.data+" \r\n"...)
		s.mu.Unlock()
		return Result{}
	case kindRestore:
		s.mu.Lock()
		src, ok := s.files[key(p.path)]
		s.mu.Unlock()
		if !ok {
			return Result{Stderr: CLIXMLError("Cannot find path '" + p.path + "' because it does not exist."), ExitCode: 1}
		}
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(src)), ""))
		if err != nil {
			return Result{Stderr: CLIXMLError(`Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid Base-64 string."`), ExitCode: 1}
		}
		s.mu.Lock()
		s.files[key(p.dest)] = raw
		delete(s.files, key(p.path))
		s.mu.Unlock()
		return Result{}
	case kindFile:
		s.mu.Lock()
		content, ok := s.files[key(p.path)]
		s.mu.Unlock()
		if !ok {
			return Result{Stderr: []byte("The argument '" + p.path + "' to the -File parameter does not exist. Provide the path to an existing '.ps1' file as an argument to the -File parameter.\r\n"), ExitCode: -196608}
		}
		cmd.Script = string(bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")))
		cmd.File = p.path
	case kindDelete:
		s.mu.Lock()
		delete(s.files, key(p.path))
		s.mu.Unlock()
		return Result{}
	case kindPS:
		cmd.Script = p.script
	case kindStdin:
		// powershell.exe starts, and the bootstrap waits for its first line of stdin.
		script, rest, err := readStdinScript(c.stdin)
		if err != nil {
			return Result{Stderr: CLIXMLError(err.Error()), ExitCode: 1}
		}
		cmd.Script, cmd.Stdin, cmd.ScriptOnStdin = script, rest, true
	case kindBad:
		// What powershell.exe does when the bootstrap cannot unpack its payload: an
		// error record on stderr and exit code 1; the script never runs.
		return Result{Stderr: CLIXMLError(p.err), ExitCode: 1}
	}
	return s.opts.Handler(ctx, sh.user, cmd)
}

// stdinPipe buffers what Send delivers, so a handler that never reads stdin does
// not block the client.
type stdinPipe struct {
	mu     sync.Mutex
	buf    []byte
	closed bool
	ready  chan struct{}
}

func newStdinPipe() *stdinPipe { return &stdinPipe{ready: make(chan struct{}, 1)} }

func (p *stdinPipe) notify() {
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

func (p *stdinPipe) write(b []byte) {
	p.mu.Lock()
	p.buf = append(p.buf, b...)
	p.mu.Unlock()
	p.notify()
}

func (p *stdinPipe) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.notify()
}

// Read blocks until data arrives or the client ends stdin.
func (p *stdinPipe) Read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			more := len(p.buf) > 0 || p.closed
			p.mu.Unlock()
			if more {
				p.notify()
			}
			return n, nil
		}
		if p.closed {
			p.mu.Unlock()
			return 0, io.EOF
		}
		p.mu.Unlock()
		<-p.ready
	}
}

// receiveTimeout is how long a Receive waits for output: the client's
// OperationTimeout unless the server's PollTimeout overrides it.
func (s *Server) receiveTimeout(req *request) time.Duration {
	if s.opts.PollTimeout > 0 {
		return s.opts.PollTimeout
	}
	if d, ok := operationTimeout(req.Header.OperationTimeout); ok {
		return d
	}
	return 60 * time.Second
}

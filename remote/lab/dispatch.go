package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
)

// psOutcome is what a PowerShell command left behind: its streams and exit code.
type psOutcome struct {
	Stdout   []byte
	ErrorMsg string // the terminating error, written as CLIXML on stderr
	ErrorID  string
	Exit     int
}

// errorView is the terminating error as PowerShell's error view writes it to
// stderr, less the position and category lines: the message, then the
// FullyQualifiedErrorId when it is not the message itself (as it is for a thrown
// string). A batch reports the same two (see runBatch), so a script's failure
// reads the same whether it ran alone or in a batch.
func (o psOutcome) errorView() string {
	if o.ErrorID == "" || o.ErrorID == o.ErrorMsg {
		return o.ErrorMsg
	}
	return o.ErrorMsg + "\n    + FullyQualifiedErrorId : " + o.ErrorID
}

func labPSFailure(format string, args ...any) psOutcome {
	return psOutcome{ErrorMsg: fmt.Sprintf(format, args...), Exit: 1}
}

// runPowerShell runs one WinRM command on host: the PowerShell script's operation
// against the estate, or each operation of a batch in turn. Anything that is not
// one of ssisha's scripts fails loudly.
func (l *Lab) runPowerShell(ctx context.Context, host, user, shellID, scriptText, commandLine string) psOutcome {
	return l.runCommand(ctx, host, user, wsman.Command{ShellID: shellID, Script: scriptText, CommandLine: commandLine})
}

// runCommand is runPowerShell for a command as the WinRM server received it, with
// the file it was uploaded to and its stdin.
func (l *Lab) runCommand(ctx context.Context, host, user string, cmd wsman.Command) psOutcome {
	scriptText := cmd.Script
	if scriptText == "" {
		cl := cmd.CommandLine
		if len(cl) > 80 {
			cl = cl[:80] + "…"
		}
		return labPSFailure("ssisha lab: %q is not a PowerShell script; the lab runs only ssisha's scripts (powershell.exe -EncodedCommand)", cl)
	}
	if strings.HasPrefix(strings.TrimPrefix(scriptText, "\ufeff"), batchMarker) {
		return l.runBatch(ctx, host, user, cmd.ShellID, scriptText)
	}
	o, _ := l.runScript(ctx, host, user, cmd.ShellID, scriptText, scriptInput{file: cmd.File, stdin: cmd.Stdin, console: cmd.ConsoleStdin, onStdin: cmd.ScriptOnStdin})
	return o
}

// scriptInput is what a script received besides its text: the file it was uploaded
// to, if any, and its stdin, a console's or a pipe.
type scriptInput struct {
	file    string
	stdin   io.Reader
	console bool
	onStdin bool // the script's text came on stdin, before the input
}

// runScript runs one of ssisha's scripts on host. faulted reports an injected WinRM
// fault: the operation did not run, and the command fails on the wire.
func (l *Lab) runScript(ctx context.Context, host, user, shellID, scriptText string, in scriptInput) (o psOutcome, faulted bool) {
	op, params, err := script.ParsePowerShell(scriptText)
	if err != nil {
		return labPSFailure("ssisha lab: the script cannot be read: %v", err), false
	}
	inFile := slices.Sorted(maps.Keys(params))
	l.noteExposedSecrets(host, op, scriptText, in)
	if script.ReadsInput(scriptText) {
		if in.console {
			// In console mode the input goes to the console's input buffer, where the
			// client's End is no end of file: ReadToEnd would wait until the command is
			// stopped. The lab says so at once.
			return labPSFailure("ssisha lab: the script reads its stdin to the end, but the command asked for console-mode stdin (WINRS_CONSOLEMODE_STDIN=TRUE), where the client's End is no end of file; on Windows it would wait until stopped. Send WINRS_CONSOLEMODE_STDIN=FALSE with a command whose stdin you feed."), false
		}
		// As PowerShell's [Console]::In.ReadToEnd() on a pipe: wait for the client's End.
		var stdin []byte
		if in.stdin != nil {
			if stdin, err = io.ReadAll(in.stdin); err != nil {
				return labPSFailure("ssisha lab: reading stdin: %v", err), false
			}
		}
		if err := script.MergeInput(params, stdin); err != nil {
			return labPSFailure("ConvertFrom-Json : Invalid JSON primitive on stdin (%v)", err), false
		}
	}
	l.stats.command(host, op)
	fn, ok := l.ops.PowerShell(op)
	if !ok {
		return psOutcome{ErrorMsg: fmt.Sprintf("ssisha lab: unknown operation '%s'", op), ErrorID: "UnknownOperation,ssisha.lab", Exit: 1}, false
	}
	d := l.faults.beforeOp(host, op, true)
	if d.WinRMFault {
		// The fault reaches the client on its next Receive in this shell; the
		// operation does not run, so a retry finds the estate as it was.
		l.shells.arm(shellID)
		l.shells.awaitDelivery(ctx, shellID, l.closing)
		return labPSFailure("ssisha lab: injected WinRM fault while running '%s'", op), true
	}
	l.applyOpFaults(ctx, host, d)
	self, others, end := l.inflight.begin(host, op)
	defer end()

	l.mu.Lock()
	defer l.mu.Unlock()
	node := l.estate.Node(host)
	if node == nil {
		return labPSFailure("ssisha lab: no node %s in the estate", host), false
	}
	now := l.now()
	l.ops.Tick(l.estate, now)
	c := estate.NewOpContext(l.estate, node, user, false, now, l.sleeper(host, ctx))
	c.Wall, c.Running = time.Now(), others
	c.Script = scriptCode(scriptText)
	if in.file != "" {
		c.ScriptFile, c.ScriptFileParams = in.file, inFile
	}
	var res any
	// A long script leaves its marker on the node while it runs, as on Windows.
	marker := estate.WriteInflightMarker(node, c.Script, op, estate.Params(params), self)
	if estate.IsSetup(op) && setupRunning(others) {
		err = estate.ErrSetupRunning(node)
	} else {
		res, err = labCallPS(fn, c, estate.Params(params))
	}
	estate.RemoveInflightMarker(l.estate.Node(host), marker)
	if perr := l.persistLocked(false); perr != nil {
		l.saveErr = perr
	}
	if err != nil {
		var pe *estate.PSError
		if errors.As(err, &pe) {
			return psOutcome{ErrorMsg: pe.Message, ErrorID: pe.ErrorID, Exit: 1}, false
		}
		return labPSFailure("%s", err.Error()), false
	}
	out, err := json.Marshal(res)
	if err != nil {
		return labPSFailure("ssisha lab: the result of '%s' cannot be encoded: %v", op, err), false
	}
	return psOutcome{Stdout: append(out, '\r', '\n')}, false
}

// scriptCode is a rendered script less its parameters line: what an operation may
// look at to model what PowerShell does with the script's code, whatever values the
// parameters had. (Secrets travel on stdin; one left in the text is recorded by
// noteExposedSecrets.)
func scriptCode(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, script.ParamsLinePrefix) {
			b.WriteString(l)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// labCallPS runs a PowerShell operation, turning a panic into the error a broken script
// would give rather than taking the server down.
func labCallPS(fn estate.PSOp, c *estate.OpContext, p estate.Params) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &estate.PSError{Message: fmt.Sprintf("ssisha lab: operation failed inside the lab: %v", r), ErrorID: "LabPanic,ssisha.lab"}
		}
	}()
	return fn(c, p)
}

func labCallSQL(fn estate.SQLOp, c *estate.OpContext, p estate.Params) (rs *script.ResultSet, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &estate.SQLError{Number: 50000, State: 1, Class: 16, Message: fmt.Sprintf("ssisha lab: operation failed inside the lab: %v", r)}
		}
	}()
	return fn(c, p)
}

// sqlSession is who sent a batch.
type sqlSession struct {
	User    string
	Windows bool
}

// runSQL runs one batch on host's instance, or on the primary's when viaListener.
// Errors are *SQLError, as SQL Server would raise them.
func (l *Lab) runSQL(ctx context.Context, host string, viaListener bool, s sqlSession, text string, params map[string]any) (*script.ResultSet, error) {
	op, err := script.ParseOpSQL(text)
	if err != nil {
		return nil, &estate.SQLError{Number: 102, State: 1, Class: 15, Message: "ssisha lab: the batch does not name an operation: " + err.Error()}
	}
	target := l.sqlTarget(host, viaListener)
	if target == "" {
		return nil, &estate.SQLError{Number: 983, State: 1, Class: 14, Message: "ssisha lab: the availability group listener has no primary replica to route to"}
	}
	l.stats.command(target, op)
	fn, ok := l.ops.SQL(op)
	if !ok {
		return nil, &estate.SQLError{Number: 2812, State: 62, Class: 16, Message: fmt.Sprintf("Could not find stored procedure '%s'. (ssisha lab: unknown operation '%s')", op, op)}
	}
	d := l.faults.beforeOp(target, op, false)
	l.applyOpFaults(ctx, target, d)

	l.mu.Lock()
	defer l.mu.Unlock()
	if viaListener {
		// A failover injected just now moves where the listener points.
		if t := l.sqlTargetLocked(host, true); t != "" {
			target = t
		}
	}
	node := l.estate.Node(target)
	if node == nil || node.SQL == nil {
		return nil, &estate.SQLError{Number: 53, State: 1, Class: 16, Message: "ssisha lab: no SQL Server instance on " + target}
	}
	if err := l.estate.CheckLogin(node.SQL, s.User, s.Windows); err != nil {
		return nil, err
	}
	p := estate.Params{}
	for k, v := range params {
		p[strings.TrimPrefix(k, "@")] = v
	}
	now := l.now()
	l.ops.Tick(l.estate, now)
	c := estate.NewOpContext(l.estate, node, s.User, viaListener, now, l.sleeper(target, ctx))
	c.Wall = time.Now()
	c.Text = text
	rs, err := labCallSQL(fn, c, p)
	if perr := l.persistLocked(false); perr != nil {
		l.saveErr = perr
	}
	if err != nil {
		var se *estate.SQLError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, &estate.SQLError{Number: 50000, State: 1, Class: 16, Message: err.Error()}
	}
	if rs == nil {
		rs = &script.ResultSet{}
	}
	return rs, nil
}

// sqlTarget is the node that answers T-SQL sent to host (or through the listener).
func (l *Lab) sqlTarget(host string, viaListener bool) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sqlTargetLocked(host, viaListener)
}

func (l *Lab) sqlTargetLocked(host string, viaListener bool) string {
	if !viaListener {
		return strings.ToLower(host)
	}
	ag := l.estate.AG
	if ag == nil || ag.Listener == nil || ag.Primary == "" {
		return ""
	}
	return strings.ToLower(ag.Primary)
}

// applyOpFaults carries out what the faults decided before an operation: failovers
// first (so the operation sees the new world), then the extra delay.
func (l *Lab) applyOpFaults(ctx context.Context, host string, d opDecision) {
	if d.AGTo != "" {
		_ = l.FailoverAG(d.AGTo)
	}
	if d.MasterTo != "" {
		_ = l.FailoverMasterRole(d.MasterTo)
	}
	if d.Slow > 0 {
		l.stats.busy(host, d.Slow)
		l.wait(ctx, d.Slow)
	}
}

// shellFaults hands an operation-specific WinRM fault from the command that decided
// it to the next Receive on the same shell (a background Signal releasing an
// earlier command must not swallow it).
type shellFaults struct {
	mu      sync.Mutex
	pending map[string]chan struct{}
}

// maxFaultWait bounds how long a faulted command waits for its fault to be delivered.
const maxFaultWait = 10 * time.Second

func (s *shellFaults) arm(shellID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = map[string]chan struct{}{}
	}
	if _, ok := s.pending[shellID]; !ok {
		s.pending[shellID] = make(chan struct{})
	}
}

// take reports whether a fault is armed for the shell, disarming it.
func (s *shellFaults) take(shellID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.pending[shellID]
	if !ok {
		return false
	}
	delete(s.pending, shellID)
	close(ch)
	return true
}

// awaitDelivery waits until the armed fault went out, the request is abandoned, the
// lab closes, or the bound passes; then it disarms.
func (s *shellFaults) awaitDelivery(ctx context.Context, shellID string, closing <-chan struct{}) {
	s.mu.Lock()
	ch := s.pending[shellID]
	s.mu.Unlock()
	if ch == nil {
		return
	}
	t := time.NewTimer(maxFaultWait)
	defer t.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-closing:
	case <-t.C:
	}
	s.mu.Lock()
	if s.pending[shellID] == ch {
		delete(s.pending, shellID)
	}
	s.mu.Unlock()
}

// noteExposedSecrets records on host each secret of the lab that the script's text
// holds, and where that text was readable: on powershell.exe's command line (an
// -EncodedCommand is only base64; a gzip bootstrap only compressed), in the
// uploaded script file, or, for a script read from stdin, in the script block that
// PowerShell's script block logging records. A secret in the command's input is in
// none of them.
func (l *Lab) noteExposedSecrets(host, op, scriptText string, in scriptInput) {
	where := "powershell.exe command line"
	switch {
	case in.file != "":
		where = "uploaded script " + in.file
	case in.onStdin:
		where = "script text read from stdin (script block logging)"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	node := l.estate.Node(host)
	if node == nil {
		return
	}
	secrets := l.secretsLocked()
	for i, pfx := range l.estate.ExportedPFX {
		secrets[fmt.Sprintf("exported PFX %d", i+1)] = pfx
	}
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		if v := secrets[name]; v != "" && slices.ContainsFunc(textForms(v), func(f string) bool { return strings.Contains(scriptText, f) }) {
			node.SecretsExposed = append(node.SecretsExposed, fmt.Sprintf("%s (%s): %s", where, op, name))
		}
	}
}

// textForms are the ways v can be written in a script's text: as is, inside a JSON
// string, and inside a JSON string in a single-quoted PowerShell literal.
func textForms(v string) []string {
	b, _ := json.Marshal(v)
	inner := strings.Trim(string(b), `"`)
	return []string{v, inner, strings.ReplaceAll(inner, "'", "''")}
}

package winrm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// Batching. Read-only scripts run in a shell of their own on each node, one
// command at a time, beside the node's other commands: a read never waits for an
// install. While that shell is busy, the read-only scripts that arrive for the node
// wait in its queue. The next of them to get the shell takes every queued
// script that fits into one command line along with its own, runs them all as one
// batch command, and hands each caller the result it would have had alone. A
// read-only script that finds the node idle and nobody waiting runs alone, exactly
// like any other script; so does one too large to share a command line.

// batchMarker is the first line of a batch command's script. The lab recognises it
// and runs the scripts the batch carries one after the other.
const batchMarker = "# ssisha-batch"

// maxBatch bounds the scripts in one batch.
const maxBatch = 16

// readLinger is how long a read that finds the node idle waits before it starts, so
// that the reads started with it (a Detect or Verify asks for several facts of a
// node at once) join it in one command instead of each waiting for the one before.
// It is a sliver of one round trip.
const readLinger = 500 * time.Microsecond

// pending is a read-only script waiting for the shell.
type pending struct {
	ctx     context.Context // the caller's
	op      string
	text    string        // rendered, secrets revealed
	timeout time.Duration // the script's own, when longer than the client's
	// done is closed once the batch that ran the script has set out and err.
	done chan struct{}
	out  json.RawMessage
	err  error
	// taken marks a script that a batch has claimed; guarded by node.qmu.
	taken bool
	// twins are callers that asked for the very same script while this one waited:
	// it runs once and they get its result. Guarded by node.qmu until taken, then
	// owned by whoever runs the script.
	twins []*pending
}

// finish hands p's result to its twins and wakes them all.
func (p *pending) finish() {
	for _, t := range p.twins {
		t.out, t.err = bytes.Clone(p.out), p.err
		close(t.done)
	}
	close(p.done)
}

// waiters counts p and its twins.
func (p *pending) waiters() int { return 1 + len(p.twins) }

// leavesScope finds the statements that end more than the script they are in when
// it runs inside a batch: exit ends the whole powershell.exe, and a break or
// continue outside any loop of the script's own ends the batch's loop. None of the
// read-only templates uses them; a script that could is run alone.
var leavesScope = regexp.MustCompile(`(?im)(?:^|[;{}])[ \t]*(?:exit|break|continue)\b`)

// batchable reports whether s, rendered as text, may share a command with others.
// A script with parameters on stdin (Input, secrets) reads its command's stdin,
// which it cannot share.
func batchable(s script.PowerShell, text string) bool {
	return s.ReadOnly && !s.ReadsStdin() && !leavesScope.MatchString(text)
}

// runRead runs one attempt of the read-only script s: alone when the node is idle
// and nobody waits, else in a batch, run either by this caller or by one that got
// the shell first.
func (c *Client) runRead(ctx context.Context, n *node, s script.PowerShell, text string) (json.RawMessage, error) {
	p := &pending{ctx: ctx, op: s.Op, text: text, timeout: s.Timeout, done: make(chan struct{})}
	select {
	case n.reader <- struct{}{}:
		if readLinger > 0 {
			t := time.NewTimer(readLinger)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
	default:
		n.enqueue(p)
		select {
		case n.reader <- struct{}{}:
			if !n.dequeue(p) {
				// The batch that held the shell until now ran p, and set its result
				// before letting go of the shell.
				n.releaseReader()
				<-p.done
				return p.out, p.err
			}
		case <-p.done:
			return p.out, p.err
		case <-ctx.Done():
			n.dequeue(p)
			return n.gaveUp(p)
		}
	}
	if ctx.Err() != nil {
		n.releaseReader()
		return n.gaveUp(p)
	}
	members, line := c.takeBatch(n, p)
	switch {
	case len(members) == 1 && len(p.twins) == 0:
		defer n.releaseReader()
		return c.runAlone(ctx, n, s, text)
	case len(members) == 1:
		// Only twins joined: the script runs as itself, for all of them.
		go c.runShared(n, p, s)
	default:
		// The batch runs on its own so that this caller, too, can give up without
		// failing the others; it lets go of the shell when it ends.
		go c.runBatch(n, members, line)
	}
	select {
	case <-p.done:
		return p.out, p.err
	case <-ctx.Done():
		return n.gaveUp(p)
	}
}

func (n *node) enqueue(p *pending) {
	n.qmu.Lock()
	n.queue = append(n.queue, p)
	n.qmu.Unlock()
}

// dequeue removes p from the queue unless a batch took it, and reports whether p
// was still waiting.
func (n *node) dequeue(p *pending) bool {
	n.qmu.Lock()
	defer n.qmu.Unlock()
	if p.taken {
		return false
	}
	if i := slices.Index(n.queue, p); i >= 0 {
		n.queue = slices.Delete(n.queue, i, i+1)
	}
	return true
}

// gaveUp is what a caller whose context ended gets: the result, if its batch
// happened to finish just then, else its context's error. A batch still running
// for it goes on for the others.
func (n *node) gaveUp(p *pending) (json.RawMessage, error) {
	select {
	case <-p.done:
		return p.out, p.err
	default:
		return nil, fmt.Errorf("%s on %s: %w", p.op, n.host, p.ctx.Err())
	}
}

// takeBatch is called by p's caller once it holds the shell. It claims, in queue
// order, the waiting scripts whose callers still wait and that fit into one command
// line with p and those before them, up to maxBatch in all. It returns p alone when
// none does, else the batch and its command line.
func (c *Client) takeBatch(n *node, p *pending) ([]*pending, string) {
	n.qmu.Lock()
	defer n.qmu.Unlock()
	members := []*pending{p}
	line := ""
	rest := n.queue[:0]
	for _, q := range n.queue {
		if q.ctx.Err() == nil {
			// A caller asking for a script already in the batch (the same facts
			// wanted by a Verify and the next step's Detect at once) gets its result
			// and takes no room. Only scripts that have not started are shared, so
			// each caller still reads the node after it asked.
			if i := slices.IndexFunc(members, func(m *pending) bool { return m.text == q.text }); i >= 0 {
				members[i].twins = append(members[i].twins, q)
				q.taken = true
				continue
			}
		}
		if len(members) < maxBatch && q.ctx.Err() == nil {
			if l, ok := batchCommand(append(members[:len(members):len(members)], q)); ok {
				members = append(members, q)
				line = l
				q.taken = true
				continue
			}
		}
		rest = append(rest, q)
	}
	clear(n.queue[len(rest):])
	n.queue = rest
	return members, line
}

// batchCommand returns the command line that runs members as one batch, and whether
// it fits cmd.exe's limit, as is or compressed. A batch never reads itself from stdin.
func batchCommand(members []*pending) (string, bool) {
	texts := make([]string, len(members))
	for i, m := range members {
		texts[i] = m.text
	}
	text := batchScript(texts)
	if line := encodedCommand(text); len(line) <= maxCommandLine {
		return line, true
	}
	return compressedCommand(text)
}

// runBatch runs members as one command and hands each its result. It holds the
// shell, and lets go of it at the end. The command has the client's per-command
// timeout and is cancelled early only once every member's caller has given up.
func (c *Client) runBatch(n *node, members []*pending, line string) {
	defer n.releaseReader()
	timeout := c.set.timeout
	for _, m := range members {
		timeout = max(timeout, m.timeout)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(members[0].ctx), timeout)
	defer cancel()
	defer onAllGaveUp(members, cancel)()
	l, err := c.takeLane(n)
	if err != nil {
		c.settle(n, members, result{}, err)
		return
	}
	defer n.putLane(l)
	l.tr.setContext(ctx)
	defer l.tr.setContext(context.Background())
	n.commands.Add(1)

	res, err := c.command(ctx, l, line, nil)
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	c.settle(n, members, res, err)
}

// runShared runs p's script, which twins wait for too, as a command of its own. It
// holds the shell and lets go of it at the end; the command is cancelled early only
// once p's caller and every twin's have given up.
func (c *Client) runShared(n *node, p *pending, s script.PowerShell) {
	defer n.releaseReader()
	ctx, cancel := context.WithCancel(context.WithoutCancel(p.ctx))
	defer cancel()
	defer onAllGaveUp([]*pending{p}, cancel)()
	p.out, p.err = c.runAlone(ctx, n, s, p.text)
	p.finish()
}

// onAllGaveUp calls cancel once the caller of every member and of every twin has
// given up, and returns the function that stops watching.
func onAllGaveUp(members []*pending, cancel context.CancelFunc) (stop func()) {
	var waiting atomic.Int32
	for _, m := range members {
		waiting.Add(int32(m.waiters()))
	}
	var stops []func() bool
	for _, m := range members {
		for _, w := range append([]*pending{m}, m.twins...) {
			stops = append(stops, context.AfterFunc(w.ctx, func() {
				if waiting.Add(-1) == 0 {
					cancel()
				}
			}))
		}
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// batchResult is one script's entry in a batch's output.
type batchResult struct {
	OK      bool   `json:"ok"`
	Out     string `json:"out"`
	Error   string `json:"error"`
	ErrorID string `json:"errorId"`
}

// settle sets every member's result from what the batch command gave, and wakes
// their callers. A member that failed gets the CommandError it would have got
// alone; when the batch itself failed, every member gets an error naming its own
// operation.
func (c *Client) settle(n *node, members []*pending, res result, err error) {
	defer func() {
		for _, m := range members {
			m.finish()
		}
	}()
	var results []batchResult
	switch {
	case err != nil:
		for _, m := range members {
			m.err = fmt.Errorf("%s on %s: %w", m.op, n.host, err)
		}
		return
	case res.code != 0:
		stderr := c.redactor.Redact(DecodeCLIXML(res.stderr))
		for _, m := range members {
			m.err = &CommandError{Host: n.host, Op: m.op, ExitCode: res.code,
				Stderr: fmt.Sprintf("the batch of %d read-only scripts this one ran in failed:\n%s", len(members), stderr)}
		}
		return
	default:
		results, err = decodeBatch(res.stdout, len(members))
		if err != nil {
			// The output is not quoted: the batch's JSON escapes the scripts'
			// messages once more, in spellings the redactor does not know.
			for _, m := range members {
				m.err = fmt.Errorf("%s on %s: the batch of %d read-only scripts it ran in printed %d bytes that are not the batch's result (%v)",
					m.op, n.host, len(members), len(res.stdout), err)
			}
			return
		}
	}
	for i, m := range members {
		r := results[i]
		if r.OK {
			m.out, m.err = c.decodeScriptOutput(n, m.op, r.Out)
			continue
		}
		m.err = &CommandError{Host: n.host, Op: m.op, ExitCode: 1, Stderr: c.redactor.Redact(r.stderr())}
	}
}

// stderr is the failed script's error as DecodeCLIXML gives it for a script run
// alone: the message, then the FullyQualifiedErrorId line of PowerShell's error
// view when the identifier says more than the message (a bare throw makes it the
// message itself). The position and category lines are not kept.
func (r batchResult) stderr() string {
	msg := strings.TrimRight(strings.ReplaceAll(r.Error, "\r\n", "\n"), "\r\n")
	id := strings.TrimSpace(strings.ReplaceAll(r.ErrorID, "\r\n", "\n"))
	if id != "" && id != strings.TrimSpace(msg) {
		msg += "\n    + FullyQualifiedErrorId : " + id
	}
	return msg
}

// decodeBatch reads a batch's output: one JSON object holding one result per script.
func decodeBatch(stdout string, n int) ([]batchResult, error) {
	raw, err := decodeOutput(stdout)
	if err != nil {
		return nil, err
	}
	var b struct {
		Results []batchResult `json:"results"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, err
	}
	if len(b.Results) != n {
		return nil, fmt.Errorf("%d results for %d scripts", len(b.Results), n)
	}
	return b.Results, nil
}

// batchScript returns the PowerShell that runs texts, each a rendered script, one
// after the other in one powershell.exe, as if each ran alone in its own, and
// prints one JSON object:
//
//	{"results":[{"ok":true,"out":"<what the script printed>"},{"ok":false,"error":"<message>","errorId":"<FullyQualifiedErrorId>"}]}
//
// What a Windows PowerShell node does with it:
//   - The scripts are single-quoted literals in an array, so nothing in them is
//     expanded, and one script still makes an array.
//   - Each runs through & ([scriptblock]::Create(...)), in a scope of its own: the
//     variables, functions and preferences it sets (its own
//     $ErrorActionPreference = 'Stop' first) vanish when it ends, and return ends
//     only the script. The batch's own variables are private, so a script that
//     reads a variable it never set finds nothing, as it would alone. Before each
//     script $LASTEXITCODE is removed, as in a new process.
//   - What the script writes to the success stream becomes its text through
//     Out-String, as powershell.exe formats output for stdout. From PowerShell 5 on,
//     Write-Host writes to the information stream, tagged PSHOST: the batch takes
//     those records with the output, since powershell.exe would print them on
//     stdout, and drops the other information records, which it would not show.
//     (PowerShell 4 has no information stream; there host output would reach the
//     batch's stdout and fail the batch. No read-only script writes to the host.)
//     Warnings, verbose and error records that do not stop the script go to the
//     batch's stderr, as they would go to the script's, which nobody reads when
//     the command succeeds.
//   - A terminating error is caught and recorded with its message (ErrorDetails
//     first, as PowerShell's error view shows it) and its FullyQualifiedErrorId;
//     the script's output so far is dropped.
//   - The results are collected in an ArrayList, turned into an array inside an
//     object given as -InputObject, so that even one result prints as a JSON array.
//   - What the scripts share is the process: environment variables, the current
//     location, $Error, loaded modules and types. Read-only scripts change none of
//     them and do not read $Error; exit, or a break or continue outside a loop,
//     would end more than the script, which is why batchable keeps such scripts
//     out.
//
// Only PowerShell 3 syntax is used, as in the gzip bootstrap; the information
// stream's redirection is compiled only where it exists.
func batchScript(texts []string) string {
	var b strings.Builder
	b.WriteString(batchMarker + "\n")
	b.WriteString("$ErrorActionPreference = 'Stop'\n")
	b.WriteString("$private:scripts = @(\n")
	for i, t := range texts {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(script.QuotePS(t))
	}
	b.WriteString("\n)\n")
	b.WriteString(batchRunner)
	return b.String()
}

// batchRunner runs $private:scripts; see batchScript.
const batchRunner = `$private:invoke = { & $args[0] }
if ($PSVersionTable.PSVersion.Major -ge 5) { $private:invoke = [scriptblock]::Create('& $args[0] 6>&1') }
$private:results = New-Object System.Collections.ArrayList
for ($private:i = 0; $private:i -lt $private:scripts.Count; $private:i++) {
    Remove-Variable -Name LASTEXITCODE -Scope Global -Force -ErrorAction Ignore
    try {
        $private:out = & $private:invoke ([scriptblock]::Create($private:scripts[$private:i])) | ForEach-Object {
            if ($null -eq $_ -or $_.GetType().FullName -ne 'System.Management.Automation.InformationRecord') { $_ }
            elseif ($_.Tags -contains 'PSHOST') { [string]$_.MessageData }
        } | Out-String
        $private:item = [pscustomobject]@{ ok = $true; out = [string]$private:out }
    } catch {
        $private:msg = $_.Exception.Message
        if ($_.ErrorDetails -and $_.ErrorDetails.Message) { $private:msg = $_.ErrorDetails.Message }
        $private:item = [pscustomobject]@{ ok = $false; error = [string]$private:msg; errorId = [string]$_.FullyQualifiedErrorId }
    }
    [void]$private:results.Add($private:item)
}
ConvertTo-Json -InputObject ([pscustomobject]@{ results = $private:results.ToArray() }) -Compress -Depth 4
`

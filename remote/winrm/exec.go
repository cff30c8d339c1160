package winrm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	mz "github.com/masterzen/winrm"
)

// maxCommandLine is cmd.exe's limit; WinRS runs every command line through it.
const maxCommandLine = 8191

// result is what one command printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// execute runs a rendered script in l's shell as one command: as is when its
// command line fits, else gzip-compressed inside a small bootstrap on the command
// line, else (a script too large even compressed) through a bootstrap that reads
// it, compressed, from the first line of its stdin. input, when not nil, goes to
// the script's stdin (WS-Management Send), after the script when the script came
// that way, and so never into a command line or a file: that is how every secret
// parameter travels, a PFX among them.
func (c *Client) execute(ctx context.Context, l *lane, text string, input []byte) (result, error) {
	line := encodedCommand(text)
	if len(line) <= maxCommandLine {
		return c.command(ctx, l, line, input)
	}
	if line, ok := compressedCommand(text); ok {
		return c.command(ctx, l, line, input)
	}
	line, stdin := stdinCommand(text, input)
	return c.command(ctx, l, line, stdin)
}

// command runs one command line in l's shell, with input, when not nil, sent on
// its stdin, then End. It creates the shell when needed and drops it after an
// error or after MaxCommandsPerShell commands.
func (c *Client) command(ctx context.Context, l *lane, line string, input []byte) (result, error) {
	if l.shell == nil {
		sh, err := l.mc.CreateShell()
		if err != nil {
			return result{}, fmt.Errorf("opening a shell: %w", err)
		}
		l.shell, l.inShell = sh, 0
	}
	if input != nil {
		l.tr.pipeStdin.Store(true)
	}
	res, err := runCommand(ctx, l.shell, line, input, &l.releasing)
	l.tr.pipeStdin.Store(false)
	l.inShell++
	if err != nil || l.inShell >= c.set.maxPerSh {
		l.recycle()
	}
	return res, err
}

// recycle deletes the shell (best effort) so the next command starts a fresh one,
// once the commands it still releases are released.
func (l *lane) recycle() {
	l.releasing.Wait()
	if l.shell != nil {
		_ = l.shell.Close()
		l.shell = nil
	}
}

// runCommand runs line and waits for it. Signal terminate is always sent at the end:
// it releases the command on the node whether it finished, failed or was cancelled.
// A command that ended by itself is released in the background (MS-WSMV lets a
// client signal asynchronously): its output is complete, so the caller need not wait
// a round trip for the release. releasing counts those signals still on their way; a
// cancelled command is signalled before runCommand returns, since that is what stops
// it. input, when not nil, is sent on stdin and closed with End before the output is
// read.
func runCommand(ctx context.Context, sh *mz.Shell, line string, input []byte, releasing *sync.WaitGroup) (result, error) {
	cmd, err := sh.ExecuteWithContext(ctx, line)
	if err != nil {
		return result{}, err
	}
	if input != nil {
		// Write then Close (which sends End): the library's WriteClose marks the
		// stream ended before writing and so refuses its own data.
		if err := sendInput(cmd, input); err != nil {
			_ = cmd.Close()
			return result{}, fmt.Errorf("sending the script's input: %w", err)
		}
	}
	var stdout, stderr bytes.Buffer
	var outErr, errErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, outErr = io.Copy(&stdout, cmd.Stdout) }()
	go func() { defer wg.Done(); _, errErr = io.Copy(&stderr, cmd.Stderr) }()
	cmd.Wait()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		_ = cmd.Close()
		return result{}, err
	}
	releasing.Add(1)
	go func() {
		defer releasing.Done()
		_ = cmd.Close()
	}()
	if outErr != nil {
		return result{}, outErr
	}
	if errErr != nil {
		return result{}, errErr
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ExitCode()}, nil
}

// sendInput sends input on cmd's stdin, in envelopes the library sizes, then End.
func sendInput(cmd *mz.Command, input []byte) error {
	if _, err := cmd.Stdin.Write(input); err != nil {
		return err
	}
	return cmd.Stdin.Close()
}

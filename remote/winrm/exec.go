package winrm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
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

// execute runs a rendered script in n's shell as one command when it can: as is
// when its command line fits, else gzip-compressed inside a small bootstrap. Only a
// script too large even compressed is uploaded in chunks and run with -File, which
// costs four or more commands. input, when not nil, goes to the script's stdin
// (WS-Management Send) and so never into a command line or a file: that is how
// every secret parameter travels, a PFX among them.
func (c *Client) execute(ctx context.Context, n *node, text string, input []byte) (result, error) {
	line := mz.Powershell(text)
	if len(line) <= maxCommandLine {
		return c.commandWithInput(ctx, n, line, input)
	}
	if line, ok := compressedCommand(text); ok {
		return c.commandWithInput(ctx, n, line, input)
	}
	return c.uploadAndRun(ctx, n, text, input)
}

// command runs one command line in n's shell, creating the shell when needed and
// dropping it after an error or after MaxCommandsPerShell commands.
func (c *Client) command(ctx context.Context, n *node, line string) (result, error) {
	return c.commandWithInput(ctx, n, line, nil)
}

// commandWithInput is command with input sent on the command's stdin, then End.
func (c *Client) commandWithInput(ctx context.Context, n *node, line string, input []byte) (result, error) {
	if n.shell == nil {
		sh, err := n.mc.CreateShell()
		if err != nil {
			return result{}, fmt.Errorf("opening a shell: %w", err)
		}
		n.shell, n.inShell = sh, 0
	}
	if input != nil {
		n.tr.pipeStdin.Store(true)
	}
	res, err := runCommand(ctx, n.shell, line, input, &n.releasing)
	n.tr.pipeStdin.Store(false)
	n.inShell++
	if err != nil || n.inShell >= c.set.maxPerSh {
		n.recycle()
	}
	return res, err
}

// recycle deletes the shell (best effort) so the next command starts a fresh one,
// once the commands it still releases are released.
func (n *node) recycle() {
	n.releasing.Wait()
	if n.shell != nil {
		_ = n.shell.Close()
		n.shell = nil
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

// uploadAndRun sends text to a temporary file in chunks that each fit a command
// line, turns it into a script file, runs it with -File (input on its stdin) and
// removes it. The file is on the node's disk while it runs, and stays there if the
// session dies before the delete: a payload that must never reach a disk travels as
// input, not in text.
func (c *Client) uploadAndRun(ctx context.Context, n *node, text string, input []byte) (result, error) {
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	id := hex.EncodeToString(idb[:])
	b64File := `%TEMP%\ssisha-` + id + `.b64`
	ps1File := `%TEMP%\ssisha-` + id + `.ps1`

	// A UTF-8 BOM makes Windows PowerShell read the file as UTF-8, not the ANSI code page.
	data := append([]byte("\xef\xbb\xbf"), text...)
	for _, chunk := range uploadChunks(data, b64File) {
		res, err := c.command(ctx, n, chunk)
		if err != nil {
			return result{}, fmt.Errorf("uploading the script: %w", err)
		}
		if res.code != 0 {
			return result{}, fmt.Errorf("uploading the script to %s failed with exit code %d: %s", b64File, res.code, DecodeCLIXML(res.stderr))
		}
	}
	res, err := c.command(ctx, n, mz.Powershell(restoreScript(id)))
	if err != nil {
		return result{}, fmt.Errorf("unpacking the uploaded script: %w", err)
	}
	if res.code != 0 {
		return result{}, fmt.Errorf("unpacking the uploaded script into %s failed with exit code %d: %s", ps1File, res.code, DecodeCLIXML(res.stderr))
	}
	res, err = c.commandWithInput(ctx, n, `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "`+ps1File+`"`, input)
	// The script may hold secrets; it must not stay on the node, even when the run
	// was cancelled. A failure here is not the script's failure.
	cctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), n.tr.cleanupTimeout)
		defer cancel()
		n.tr.setContext(cctx)
		defer n.tr.setContext(ctx)
	}
	_, _ = c.command(cctx, n, `del /q "`+ps1File+`"`)
	return res, err
}

// uploadChunks returns the echo commands that append data, base64-encoded, to
// path. Each line is a whole base64 quantum so the lines concatenate.
func uploadChunks(data []byte, path string) []string {
	overhead := len(`echo  >> ""`) + len(path)
	perLine := (maxCommandLine - overhead - 64) / 4 * 3
	var out []string
	for len(data) > 0 {
		k := min(perLine, len(data))
		// The space before >> keeps a trailing digit from being read as a handle
		// number; the decoder ignores it.
		out = append(out, "echo "+base64.StdEncoding.EncodeToString(data[:k])+` >> "`+path+`"`)
		data = data[k:]
	}
	return out
}

// restoreScript decodes the uploaded base64 file into the script file and removes
// the base64 file. Its first line is the marker the lab recognises.
func restoreScript(id string) string {
	return "# ssisha-upload: restore\n" +
		"$ErrorActionPreference = 'Stop'\n" +
		"$src = Join-Path $env:TEMP 'ssisha-" + id + ".b64'\n" +
		"$dst = Join-Path $env:TEMP 'ssisha-" + id + ".ps1'\n" +
		"$b64 = ((Get-Content -LiteralPath $src) | ForEach-Object { $_.Trim() }) -join ''\n" +
		"[IO.File]::WriteAllBytes($dst, [Convert]::FromBase64String($b64))\n" +
		"Remove-Item -LiteralPath $src -Force\n"
}

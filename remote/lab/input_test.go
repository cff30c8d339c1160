package lab

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
)

// TestUploadedPFXIsOnDisk: a certificate import whose PFX is in the text of an
// uploaded script leaves the key in a file on the node, and the lab says so; the
// same import with the PFX on stdin leaves nothing, whether the script ran from the
// command line or from an uploaded file.
func TestUploadedPFXIsOnDisk(t *testing.T) {
	const file = `%TEMP%\ssisha-0123456789abcdef.ps1`
	for _, tc := range []struct {
		name    string
		onStdin bool
		file    string
		want    int
	}{
		{"in the uploaded text", false, file, 1},
		{"on stdin, uploaded text", true, file, 0},
		{"on stdin, command line", true, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := healthyEstate(t)
			e.Nodes[fxNode1].Certs[estate.StoreRoot][fxMasterThumb].Exportable = true
			l := newTestLab(t, e, Options{})
			pw := script.NewSecret("pfx-password", "Pfx-Pa55")
			exp := script.PowerShell{Op: "cert.export", Params: map[string]any{"thumbprint": fxMasterThumb}, Input: map[string]any{"password": pw}, Body: "'{}'"}
			o := l.runCommand(context.Background(), fxNode1, `CONTOSO\dba`, wsman.Command{ShellID: "S1", Script: exp.Render(), Stdin: strings.NewReader(string(exp.InputBytes()))})
			var out struct{ PFX string }
			if err := json.Unmarshal(o.Stdout, &out); o.Exit != 0 || err != nil || len(out.PFX) < 3000 {
				t.Fatalf("export: exit %d %s %v (a real PFX is over 3000 base64 characters: %d)", o.Exit, o.ErrorMsg, err, len(out.PFX))
			}
			l.Estate(func(e *estate.Estate) { delete(e.Nodes[fxNode2].Certs[estate.StoreRoot], fxMasterThumb) })

			imp := script.PowerShell{Op: "cert.import", Params: map[string]any{"thumbprint": fxMasterThumb, "pfx": out.PFX, "password": pw}, Body: "'{}'"}
			if tc.onStdin {
				imp.Params = map[string]any{"thumbprint": fxMasterThumb}
				imp.Input = map[string]any{"pfx": out.PFX, "password": pw}
			}
			cmd := wsman.Command{ShellID: "S1", Script: imp.Render(), File: tc.file, Stdin: strings.NewReader(string(imp.InputBytes()))}
			if o := l.runCommand(context.Background(), fxNode2, `CONTOSO\dba`, cmd); o.Exit != 0 {
				t.Fatalf("import: %s", o.ErrorMsg)
			}
			l.Estate(func(e *estate.Estate) {
				if c := e.Nodes[fxNode2].Certs[estate.StoreRoot][fxMasterThumb]; c == nil || !c.HasPrivateKey {
					t.Errorf("node2 has %+v", c)
				}
				if w := e.Nodes[fxNode2].PrivateKeyWrites; len(w) != tc.want || (tc.want > 0 && !strings.HasPrefix(w[0], file)) {
					t.Errorf("private key written to %v, want %d file(s)", w, tc.want)
				}
				if w := e.Nodes[fxNode1].PrivateKeyWrites; len(w) != 0 {
					t.Errorf("export wrote the key to %v", w)
				}
			})
		})
	}
}

// TestSecretOnCommandLineIsRecorded: a script whose text carries the operator's
// password puts it on powershell.exe's command line, where local administrators
// and process-creation auditing see it, and the lab records that (by the secret's
// name); the same script with the password as a Secret parameter sends it on stdin
// and leaves nothing to record.
func TestSecretOnCommandLineIsRecorded(t *testing.T) {
	e := healthyEstate(t)
	l := newTestLab(t, e, Options{})
	pw := l.Secrets()[envvar.WinRMPassword]
	if pw == "" {
		t.Fatal("the lab has no operator password")
	}
	in := script.PowerShell{Op: "win.facts", Params: map[string]any{"runAsUser": `CONTOSO\dba`, "runAsPassword": script.NewSecret("operator-password", pw)}, Body: "'{}'"}
	if strings.Contains(in.Render(), pw) {
		t.Fatal("the rendered script carries the password in its text")
	}
	// What the script was before secrets left the text: the password in the
	// parameters line.
	inText := in.Render()
	inText = strings.Replace(inText, `"runAsUser"`, `"runAsPassword":"`+pw+`","runAsUser"`, 1)
	for _, tc := range []struct {
		name    string
		cmd     wsman.Command
		exposed bool
	}{
		{"in the text", wsman.Command{ShellID: "S1", Script: inText, Stdin: strings.NewReader(string(in.InputBytes()))}, true},
		{"on stdin", wsman.Command{ShellID: "S1", Script: in.Render(), Stdin: strings.NewReader(string(in.InputBytes()))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.Estate(func(e *estate.Estate) { e.Nodes[fxNode1].SecretsExposed = nil })
			l.runCommand(context.Background(), fxNode1, `CONTOSO\dba`, tc.cmd)
			l.Estate(func(e *estate.Estate) {
				got := e.Nodes[fxNode1].SecretsExposed
				if (len(got) > 0) != tc.exposed {
					t.Fatalf("exposures %v, want some: %v", got, tc.exposed)
				}
				for _, g := range got {
					if strings.Contains(g, pw) || !strings.HasPrefix(g, "powershell.exe command line (win.facts): ") {
						t.Errorf("exposure %q: want where and the secret's name, never its value", g)
					}
				}
				if tc.exposed && !slices.ContainsFunc(got, func(g string) bool { return strings.HasSuffix(g, ": "+envvar.WinRMPassword) }) {
					t.Errorf("exposures %v do not name %s", got, envvar.WinRMPassword)
				}
			})
		})
	}
}

// TestConsoleStdinIsNoPipe: a script that reads its stdin to the end gets its input
// only on a pipe; a command that asked for console-mode stdin fails and says why,
// where on Windows it would wait until stopped. A script that reads no stdin runs
// either way.
func TestConsoleStdinIsNoPipe(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	reads := script.PowerShell{Op: "win.node.facts", Params: map[string]any{"setupMedia": script.NewSecret("x", "y")}, Body: "'{}'"}
	plain := script.PowerShell{Op: "win.node.facts", Params: map[string]any{"setupMedia": "y"}, Body: "'{}'"}
	for _, tc := range []struct {
		name    string
		s       script.PowerShell
		console bool
		fails   bool
	}{
		{"reads stdin, console", reads, true, true},
		{"reads stdin, pipe", reads, false, false},
		{"no stdin, console", plain, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := wsman.Command{ShellID: "S1", Script: tc.s.Render(), Stdin: strings.NewReader(string(tc.s.InputBytes())), ConsoleStdin: tc.console}
			o := l.runCommand(context.Background(), fxNode1, `CONTOSO\dba`, cmd)
			if failed := o.Exit != 0; failed != tc.fails || (tc.fails && !strings.Contains(o.ErrorMsg, "WINRS_CONSOLEMODE_STDIN")) {
				t.Fatalf("exit %d %q, want failure: %v", o.Exit, o.ErrorMsg, tc.fails)
			}
		})
	}
}

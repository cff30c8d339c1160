package clients_test

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// whoamiOp answers with the account the node authenticated.
const whoamiOp = "clients.whoami"

// stdinOp answers with the parameter named secret, which its script reads from stdin.
const stdinOp = "clients.stdin"

func init() {
	testOps.AddPS(whoamiOp, func(c *estate.OpContext, _ estate.Params) (any, error) { return "whoami:" + c.User, nil })
	testOps.AddPS(stdinOp, func(_ *estate.OpContext, p estate.Params) (any, error) { return "secret:" + p.String("secret"), nil })
}

// TestPyWinRMStdin feeds a script's stdin with pywinrm's own protocol calls (two
// Sends, the last with End) before it asks for the output: the lab runs the script
// once its input has ended and the script reads the parameters from it, as ssisha's
// scripts with Input do.
func TestPyWinRMStdin(t *testing.T) {
	py := needPython(t, "winrm, xmltodict")
	f := startLab(t, lab.Options{})
	const envInput = "LAB_CLIENT_STDIN"
	s := script.PowerShell{Op: stdinOp, Input: map[string]any{"secret": script.NewSecret("stdin-secret", "Stdin-Pa55-é")}, Body: "$r = 1"}
	url := "https://" + f.ep.Nodes[0].WinRM + "/wsman"
	env := append(f.env(), envInput+"="+string(s.InputBytes()))
	out, err := run(t, env, "", py, testdata(t, "python/pywinrm_stdin.py"), url, f.ep.AdminUser, envWindowsPassword, f.ep.CAFile, s.Render(), envInput)
	if err != nil || lineOf(out, "exit ") != "exit 0" || !strings.Contains(out, "secret:Stdin-Pa55-é") {
		t.Fatalf("pywinrm with stdin: %v\n%s", err, out)
	}
}

// TestPyWinRM runs PowerShell on a node with pywinrm over HTTPS, the lab CA
// verified: NTLM works; Basic is refused (401) until the lab enables it, and then
// takes the node's local administrator but not a domain account; a wrong password
// gets 401.
func TestPyWinRM(t *testing.T) {
	py := needPython(t, "winrm")
	script := testdata(t, "python/pywinrm_shell.py")
	ps := "# ssisha-op: " + whoamiOp + "\n"
	shellAs := func(t *testing.T, f *fixture, user, transport, passVar string) string {
		t.Helper()
		url := "https://" + f.ep.Nodes[0].WinRM + "/wsman"
		_, localPW := f.lab.LocalAdmin(f.ep.Nodes[0].Host)
		out, err := run(t, append(f.env(), envLocalPassword+"="+localPW), "", py, script, url, user, passVar, transport, f.ep.CAFile, ps)
		if err != nil {
			t.Fatalf("pywinrm %s: %v\n%s", transport, err, out)
		}
		return out
	}
	shell := func(t *testing.T, f *fixture, transport, passVar string) string {
		t.Helper()
		return shellAs(t, f, f.ep.AdminUser, transport, passVar)
	}
	f := startLab(t, lab.Options{})
	t.Run("ntlm", func(t *testing.T) {
		out := shell(t, f, "ntlm", envWindowsPassword)
		if lineOf(out, "exit ") != "exit 0" || !strings.Contains(out, "whoami:"+f.domain) {
			t.Fatalf("pywinrm over NTLM:\n%s", out)
		}
	})
	t.Run("ntlm wrong password", func(t *testing.T) {
		if out := shell(t, f, "ntlm", envWrongPassword); lineOf(out, "refused") == "" {
			t.Fatalf("a wrong password was not refused with 401:\n%s", out)
		}
	})
	t.Run("basic off by default", func(t *testing.T) {
		local, _ := f.lab.LocalAdmin(f.ep.Nodes[0].Host)
		if out := shellAs(t, f, local, "basic", envLocalPassword); lineOf(out, "refused") == "" {
			t.Fatalf("Basic was accepted on a lab that did not enable it:\n%s", out)
		}
	})
	t.Run("basic when enabled", func(t *testing.T) {
		fb := startLab(t, lab.Options{WinRMBasic: true})
		local, _ := fb.lab.LocalAdmin(fb.ep.Nodes[0].Host)
		want := "whoami:" + strings.ReplaceAll(local, `\`, `\\`) // the operation answers in JSON
		if out := shellAs(t, fb, local, "basic", envLocalPassword); lineOf(out, "exit ") != "exit 0" || !strings.Contains(out, want) {
			t.Fatalf("pywinrm over Basic as the local admin on a lab that enabled it:\n%s", out)
		}
		if out := shell(t, fb, "basic", envWindowsPassword); lineOf(out, "refused") == "" {
			t.Fatalf("Basic took a domain account:\n%s", out)
		}
	})
}

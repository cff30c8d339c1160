package lab

import (
	"context"
	"github.com/ssisha/ssisha/envvar"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/remote/winrm"
)

// TestWinRMBasicTakesOnlyTheNodesLocalAdmin runs PowerShell over Basic: with Basic
// enabled, a node's local administrator gets in and the domain's admin, with its
// right password, gets 401, as on Windows; with Basic off, nobody does.
func TestWinRMBasicTakesOnlyTheNodesLocalAdmin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(l *Lab, user, password string) error {
		cfg := labConfig(t, l)
		pw := script.NewSecret("basic-password", password)
		cfg.WinRM.Auth, cfg.WinRM.User, cfg.WinRM.Password = "basic", user, pw
		cfg.Redactor = script.NewRedactor(pw)
		ws, err := winrm.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		_, err = ws.PowerShell(ctx, fxNode1, script.PowerShell{Op: "test.echo", Body: "x"})
		return err
	}
	on := newTestLab(t, healthyEstate(t), Options{WinRMBasic: true})
	local, pw := on.LocalAdmin(fxNode1)
	if local != `NODE1\labadmin` {
		t.Errorf("local admin %q, want NODE1\\labadmin", local)
	}
	if _, pw2 := on.LocalAdmin(fxNode2); pw2 == pw || pw2 == "" {
		t.Error("the nodes' local administrators share a password")
	}
	if err := run(on, local, pw); err != nil {
		t.Errorf("Basic as the node's local admin: %v", err)
	}
	if err := run(on, `.\`+LocalAdminAccount, pw); err != nil {
		t.Errorf(`Basic as .\labadmin: %v`, err)
	}
	other, otherPW := on.LocalAdmin(fxNode2)
	if err := run(on, other, otherPW); err == nil {
		t.Error("node1 accepted node2's local admin over Basic")
	}
	if err := run(on, on.Endpoints().AdminUser, on.Secrets()[envvar.WinRMPassword]); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Basic as a domain account: %v, want a 401", err)
	}
	off := newTestLab(t, healthyEstate(t), Options{})
	local, pw = off.LocalAdmin(fxNode1)
	if err := run(off, local, pw); err == nil {
		t.Error("Basic accepted on a lab that did not enable it")
	}
}

package lab

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

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

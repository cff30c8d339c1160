package estate

import (
	"testing"
	"time"
)

func TestAPFXThroughAFileLeavesTheKeyOnDisk(t *testing.T) {
	for code, want := range map[string]int{
		"Export-PfxCertificate -Cert $cert -FilePath $tmp -Password $pw":                                  1,
		"$cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $p.password)": 0,
	} {
		e := NewEstate(SeedOptions{})
		winInstallMaster(t, e, "node1.contoso.com")
		n := e.Node("node1.contoso.com")
		thumb := n.SSLBindings["0.0.0.0:8391"]
		fn, _ := NewOperations().PowerShell("cert.export")
		c := NewOpContext(e, n, e.Domain+`\`+AdminAccount, false, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), nil)
		c.Script = code
		if _, err := fn(c, Params{"thumbprint": thumb, "password": "pw"}); err != nil {
			t.Fatal(err)
		}
		if len(n.PrivateKeyWrites) != want {
			t.Errorf("%s: private key written to %v", code, n.PrivateKeyWrites)
		}
	}
}

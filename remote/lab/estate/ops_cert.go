package estate

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Certificate operations: the master certificate is made on the primary, moved to
// LocalMachine\Root, and carried to every other master node as a PFX.

// masterCertFriendlyName marks the certificate ssisha makes for the master.
const masterCertFriendlyName = "SSISScaleOutMaster"

// Certificate store names as the estate keys them.
const (
	StoreMy   = `LocalMachine\My`
	StoreRoot = `LocalMachine\Root`
)

// certOps adds the operations of this file to t.
func certOps(t *Operations) {
	t.AddPS("cert.get", certGet)
	t.AddPS("cert.create", certCreate)
	t.AddPS("cert.copy.root", certCopyRoot)
	t.AddPS("cert.remove", certRemove)
	t.AddPS("cert.export", certExport)
	t.AddPS("cert.import", certImport)
}

func certInfo(ct *Cert, store string) map[string]any {
	names := append([]string{}, ct.DNSNames...)
	return map[string]any{
		"thumbprint":    ct.Thumbprint,
		"store":         store,
		"subject":       ct.Subject,
		"dnsNames":      names,
		"friendlyName":  ct.FriendlyName,
		"hasPrivateKey": ct.HasPrivateKey,
		"exportable":    ct.HasPrivateKey && ct.Exportable,
		"notAfter":      ct.NotAfter.UTC().Format(time.RFC3339Nano),
	}
}

// certStore returns a node's store, creating it when missing.
func certStore(n *Node, store string) map[string]*Cert {
	if n.Certs == nil {
		n.Certs = map[string]map[string]*Cert{}
	}
	if n.Certs[store] == nil {
		n.Certs[store] = map[string]*Cert{}
	}
	return n.Certs[store]
}

func certHasName(ct *Cert, name string) bool {
	for _, d := range ct.DNSNames {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

func certGet(c *OpContext, p Params) (any, error) {
	thumb := strings.ToUpper(p.String("thumbprint"))
	dns := p.String("dnsName")
	out := []map[string]any{}
	for _, store := range []string{StoreMy, StoreRoot} {
		certs := c.Node.Certs[store]
		for _, k := range sortedKeys(certs) {
			ct := certs[k]
			if (thumb != "" && ct.Thumbprint == thumb) || (thumb == "" && ct.FriendlyName == masterCertFriendlyName && certHasName(ct, dns)) {
				out = append(out, certInfo(ct, store))
			}
		}
	}
	return map[string]any{"certs": out}, nil
}

func certCreate(c *OpContext, p Params) (any, error) {
	subject, friendly := p.String("subject"), p.String("friendlyName")
	root := certStore(c.Node, StoreRoot)
	for _, k := range sortedKeys(root) {
		ct := root[k]
		if ct.HasPrivateKey && ct.FriendlyName == friendly && ct.Subject == subject && ct.NotAfter.After(c.Now.AddDate(0, 0, 30)) {
			return map[string]any{"thumbprint": ct.Thumbprint, "created": false}, nil
		}
	}
	names := p.Strings("dnsNames")
	if len(names) == 0 {
		return nil, errorf("New-SelfSignedCertificate : Cannot validate argument on parameter 'DnsName'. The argument is null or empty.")
	}
	years := p.Int("years")
	if years <= 0 {
		years = 1
	}
	sum := sha1.Sum([]byte(fmt.Sprintf("%s|%s|%d", c.Node.Host, subject, c.nextSeq())))
	ct := &Cert{
		Thumbprint:    strings.ToUpper(hex.EncodeToString(sum[:])),
		Subject:       subject,
		DNSNames:      append([]string{}, names...),
		HasPrivateKey: true,
		Exportable:    true,
		NotAfter:      c.Now.AddDate(years, 0, 0).UTC().Truncate(time.Second),
		FriendlyName:  friendly,
	}
	c.Sleep(4 * time.Second)
	mine := *ct
	certStore(c.Node, StoreMy)[ct.Thumbprint] = &mine
	root[ct.Thumbprint] = ct
	return map[string]any{"thumbprint": ct.Thumbprint, "created": true}, nil
}

func certCopyRoot(c *OpContext, p Params) (any, error) {
	thumb := strings.ToUpper(p.String("thumbprint"))
	ct := certStore(c.Node, StoreMy)[thumb]
	if ct == nil {
		return nil, errorf("certificate %s is not in LocalMachine\\My on %s", thumb, sqlServerNameOf(c.Node))
	}
	if !ct.HasPrivateKey {
		return nil, errorf("certificate %s on %s has no private key, so it cannot serve HTTPS", thumb, sqlServerNameOf(c.Node))
	}
	root := certStore(c.Node, StoreRoot)
	if root[thumb] == nil {
		if !ct.Exportable {
			return nil, errorf("Export-PfxCertificate : Cannot export non-exportable private key.")
		}
		c.Sleep(2 * time.Second)
		cp := *ct
		cp.DNSNames = append([]string{}, ct.DNSNames...)
		root[thumb] = &cp
	}
	return map[string]any{"thumbprint": thumb}, nil
}

func certRemove(c *OpContext, p Params) (any, error) {
	thumb := strings.ToUpper(p.String("thumbprint"))
	removed := []string{}
	for _, s := range p.Strings("stores") {
		store := `LocalMachine\` + s
		if certs := c.Node.Certs[store]; certs != nil && certs[thumb] != nil {
			delete(certs, thumb)
			removed = append(removed, store)
		}
	}
	return map[string]any{"thumbprint": thumb, "removed": removed}, nil
}

// labPFX is what the lab's PFX files hold: the certificate and a hash of the password
// that protects its key.
type labPFX struct {
	Format       string    `json:"format"`
	Thumbprint   string    `json:"thumbprint"`
	Subject      string    `json:"subject"`
	DNSNames     []string  `json:"dnsNames"`
	NotAfter     time.Time `json:"notAfter"`
	FriendlyName string    `json:"friendlyName"`
	PasswordHash string    `json:"passwordHash"`
	// Key stands for the encrypted bags: as many bytes as a real PKCS#12 of a
	// 2048-bit RSA key and its certificate takes, and as incompressible, so a script carrying the PFX is
	// as long on the wire as it is against Windows.
	Key []byte `json:"key"`
}

// labPFXKeySize is about the size of Export-PfxCertificate's output for a 2048-bit
// RSA certificate with its key.
const labPFXKeySize = 2500

// labPFXKey returns the stand-in key bytes of thumb's PFX: pseudo-random, so they do
// not compress, and derived from the thumbprint, so the lab stays deterministic.
func labPFXKey(thumb string) []byte {
	seed := sha256.Sum256([]byte(labPFXFormat + "|key|" + thumb))
	key := make([]byte, labPFXKeySize)
	_, _ = rand.NewChaCha8(seed).Read(key)
	return key
}

const labPFXFormat = "ssisha-lab-pfx-1"

func pfxPasswordHash(thumb, password string) string {
	sum := sha256.Sum256([]byte(labPFXFormat + "|" + thumb + "|" + password))
	return hex.EncodeToString(sum[:])
}

// noteUploadedSecret records the script file a client uploaded to the node's %TEMP%
// when the parameter named param travelled inside it: the file holds the key (or
// what unlocks it) on disk while the script runs, and after, if the session dies
// before the client deletes it. A parameter sent on the command's stdin never
// reaches a file.
func (c *OpContext) noteUploadedSecret(param, what string) {
	if c.ScriptFile != "" && slices.Contains(c.ScriptFileParams, param) {
		c.Node.PrivateKeyWrites = append(c.Node.PrivateKeyWrites, fmt.Sprintf("%s (%s)", c.ScriptFile, what))
	}
}

// notePFXFile records the temporary PFX file a script writes when it goes through
// one (Export-PfxCertificate or Import-PfxCertificate with -FilePath, or the bytes
// written out first) rather than exporting or importing in memory.
func (c *OpContext) notePFXFile(what string) {
	if strings.Contains(c.Script, "-FilePath") || strings.Contains(c.Script, "WriteAllBytes") {
		c.Node.PrivateKeyWrites = append(c.Node.PrivateKeyWrites, fmt.Sprintf(`%%TEMP%%\ssisha-%d.pfx (%s)`, c.nextSeq(), what))
	}
}

func certExport(c *OpContext, p Params) (any, error) {
	thumb := strings.ToUpper(p.String("thumbprint"))
	ct := certStore(c.Node, StoreRoot)[thumb]
	if ct == nil {
		ct = certStore(c.Node, StoreMy)[thumb]
	}
	if ct == nil {
		return nil, errorf("certificate %s is not on %s", thumb, sqlServerNameOf(c.Node))
	}
	if !ct.HasPrivateKey || !ct.Exportable {
		return nil, errorf("Export-PfxCertificate : Cannot export non-exportable private key.")
	}
	c.Sleep(2 * time.Second)
	c.notePFXFile("export")
	data, err := json.Marshal(labPFX{
		Format: labPFXFormat, Thumbprint: ct.Thumbprint, Subject: ct.Subject, DNSNames: ct.DNSNames,
		NotAfter: ct.NotAfter, FriendlyName: ct.FriendlyName, PasswordHash: pfxPasswordHash(ct.Thumbprint, p.String("password")),
		Key: labPFXKey(ct.Thumbprint),
	})
	if err != nil {
		return nil, err
	}
	pfx := base64.StdEncoding.EncodeToString(data)
	c.Estate.ExportedPFX = append(c.Estate.ExportedPFX, pfx)
	return map[string]any{"thumbprint": thumb, "pfx": pfx}, nil
}

func certImport(c *OpContext, p Params) (any, error) {
	thumb := strings.ToUpper(p.String("thumbprint"))
	root := certStore(c.Node, StoreRoot)
	if ct := root[thumb]; ct != nil && ct.HasPrivateKey {
		return map[string]any{"thumbprint": thumb, "hasPrivateKey": true}, nil
	}
	raw, err := base64.StdEncoding.DecodeString(p.String("pfx"))
	var pfx labPFX
	if err == nil {
		err = json.Unmarshal(raw, &pfx)
	}
	if err != nil || pfx.Format != labPFXFormat {
		return nil, errorf("Import-PfxCertificate : The PFX file you are trying to import is not valid.")
	}
	if pfx.PasswordHash != pfxPasswordHash(pfx.Thumbprint, p.String("password")) {
		return nil, errorf("Import-PfxCertificate : The specified network password is not correct. (Exception from HRESULT: 0x80070056)")
	}
	if pfx.Thumbprint != thumb {
		return nil, errorf("the imported certificate is %s, not the expected %s", pfx.Thumbprint, thumb)
	}
	c.Sleep(2 * time.Second)
	c.notePFXFile("import")
	c.noteUploadedSecret("pfx", "uploaded import script holding the PFX")
	root[thumb] = &Cert{
		Thumbprint: pfx.Thumbprint, Subject: pfx.Subject, DNSNames: append([]string{}, pfx.DNSNames...),
		HasPrivateKey: true, Exportable: true, NotAfter: pfx.NotAfter, FriendlyName: pfx.FriendlyName,
	}
	return map[string]any{"thumbprint": thumb, "hasPrivateKey": true}, nil
}

package winrm

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/ssisha/ssisha/remote"
)

// kerberosAuth holds one logged-in Kerberos client for every node, so each SOAP
// message costs a service ticket from the cache, not a fresh login.
type kerberosAuth struct {
	cl *client.Client
}

// newKerberosAuth loads krb5.conf and the credentials (credential cache, keytab, or
// user and password, in that order of preference).
func newKerberosAuth(o remote.WinRMOptions) (*kerberosAuth, error) {
	path := o.KrbConfig
	if path == "" {
		path = os.Getenv("KRB5_CONFIG")
	}
	if path == "" {
		path = "/etc/krb5.conf"
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("connection.winrm.krbConfig: cannot load %s: %w; give the krb5.conf that names the domain's KDCs", path, err)
	}
	user, realm := o.User, o.KrbRealm
	if d, u, ok := strings.Cut(user, `\`); ok {
		user = u
		// A NetBIOS domain is not a realm (CONTOSO's is CONTOSO.COM): krb5.conf's
		// default realm comes first.
		if realm == "" {
			realm = cfg.LibDefaults.DefaultRealm
		}
		if realm == "" {
			realm = strings.ToUpper(d)
		}
	} else if u, d, ok := strings.Cut(user, "@"); ok {
		user = u
		if realm == "" {
			realm = strings.ToUpper(d)
		}
	}
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if o.KrbCCache == "" && o.KrbKeytab == "" && o.Password.IsZero() {
		// kinit's ticket, as MIT tools find it.
		o.KrbCCache = strings.TrimPrefix(os.Getenv("KRB5CCNAME"), "FILE:")
	}
	var cl *client.Client
	switch {
	case o.KrbCCache != "":
		cc, err := credentials.LoadCCache(o.KrbCCache)
		if err != nil {
			return nil, fmt.Errorf("connection.winrm.krbCCache: cannot read %s: %w; run kinit or give a keytab", o.KrbCCache, err)
		}
		cl, err = client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
		if err != nil {
			return nil, fmt.Errorf("connection.winrm.krbCCache: %s holds no usable ticket: %w; run kinit again", o.KrbCCache, err)
		}
	case o.KrbKeytab != "":
		kt, err := keytab.Load(o.KrbKeytab)
		if err != nil {
			return nil, fmt.Errorf("connection.winrm.krbKeytab: cannot read %s: %w", o.KrbKeytab, err)
		}
		if user == "" || realm == "" {
			return nil, fmt.Errorf("connection.winrm.user: a keytab needs the user and realm it holds keys for")
		}
		cl = client.NewWithKeytab(user, realm, kt, cfg, client.DisablePAFXFAST(true))
	default:
		if user == "" || o.Password.IsZero() {
			return nil, fmt.Errorf("connection.winrm.user: Kerberos needs a credential cache, a keytab, or a user and password")
		}
		if realm == "" {
			return nil, fmt.Errorf("connection.winrm.krbRealm: no realm given and krb5.conf names no default_realm")
		}
		cl = client.NewWithPassword(user, realm, o.Password.Reveal(), cfg, client.DisablePAFXFAST(true))
	}
	return &kerberosAuth{cl: cl}, nil
}

// doer sends requests with a SPNEGO token for spn (HTTP/<node>).
func (k *kerberosAuth) doer(hc *http.Client, spn string) func(*http.Request) (*http.Response, error) {
	sc := spnego.NewClient(k.cl, hc, spn)
	return sc.Do
}

// Package probe answers the network questions validation and preflight ask from the
// machine ssisha runs on: does a name resolve, does a port answer, which names does
// the TLS certificate behind a port carry. Every probe takes a context and a timeout,
// so the wizard can run many at once in the background and drop the ones it no longer
// needs.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// DefaultTimeout bounds a probe when the caller gives none.
const DefaultTimeout = 5 * time.Second

func bounded(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return context.WithTimeout(ctx, timeout)
}

// Resolve returns the addresses name resolves to from this machine.
func Resolve(ctx context.Context, name string, timeout time.Duration) ([]string, error) {
	ctx, cancel := bounded(ctx, timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("%s does not resolve from this machine: %w", name, err)
	}
	return addrs, nil
}

// TCP reports whether addr (host:port) accepts a connection within the timeout.
func TCP(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := bounded(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("nothing answers at %s: %w", addr, err)
	}
	return c.Close()
}

// Certificate is what a TLS server presents.
type Certificate struct {
	Subject  string
	Names    []string // DNS names of the subject alternative name, else the common name
	NotAfter time.Time
	// Verified is true when the chain verifies against roots for serverName.
	Verified bool
	// VerifyError says why it does not, when it does not.
	VerifyError string
}

// Has reports whether the certificate carries name (case-insensitive; a short name
// matches only itself, as TLS does).
func (c Certificate) Has(name string) bool {
	for _, n := range c.Names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// TLSCertificate connects to addr, reads the certificate the server presents for
// serverName, and says whether it verifies against roots (nil: the system roots). It
// reads the names even from a certificate that does not verify, since telling a DBA
// which names it carries is the point.
func TLSCertificate(ctx context.Context, addr, serverName string, roots *x509.CertPool, timeout time.Duration) (Certificate, error) {
	ctx, cancel := bounded(ctx, timeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{ServerName: serverName, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Certificate{}, fmt.Errorf("no TLS handshake with %s: %w", addr, err)
	}
	defer c.Close()
	state := c.(*tls.Conn).ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return Certificate{}, errors.New(addr + " presented no certificate")
	}
	leaf := state.PeerCertificates[0]
	out := Certificate{Subject: leaf.Subject.String(), Names: leaf.DNSNames, NotAfter: leaf.NotAfter}
	if len(out.Names) == 0 && leaf.Subject.CommonName != "" {
		out.Names = []string{leaf.Subject.CommonName}
	}
	inter := x509.NewCertPool()
	for _, ic := range state.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: serverName, Roots: roots, Intermediates: inter}); err != nil {
		out.VerifyError = err.Error()
	} else {
		out.Verified = true
	}
	return out, nil
}

package tds

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/ssisha/ssisha/remote/lab/internal/krbaccept"
	"github.com/ssisha/ssisha/remote/lab/internal/ntlmv2"
)

// conn is one client connection: setup (PRELOGIN, TLS, LOGIN7) here, requests in
// session.go.
type conn struct {
	srv  *Server
	nc   net.Conn
	raw  net.Conn      // nc with the sniffed first byte put back
	rw   io.ReadWriter // where TDS packets travel now: raw or a TLS connection
	size int
	sess Session
	tds  uint32 // the TDS version of LOGINACK
	// prepared holds the statements of sp_prepare and sp_prepexec by handle.
	prepared map[int32]string
	// closed is closed when the connection ends, to stop waits early.
	closed chan struct{}
}

// bufConn is a net.Conn whose reads go through a buffered reader, so a byte
// peeked to tell TLS from TDS is not lost.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func (c *conn) serve() error {
	c.closed = make(chan struct{})
	defer close(c.closed)
	br := bufio.NewReader(c.nc)
	c.raw = &bufConn{Conn: c.nc, r: br}
	c.rw = c.raw
	first, err := br.Peek(1)
	if err != nil {
		return err
	}
	opts := &c.srv.opts
	strict := first[0] == 0x16 // a TLS ClientHello: TDS 8.0
	switch {
	case strict && opts.TLS == nil:
		return errors.New("tds: TLS-first connection but the server has no certificate")
	case strict && opts.NoTDS8:
		return errors.New("tds: TLS-first connection to a release without TDS 8.0")
	case !strict && opts.Strict:
		return errors.New("tds: the server requires TDS 8.0 (encrypt=strict)")
	case strict:
		cfg := opts.TLS.Clone()
		cfg.NextProtos = []string{"tds/8.0"}
		tc := tls.Server(c.raw, cfg)
		if err := tc.Handshake(); err != nil {
			return err
		}
		c.rw = tc
		c.sess.Encrypted = true
	}
	loginOnlyTLS, err := c.prelogin(strict)
	if err != nil {
		return err
	}
	if c.srv.fault("login", c.closed) {
		return errors.New("tds: connection reset by an injected fault")
	}
	m, err := readMessage(c.rw)
	if err != nil {
		return err
	}
	if loginOnlyTLS {
		// With ENCRYPT_OFF the client encrypts LOGIN7 only and then drops TLS.
		c.rw = c.raw
		c.sess.Encrypted = false
	}
	if m.typ != pktLogin7 {
		return fmt.Errorf("tds: packet type %#x where LOGIN7 was expected", m.typ)
	}
	ok, err := c.login(m.data, strict)
	if err != nil || !ok {
		return err
	}
	return c.requests()
}

// prelogin answers PRELOGIN and, for TDS 7.x encryption, runs the TLS handshake
// inside PRELOGIN packets. It reports whether only LOGIN7 is encrypted.
func (c *conn) prelogin(strict bool) (loginOnlyTLS bool, err error) {
	m, err := readMessage(c.rw)
	if err != nil {
		return false, err
	}
	if m.typ != pktPrelogin {
		return false, fmt.Errorf("tds: packet type %#x where PRELOGIN was expected", m.typ)
	}
	opts, err := parsePrelogin(m.data)
	if err != nil {
		return false, err
	}
	client := byte(encryptOff)
	if e := opts[plEncryption]; len(e) == 1 {
		client = e[0]
	}
	srv := &c.srv.opts
	answer := byte(encryptNotSup)
	switch {
	case strict:
		answer = encryptReq // already encrypted: the client skips negotiation
	case srv.TLS == nil:
	case srv.RequireEncryption:
		answer = encryptReq
	case client == encryptOn || client == encryptReq:
		answer = encryptOn
	case client == encryptOff:
		answer = encryptOff
	}
	version, _ := parseVersion(srv.Version)
	if err := writeMessage(c.rw, pktReply, buildPrelogin(version, answer), c.size); err != nil {
		return false, err
	}
	if strict || answer == encryptNotSup {
		return false, nil
	}
	if client == encryptNotSup {
		return false, errors.New("tds: the server requires encryption but the client disabled it")
	}
	cfg := srv.TLS.Clone()
	// TLS 1.3 sends session tickets after the handshake, which the client would
	// read as raw TLS while they arrive wrapped in TDS; 1.2 without tickets avoids it.
	cfg.MaxVersion = tls.VersionTLS12
	cfg.SessionTicketsDisabled = true
	hc := &handshakeConn{Conn: c.raw, size: c.size}
	tc := tls.Server(hc, cfg)
	if err := tc.Handshake(); err != nil {
		return false, err
	}
	if err := hc.flush(); err != nil {
		return false, err
	}
	hc.passthrough = true
	c.rw = tc
	c.sess.Encrypted = true
	return answer == encryptOff, nil
}

// login authenticates LOGIN7 and answers it; ok is false when the login failed
// (the failure was sent) and the connection must end.
func (c *conn) login(payload []byte, strict bool) (ok bool, err error) {
	l, err := parseLogin7(payload)
	if err != nil {
		return false, err
	}
	srv := &c.srv.opts
	c.tds = agreedVersion(l.TDSVersion)
	if strict || l.TDSVersion == tdsVersionStrict {
		c.tds = tdsVersionStrict
	}
	c.sess.Database = l.Database
	c.sess.ReadOnlyIntent = l.ReadOnly
	switch {
	case l.Integrated && srv.Kerberos != nil && krbaccept.IsKerberos(l.SSPI):
		c.sess.Windows = true
		user, good := c.kerberos(l.SSPI)
		c.sess.User = user
		if !good {
			return false, c.loginFailed(user)
		}
	case l.Integrated && srv.DisableNTLM:
		return false, c.untrustedDomain()
	case l.Integrated:
		user, good, err := c.ntlm(l.SSPI)
		if err != nil {
			return false, err
		}
		c.sess.User, c.sess.Windows = user, true
		if !good {
			return false, c.loginFailed(user)
		}
	default:
		c.sess.User = l.UserName
		if srv.PasswordFor != nil {
			want, known := srv.PasswordFor(l.UserName, false)
			if !known || want != l.Password {
				return false, c.loginFailed(l.UserName)
			}
		}
	}
	size := int(l.PacketSize)
	if size == 0 {
		size = defaultPacketSize
	}
	size = max(512, min(size, 32767))
	if c.sess.Encrypted {
		size = min(size, 16383)
	}
	db := l.Database
	if db == "" {
		db = "master"
	}
	t := c.tokens()
	t.envChangeString(envDatabase, db, "master")
	t.message(tokInfo, 5701, 2, 0, fmt.Sprintf("Changed database context to '%s'.", db), srv.ServerName)
	// The server collation and language, which clients need before they send
	// varchar parameters.
	t.envChangeBytes(envCollation, collation, nil)
	t.envChangeString(envLanguage, "us_english", "")
	t.message(tokInfo, 5703, 1, 0, "Changed language setting to us_english.", srv.ServerName)
	t.loginAck(c.tds, func() uint32 { _, v := parseVersion(srv.Version); return v }())
	t.packetSize(size)
	t.done(tokDone, doneFinal, 0, 0)
	if err := c.write(t); err != nil {
		return false, err
	}
	c.size = size
	return true, nil
}

// kerberos verifies a Kerberos ticket for this instance and returns DOMAIN\user
// (the realm's first label is the NetBIOS domain) and whether the account may log
// in. The lab asks for no mutual authentication, so nothing goes back but the
// login's answer.
func (c *conn) kerberos(token []byte) (user string, ok bool) {
	srv := &c.srv.opts
	var spns []string
	if srv.HostNames != nil {
		_, port, _ := net.SplitHostPort(c.nc.LocalAddr().String())
		for _, h := range srv.HostNames() {
			spns = append(spns, "MSSQLSvc/"+h+":"+port, "MSSQLSvc/"+h)
		}
	}
	principal, _, err := srv.Kerberos.Accept(token, spns, c.nc.RemoteAddr())
	if err != nil {
		return "", false
	}
	name, realm, _ := strings.Cut(principal, "@")
	domain, _, _ := strings.Cut(realm, ".")
	user = strings.ToUpper(domain) + `\` + name
	if srv.PasswordFor != nil {
		if _, known := srv.PasswordFor(user, true); !known {
			return user, false
		}
	}
	return user, true
}

// untrustedDomain refuses an NTLM login where the domain has NTLM off, with the
// error SQL Server gives.
func (c *conn) untrustedDomain() error {
	t := c.tokens()
	t.message(tokError, 18452, 1, 14, "Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.", c.srv.opts.ServerName)
	t.done(tokDone, doneError, 0, 0)
	return c.write(t)
}

// ntlm runs the NTLM exchange carried in SSPI tokens and returns DOMAIN\user and
// whether its proof matches the password.
func (c *conn) ntlm(negotiate []byte) (user string, ok bool, err error) {
	srv := &c.srv.opts
	n := &ntlmServer{domain: srv.Domain, computer: srv.ServerName}
	if n.domain == "" {
		n.domain = "LAB"
	}
	// SSPI clients may wrap NTLM in SPNEGO (Negotiate); the challenge goes back
	// wrapped the same way.
	negotiate, wrapped, err := ntlmv2.Unwrap(negotiate)
	if err != nil {
		return "", false, err
	}
	challenge, err := n.challengeMessage(negotiate)
	if err != nil {
		return "", false, err
	}
	if wrapped {
		challenge = ntlmv2.WrapChallenge(challenge)
	}
	var t tokens
	t.u8(tokSSPI)
	t.u16(uint16(len(challenge)))
	t.Write(challenge)
	if err := writeMessage(c.rw, pktReply, t.Bytes(), c.size); err != nil {
		return "", false, err
	}
	m, err := readMessage(c.rw)
	if err != nil {
		return "", false, err
	}
	if m.typ != pktSSPI {
		return "", false, fmt.Errorf("tds: packet type %#x where the NTLM AUTHENTICATE was expected", m.typ)
	}
	authenticate, _, err := ntlmv2.Unwrap(m.data)
	if err != nil {
		return "", false, err
	}
	a, err := parseAuthenticate(authenticate)
	if err != nil {
		return "", false, err
	}
	user = a.Domain + `\` + a.User
	if srv.PasswordFor == nil {
		return user, true, nil
	}
	pw, known := srv.PasswordFor(user, true)
	if !known {
		// Domains are matched without regard to case, as Windows does.
		pw, known = srv.PasswordFor(strings.ToUpper(a.Domain)+`\`+a.User, true)
	}
	return user, known && n.verify(a, pw), nil
}

// loginFailed sends error 18456 the way SQL Server does: the reason stays in
// the server's log, the client only learns that the login failed.
func (c *conn) loginFailed(user string) error {
	t := c.tokens()
	t.message(tokError, 18456, 1, 14, fmt.Sprintf("Login failed for user '%s'.", user), c.srv.opts.ServerName)
	t.done(tokDone, doneError, 0, 0)
	return c.write(t)
}

// tokens starts a reply in the layouts of the agreed TDS version.
func (c *conn) tokens() *tokens { return &tokens{tds: c.tds} }

// write sends a reply.
func (c *conn) write(t *tokens) error { return writeMessage(c.rw, pktReply, t.Bytes(), c.size) }

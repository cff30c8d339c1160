package tds

import (
	"fmt"
	"net"
)

// handshakeConn carries TLS handshake records inside TDS PRELOGIN messages, the
// way TDS 7.x negotiates encryption; once the handshake ends it passes bytes
// straight through, because the client then speaks TLS directly on TCP.
type handshakeConn struct {
	net.Conn
	size        int
	in          []byte
	out         []byte
	passthrough bool
}

func (c *handshakeConn) Read(b []byte) (int, error) {
	if c.passthrough {
		return c.Conn.Read(b)
	}
	if err := c.flush(); err != nil {
		return 0, err
	}
	for len(c.in) == 0 {
		m, err := readMessage(c.Conn)
		if err != nil {
			return 0, err
		}
		if m.typ != pktPrelogin {
			return 0, fmt.Errorf("tds: packet type %#x during the TLS handshake, expected PRELOGIN", m.typ)
		}
		c.in = m.data
	}
	n := copy(b, c.in)
	c.in = c.in[n:]
	return n, nil
}

func (c *handshakeConn) Write(b []byte) (int, error) {
	if c.passthrough {
		return c.Conn.Write(b)
	}
	c.out = append(c.out, b...)
	return len(b), nil
}

// flush sends the buffered handshake flight as one PRELOGIN message.
func (c *handshakeConn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	out := c.out
	c.out = nil
	return writeMessage(c.Conn, pktPrelogin, out, c.size)
}

package tds

import (
	"encoding/binary"
	"fmt"
	"io"
)

// TDS packet types the server reads or writes.
const (
	pktSQLBatch  = 0x01
	pktRPC       = 0x03
	pktReply     = 0x04
	pktAttention = 0x06
	pktTransMgr  = 0x0E
	pktLogin7    = 0x10
	pktSSPI      = 0x11
	pktPrelogin  = 0x12
)

const (
	headerLen = 8
	statusEOM = 0x01
	// maxMessage bounds what one client message may allocate, so a hostile
	// length field cannot exhaust memory.
	maxMessage = 64 << 20
	// defaultPacketSize is what both sides use until LOGIN7 negotiates another.
	defaultPacketSize = 4096
)

// message is one client request: the payloads of its packets up to EOM.
type message struct {
	typ  byte
	data []byte
}

// readMessage reads packets until one carries EOM and joins their payloads.
func readMessage(r io.Reader) (message, error) {
	var hdr [headerLen]byte
	var m message
	first := true
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if !first && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return m, err
		}
		n := int(binary.BigEndian.Uint16(hdr[2:4]))
		if n < headerLen {
			return m, fmt.Errorf("tds: packet length %d is shorter than its header", n)
		}
		if first {
			m.typ = hdr[0]
			first = false
		} else if hdr[0] != m.typ {
			return m, fmt.Errorf("tds: packet type changed from %#x to %#x inside one message", m.typ, hdr[0])
		}
		if len(m.data)+n-headerLen > maxMessage {
			return m, fmt.Errorf("tds: message longer than %d bytes", maxMessage)
		}
		start := len(m.data)
		m.data = append(m.data, make([]byte, n-headerLen)...)
		if _, err := io.ReadFull(r, m.data[start:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return m, err
		}
		if hdr[1]&statusEOM != 0 {
			return m, nil
		}
	}
}

// writeMessage sends data as one message of type typ, split into packets of at
// most size bytes; each packet goes out in one Write so TLS records and TCP
// segments line up with packets as SQL Server's do.
func writeMessage(w io.Writer, typ byte, data []byte, size int) error {
	if size < 512 {
		size = 512
	}
	chunk := size - headerLen
	id := byte(1)
	pkt := make([]byte, 0, size)
	for {
		n := min(len(data), chunk)
		last := n == len(data)
		status := byte(0)
		if last {
			status = statusEOM
		}
		pkt = pkt[:headerLen]
		pkt[0], pkt[1] = typ, status
		binary.BigEndian.PutUint16(pkt[2:4], uint16(headerLen+n))
		pkt[4], pkt[5] = 0, 51 // SPID, shown by clients that log it
		pkt[6], pkt[7] = id, 0
		pkt = append(pkt, data[:n]...)
		if _, err := w.Write(pkt); err != nil {
			return err
		}
		data = data[n:]
		if last {
			return nil
		}
		id++
	}
}

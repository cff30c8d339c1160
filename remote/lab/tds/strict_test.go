package tds

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/labca"
)

// TestStrictOnlyWhereTheReleaseHasTDS8 opens TLS-first (TDS 8.0) connections: a
// server playing SQL Server 2022 completes the handshake with ALPN tds/8.0; one
// playing an older release closes the connection without a TLS or TDS answer.
func TestStrictOnlyWhereTheReleaseHasTDS8(t *testing.T) {
	ca, err := labca.New("test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("node1.contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		noTDS8 bool
	}{{"2022", false}, {"2019", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewServer(Options{ServerName: "NODE1", TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, NoTDS8: tc.noTDS8})
			if err := srv.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = srv.Close() })
			nc, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			tc2 := tls.Client(nc, &tls.Config{ServerName: "node1.contoso.com", RootCAs: ca.Pool(), NextProtos: []string{"tds/8.0"}})
			err = tc2.Handshake()
			switch {
			case tc.noTDS8 && err == nil:
				t.Fatal("a release without TDS 8.0 completed a TLS-first handshake")
			case tc.noTDS8:
				var buf [1]byte
				if n, _ := nc.Read(buf[:]); n != 0 {
					t.Fatalf("the server answered a TLS-first connection with %d bytes; it must close it", n)
				}
			case err != nil:
				t.Fatalf("TDS 8.0 handshake: %v", err)
			case tc2.ConnectionState().NegotiatedProtocol != "tds/8.0":
				t.Fatalf("ALPN %q, want tds/8.0", tc2.ConnectionState().NegotiatedProtocol)
			}
		})
	}
}

package probe

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/labca"
)

func TestResolve(t *testing.T) {
	addrs, err := Resolve(context.Background(), "localhost", time.Second)
	if err != nil || len(addrs) == 0 {
		t.Fatalf("localhost: %v %v", addrs, err)
	}
	if _, err := Resolve(context.Background(), "no-such-host.invalid", time.Second); err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Errorf("an unknown name: %v", err)
	}
}

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	if err := TCP(context.Background(), addr, time.Second); err != nil {
		t.Errorf("open port: %v", err)
	}
	_ = l.Close()
	if err := TCP(context.Background(), addr, time.Second); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("closed port: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := TCP(ctx, "127.0.0.1:9", time.Second); err == nil {
		t.Error("a cancelled probe succeeded")
	}
}

func TestTLSCertificate(t *testing.T) {
	ca, err := labca.New("probe test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("node1.contoso.com", "node1")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); _ = c.Close() }()
		}
	}()
	got, err := TLSCertificate(context.Background(), l.Addr().String(), "node1.contoso.com", ca.Pool(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Verified || !got.Has("NODE1.contoso.com") || !got.Has("node1") || got.Has("ssismaster") {
		t.Errorf("certificate = %+v", got)
	}
	// Another CA: the names are still read, and the verification error says why.
	other, _ := labca.New("other CA")
	got, err = TLSCertificate(context.Background(), l.Addr().String(), "node1.contoso.com", other.Pool(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verified || got.VerifyError == "" || !got.Has("node1.contoso.com") {
		t.Errorf("with a foreign CA: %+v", got)
	}
}

// Package labkdc runs a real MIT Kerberos KDC (Debian's krb5-kdc) on loopback for
// the lab's Kerberos tests: a realm made at start in a temporary directory, with
// the krb5.conf a client needs, user principals with passwords and service
// principals whose keys go to one keytab the lab's servers read.
package labkdc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Programs are the MIT Kerberos programs the KDC needs; Debian's krb5-kdc,
// krb5-admin-server and krb5-user packages install them.
var Programs = []string{"krb5kdc", "kdb5_util", "kadmin.local", "kinit"}

// ErrMissing says the KDC programs are not installed.
var ErrMissing = errors.New("labkdc: the MIT Kerberos KDC is not installed (apt-get install krb5-kdc krb5-admin-server krb5-user)")

// KDC is a running realm.
type KDC struct {
	Realm string
	// Dir holds the database, the configuration and the keytab.
	Dir string
	// Config is the krb5.conf that points clients at this KDC (KRB5_CONFIG).
	Config string
	// Keytab holds the keys of every service principal added with AddService.
	Keytab string
	// Addr is the KDC's 127.0.0.1:port (TCP and UDP).
	Addr string

	env  []string
	cmd  *exec.Cmd
	done chan error
}

// Find returns the path of every program the KDC needs, or ErrMissing.
func Find() (map[string]string, error) {
	paths := map[string]string{}
	for _, p := range Programs {
		path, err := exec.LookPath(p)
		if err != nil {
			for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
				if _, serr := os.Stat(filepath.Join(dir, p)); serr == nil {
					path, err = filepath.Join(dir, p), nil
					break
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s not found", ErrMissing, p)
		}
		paths[p] = path
	}
	return paths, nil
}

// Start creates realm (e.g. CONTOSO.COM) in dir, mapping the DNS domain
// dnsDomain (e.g. contoso.com) to it, and starts its KDC on a free loopback port.
func Start(dir, realm, dnsDomain string) (*KDC, error) {
	if _, err := Find(); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	k := &KDC{Realm: strings.ToUpper(realm), Dir: dir, Config: filepath.Join(dir, "krb5.conf"),
		Keytab: filepath.Join(dir, "services.keytab"), Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	profile := filepath.Join(dir, "kdc.conf")
	krb5conf := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	udp_preference_limit = 1
	default_ccache_name = FILE:%[3]s
[realms]
	%[1]s = {
		kdc = %[2]s
	}
[domain_realm]
	.%[4]s = %[1]s
	%[4]s = %[1]s
`, k.Realm, k.Addr, filepath.Join(dir, "ccache"), strings.ToLower(dnsDomain))
	kdcconf := fmt.Sprintf(`[kdcdefaults]
	kdc_ports = %[2]d
	kdc_tcp_ports = %[2]d
[realms]
	%[1]s = {
		database_name = %[3]s
		key_stash_file = %[4]s
		acl_file = %[5]s
		kdc_listen = 127.0.0.1:%[2]d
		kdc_tcp_listen = 127.0.0.1:%[2]d
		max_life = 10h
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}
[logging]
	kdc = FILE:%[6]s
`, k.Realm, port, filepath.Join(dir, "principal"), filepath.Join(dir, "stash"), filepath.Join(dir, "kadm5.acl"), filepath.Join(dir, "kdc.log"))
	for name, text := range map[string]string{k.Config: krb5conf, profile: kdcconf, filepath.Join(dir, "kadm5.acl"): ""} {
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			return nil, fmt.Errorf("labkdc: %w", err)
		}
	}
	k.env = append(os.Environ(), "KRB5_CONFIG="+k.Config, "KRB5_KDC_PROFILE="+profile)
	master := randomPassword()
	if _, err := k.run(master+"\n"+master+"\n", "kdb5_util", "create", "-s", "-r", k.Realm); err != nil {
		return nil, err
	}
	k.cmd = exec.Command("krb5kdc", "-n", "-r", k.Realm, "-P", filepath.Join(dir, "krb5kdc.pid"))
	k.cmd.Env = k.env
	var out bytes.Buffer
	k.cmd.Stdout, k.cmd.Stderr = &out, &out
	if err := k.cmd.Start(); err != nil {
		return nil, fmt.Errorf("labkdc: starting krb5kdc: %w", err)
	}
	k.done = make(chan error, 1)
	go func() { k.done <- k.cmd.Wait() }()
	if err := k.waitReady(); err != nil {
		_ = k.Close()
		return nil, fmt.Errorf("%w\n%s", err, out.String())
	}
	return k, nil
}

// StartForTest starts a realm in a temporary directory for t and stops it when t
// ends. Without the KDC programs it skips t with a message, or fails it when
// CI=true, so that CI cannot pass without having met a KDC.
func StartForTest(t testing.TB, realm, dnsDomain string) *KDC {
	t.Helper()
	k, err := Start(t.TempDir(), realm, dnsDomain)
	if errors.Is(err, ErrMissing) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Kerberos KDC missing in CI: %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

// AddUser adds a user principal (e.g. dba) with a password.
func (k *KDC) AddUser(name, password string) error {
	// The password goes on stdin, never on a command line.
	_, err := k.run(password+"\n"+password+"\n", "kadmin.local", "-r", k.Realm, "-q", "addprinc "+name+"@"+k.Realm)
	return err
}

// AddService adds a service principal (e.g. HTTP/node1.contoso.com) with a random
// key and writes its key to the keytab.
func (k *KDC) AddService(spn string) error {
	p := spn + "@" + k.Realm
	if _, err := k.run("", "kadmin.local", "-r", k.Realm, "-q", "addprinc -randkey "+p); err != nil {
		return err
	}
	_, err := k.run("", "kadmin.local", "-r", k.Realm, "-q", fmt.Sprintf("ktadd -k %s %s", k.Keytab, p))
	return err
}

// Kinit gets user's ticket-granting ticket into the credential cache ccache.
func (k *KDC) Kinit(user, password, ccache string) error {
	cmd := exec.Command("kinit", "-c", ccache, user+"@"+k.Realm)
	cmd.Env = k.env
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("labkdc: kinit %s: %w\n%s", user, err, out)
	}
	return nil
}

// Env is the environment that points MIT Kerberos tools at this realm.
func (k *KDC) Env() []string { return append([]string(nil), k.env...) }

// Close stops the KDC; the directory is the caller's.
func (k *KDC) Close() error {
	if k.cmd == nil || k.cmd.Process == nil {
		return nil
	}
	_ = k.cmd.Process.Kill()
	<-k.done
	k.cmd = nil
	return nil
}

// run runs an MIT tool against this realm; kadmin.local reports some failures
// only in its output, so those fail too.
func (k *KDC) run(stdin, program string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = k.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err == nil && program == "kadmin.local" && bytes.Contains(out, []byte("while ")) && !bytes.Contains(out, []byte("No policy specified")) {
		err = errors.New("kadmin.local reported an error")
	}
	if err != nil {
		return string(out), fmt.Errorf("labkdc: %s %s: %w\n%s", program, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// waitReady waits until the KDC accepts TCP connections.
func (k *KDC) waitReady() error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-k.done:
			k.done <- err
			return fmt.Errorf("labkdc: krb5kdc exited: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", k.Addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("labkdc: krb5kdc did not listen within 20s")
}

// freePort finds a loopback port free for both TCP and UDP.
func freePort() (int, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("labkdc: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = pc.Close()
		return port, nil
	}
	return 0, errors.New("labkdc: no loopback port is free for both TCP and UDP")
}

func randomPassword() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/probe"
	"github.com/ssisha/ssisha/steps/answers"
)

// reachLine is one result of checkReach: mark is ok, warn or FAIL.
type reachLine struct {
	mark, what, detail string
}

// checkReach probes, from this machine and all at once, what ssisha itself connects
// to: every node's WinRM port (and, over HTTPS, that its certificate carries the
// node's name and verifies against the CA ssisha will use) and every master's SQL
// port. The listener only exists after step 4, so it is a warning when it does not
// answer.
func checkReach(ctx context.Context, ans *answers.Answers) []reachLine {
	cfg := answers.RemoteConfig(ans, nil)
	roots := caPool(cfg.WinRM.CAFile)
	var jobs []func() reachLine
	for _, n := range cfg.Nodes {
		jobs = append(jobs, func() reachLine { return winrmReach(ctx, cfg, roots, n) })
		if n.SQLInstance != "" {
			sqlAddr := hostPort(n.SQLAddress, n.Host, n.SQLPort, 1433)
			jobs = append(jobs, func() reachLine { return tcpLine(ctx, n.Host+" SQL Server", sqlAddr, "FAIL") })
		}
	}
	l := cfg.Listener
	jobs = append(jobs, func() reachLine {
		return tcpLine(ctx, "listener "+l.Host, hostPort(l.SQLAddress, l.Host, l.SQLPort, 1433), "warn")
	})
	out := make([]reachLine, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { out[i] = j() })
	}
	wg.Wait()
	return out
}

// caPool reads the CA file ssisha verifies WinRM certificates against; nil means the
// system roots.
func caPool(file string) *x509.CertPool {
	if file == "" {
		return nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return roots
}

// winrmReach checks one node's WinRM port from this machine: that it answers and, over
// HTTPS, that its certificate carries the node's name and verifies.
func winrmReach(ctx context.Context, cfg remote.Config, roots *x509.CertPool, n remote.Endpoint) reachLine {
	addr := hostPort(n.WinRMAddress, n.Host, n.WinRMPort, map[bool]int{true: 5986, false: 5985}[cfg.WinRM.HTTPS])
	what := n.Host + " WinRM"
	if !cfg.WinRM.HTTPS {
		return tcpLine(ctx, what, addr, "FAIL")
	}
	c, err := probe.TLSCertificate(ctx, addr, n.Host, roots, 5*time.Second)
	switch {
	case err != nil:
		return reachLine{"FAIL", what, err.Error()}
	case !c.Has(n.Host):
		return reachLine{"FAIL", what, fmt.Sprintf("the certificate at %s names %v, not %s; give the WinRM listener a certificate for the node's name", addr, c.Names, n.Host)}
	case !c.Verified && !cfg.WinRM.Insecure:
		return reachLine{"FAIL", what, "the certificate does not verify: " + c.VerifyError + "; set connection.winrm.caFile to the CA that issued it"}
	}
	return reachLine{"ok", what, fmt.Sprintf("%s answers with a certificate for %s (expires %s)", addr, n.Host, c.NotAfter.Format("2006-01-02"))}
}

func tcpLine(ctx context.Context, what, addr, failMark string) reachLine {
	if err := probe.TCP(ctx, addr, 5*time.Second); err != nil {
		detail := err.Error()
		if failMark == "warn" {
			detail += " (expected until step 4 creates the listener)"
		}
		return reachLine{failMark, what, detail}
	}
	return reachLine{"ok", what, addr + " answers"}
}

func hostPort(address, host string, port, def int) string {
	if address == "" {
		address = host
	}
	if port == 0 {
		port = def
	}
	return net.JoinHostPort(address, strconv.Itoa(port))
}

package app

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

// Reach marks: the fact holds, is a concern, or is wrong.
const (
	ReachOK   = "ok"
	ReachWarn = "warn"
	ReachFail = "FAIL"
)

// ReachLine is one result of Reach.
type ReachLine struct {
	// Mark is ReachOK, ReachWarn or ReachFail.
	Mark string
	// What names the port checked ("node1 WinRM"); Detail says what was found.
	What, Detail string
}

// Reach probes, from this machine and all at once, what ssisha itself connects
// to: every node's WinRM port (and, over HTTPS, that its certificate carries the
// node's name and verifies against the CA ssisha will use) and every master's SQL
// port. The listener only exists after step 4, so it is a warning when it does not
// answer.
func Reach(ctx context.Context, ans *answers.Answers) []ReachLine {
	cfg := answers.RemoteConfig(ans, nil)
	roots := caPool(cfg.WinRM.CAFile)
	var jobs []func() ReachLine
	for _, n := range cfg.Nodes {
		jobs = append(jobs, func() ReachLine { return winrmReach(ctx, cfg, roots, n) })
		if n.SQLInstance != "" {
			sqlAddr := hostPort(n.SQLAddress, n.Host, n.SQLPort, 1433)
			jobs = append(jobs, func() ReachLine { return tcpLine(ctx, n.Host+" SQL Server", sqlAddr, ReachFail) })
		}
	}
	l := cfg.Listener
	jobs = append(jobs, func() ReachLine {
		return tcpLine(ctx, "listener "+l.Host, hostPort(l.SQLAddress, l.Host, l.SQLPort, 1433), ReachWarn)
	})
	out := make([]ReachLine, len(jobs))
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
func winrmReach(ctx context.Context, cfg remote.Config, roots *x509.CertPool, n remote.Endpoint) ReachLine {
	addr := hostPort(n.WinRMAddress, n.Host, n.WinRMPort, map[bool]int{true: 5986, false: 5985}[cfg.WinRM.HTTPS])
	what := n.Host + " WinRM"
	if !cfg.WinRM.HTTPS {
		return tcpLine(ctx, what, addr, ReachFail)
	}
	c, err := probe.TLSCertificate(ctx, addr, n.Host, roots, 5*time.Second)
	switch {
	case err != nil:
		return ReachLine{ReachFail, what, err.Error()}
	case !c.Has(n.Host):
		return ReachLine{ReachFail, what, fmt.Sprintf("the certificate at %s names %v, not %s; give the WinRM listener a certificate for the node's name", addr, c.Names, n.Host)}
	case !c.Verified && !cfg.WinRM.Insecure:
		return ReachLine{ReachFail, what, "the certificate does not verify: " + c.VerifyError + "; set connection.winrm.caFile to the CA that issued it"}
	}
	return ReachLine{ReachOK, what, fmt.Sprintf("%s answers with a certificate for %s (expires %s)", addr, n.Host, c.NotAfter.Format("2006-01-02"))}
}

func tcpLine(ctx context.Context, what, addr, failMark string) ReachLine {
	if err := probe.TCP(ctx, addr, 5*time.Second); err != nil {
		detail := err.Error()
		if failMark == ReachWarn {
			detail += " (expected until step 4 creates the listener)"
		}
		return ReachLine{failMark, what, detail}
	}
	return ReachLine{ReachOK, what, addr + " answers"}
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

package steps

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ssisha/ssisha/steps/answers"
)

// What a secondary's master is installed with, read from the primary before the
// primary's own master exists: the certificate step 2 made or was given, and the
// answers' account and port, which the primary's setup is given too. Reading the
// certificate rather than the installed master lets the two setups run at once;
// step 3's verification still compares the installed masters.

// usableMasterCert is the certificate of certs that the master would be bound to when
// ssisha generates it: in LocalMachine\Root with its key, valid, naming the access
// point, the latest to expire; ok is false when there is none.
func usableMasterCert(env *Env, certs []masterCertState) (best masterCertState, ok bool) {
	fqdn, short := accessPointNames(env.Answers)
	for _, c := range certs {
		if strings.EqualFold(c.Store, `LocalMachine\Root`) && c.HasPrivateKey && !c.expired(env.Clock()) && c.names(fqdn, short) && c.NotAfter > best.NotAfter {
			best = c
		}
	}
	return best, best.Thumbprint != ""
}

// readPrimaryCertificate is what a secondary takes from the primary: the installed
// master's certificate, account and port once it is installed; before that, the
// certificate step 2 placed for it with the answers' account and port. missing says
// what the primary lacks still.
func readPrimaryCertificate(ctx context.Context, env *Env) (primaryMasterFacts, string, error) {
	a := env.Answers
	host := a.Primary().Host
	m, err := readMasterNode(ctx, env, host)
	if err != nil {
		return primaryMasterFacts{}, "", err
	}
	if m.installed() && m.Settings != nil && m.Settings.SSLCertThumbprint != "" {
		pm := primaryMasterFacts{host: host, thumbprint: strings.ToUpper(m.Settings.SSLCertThumbprint), port: m.Settings.PortNumber}
		if m.Service != nil {
			pm.account = m.Service.StartName
		}
		return pm, "", nil
	}
	pm := primaryMasterFacts{host: host, account: a.MasterService.Account, port: strconv.Itoa(answersMasterPort(a))}
	if want := a.MasterService.Certificate.Thumbprint; want != "" && !a.MasterService.Certificate.Generate {
		pm.thumbprint = answers.NormalizeThumbprint(want)
		return pm, "", nil
	}
	fqdn, _ := accessPointNames(a)
	certs, err := readMasterCerts(ctx, env, host, "", fqdn)
	if err != nil {
		return primaryMasterFacts{}, "", err
	}
	c, ok := usableMasterCert(env, certs)
	if !ok {
		return primaryMasterFacts{}, fmt.Sprintf("the master certificate is not on the primary %s yet, and the secondaries take it", host), nil
	}
	pm.thumbprint = strings.ToUpper(c.Thumbprint)
	return pm, "", nil
}

// readMasterCertForWorkers is the master certificate workers trust and are installed
// with: the one MasterSettings.config on host names once the master is installed,
// and before that the one step 2 placed for it (readPrimaryCertificate), with the
// answers' port. Found is false while neither exists.
func readMasterCertForWorkers(ctx context.Context, env *Env, host string) (masterCert, error) {
	mc, err := readMasterCert(ctx, env, host)
	if err != nil || mc.Found {
		return mc, err
	}
	pm, missing, err := readPrimaryCertificate(ctx, env)
	if err != nil || missing != "" {
		return mc, err
	}
	var (
		certs []masterCertState
		cer   struct {
			Found bool   `json:"found"`
			Cer   string `json:"cer"`
		}
	)
	errs := concurrently(
		func() (err error) { certs, err = readMasterCerts(ctx, env, host, pm.thumbprint, ""); return err },
		func() error {
			if err := env.PS(ctx, host, psCertExport(pm.thumbprint), &cer); err != nil {
				return fmt.Errorf("reading the master certificate on %s: %w", host, err)
			}
			return nil
		},
	)
	for _, err := range errs {
		if err != nil {
			return mc, err
		}
	}
	c, ok := masterCertOnNode(certs)
	if !ok || !cer.Found {
		return mc, nil
	}
	return masterCert{Found: true, Thumbprint: pm.thumbprint, Port: pm.port, Subject: c.Subject, DNSNames: c.DNSNames, Cer: cer.Cer}, nil
}

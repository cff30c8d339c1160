package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// Step 2 installs Integration Services and the Scale Out Master on the primary node,
// under the domain account, with a certificate whose names include the master's client
// access point. The node's
// master itself is handled in master_node.go, which steps 3 and 7 share.

// NewPrimaryMasterStep returns step 2.
func NewPrimaryMasterStep() Step { return primaryMasterStep{} }

type primaryMasterStep struct{}

func (primaryMasterStep) ID() int       { return 2 }
func (primaryMasterStep) Title() string { return "Install Scale Out Master on the primary node" }
func (primaryMasterStep) Scope() Scope  { return Primary }

// masterAccountSecret is the master account's password under a fixed placeholder name.
func masterAccountSecret(env *Env) script.Secret {
	v := ""
	if env.Secrets != nil {
		v = env.Secrets.MasterAccountPassword.Reveal()
	}
	return script.NewSecret("master-account-password", v)
}

// masterCertNames are the names the master certificate carries: the access point (FQDN and
// short), the extra names, and every master node, so that workers trust it whichever
// name they use and wherever the role runs.
func masterCertNames(a *answers.Answers) []string {
	fqdn, short := accessPointNames(a)
	names := []string{fqdn}
	seen := map[string]bool{strings.ToLower(fqdn): true}
	add := func(n string) {
		if n != "" && !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			names = append(names, n)
		}
	}
	add(short)
	for _, n := range a.MasterService.Certificate.ExtraNames {
		add(n)
	}
	for _, m := range a.Masters {
		add(m.Host)
		add(hostShortName(m.Host))
	}
	return names
}

func (s primaryMasterStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	a := env.Answers
	p := &masterPlan{det: Detection{Facts: map[string]any{}}}
	m, err := readMasterNode(ctx, env, t.Host)
	if err != nil {
		return Detection{}, err
	}
	p.det.Facts = m.facts()
	fqdn, short := accessPointNames(a)
	tg := masterTarget{host: t.Host, setServiceStartup: "Automatic", certDNSName: fqdn}

	if want := a.MasterService.Certificate.Thumbprint; want != "" && !a.MasterService.Certificate.Generate {
		want = answers.NormalizeThumbprint(want)
		certs, err := readMasterCerts(ctx, env, t.Host, want, "")
		if err != nil {
			return Detection{}, err
		}
		root, inRoot := certInStore(certs, `LocalMachine\Root`)
		mine, inMy := certInStore(certs, `LocalMachine\My`)
		c := root
		if !inRoot {
			c = mine
		}
		switch {
		case !inRoot && !inMy:
			return p.block(fmt.Sprintf("certificate %s is not on %s", want, t.Host), "import it into LocalMachine\\My or LocalMachine\\Root on "+t.Host+" with its private key, or set masterService.certificate.generate: true"), nil
		case !c.HasPrivateKey && !(inMy && mine.HasPrivateKey):
			return p.block(fmt.Sprintf("certificate %s on %s has no private key, so the master cannot serve HTTPS with it", want, t.Host), "import the PFX with its private key, or let ssisha generate the certificate"), nil
		case !c.names(fqdn, short):
			// Pitfall: a node name instead of the access point in the certificate breaks
			// worker trust as soon as the role moves.
			return p.block(fmt.Sprintf("certificate %s names %s but not the master's access point %s; workers will not trust it after a failover", want, strings.Join(c.DNSNames, ", "), fqdn), "use a certificate whose names include "+fqdn+", or set masterService.certificate.generate: true"), nil
		case c.expired(env.Clock()):
			return p.block(fmt.Sprintf("certificate %s expired on %s", want, c.NotAfter), "renew it, or set masterService.certificate.generate: true"), nil
		}
		p.det.Facts["certificate"] = want
		if !inRoot || !root.HasPrivateKey {
			if !mine.Exportable {
				return p.block(fmt.Sprintf("certificate %s is only in LocalMachine\\My on %s and its private key is not exportable, so it cannot be placed in LocalMachine\\Root where setup and http.sys look", want, t.Host), "create a new certificate with an exportable key (or set masterService.certificate.generate: true); see \"Change the Scale Out Master certificate\""), nil
			}
			p.add(actCopyCertRoot.New("Copy certificate "+want+" with its key into LocalMachine\\Root",
				[]Command{PSCommand(t.Host, psMasterCertCopyToRoot(want))}, &certUndo{Thumbprint: want, Created: true}))
		}
		tg.thumbprint = want
	} else {
		certs, err := readMasterCerts(ctx, env, t.Host, "", fqdn)
		if err != nil {
			return Detection{}, err
		}
		if best, ok := usableMasterCert(env, certs); ok {
			tg.thumbprint = strings.ToUpper(best.Thumbprint)
			p.det.Facts["certificate"] = tg.thumbprint
		} else {
			p.det.Facts["certificate"] = "to be generated"
			// The thumbprint is only known once the certificate exists, so the hint
			// names how Undo finds it instead: ssisha's friendly name and the access
			// point, less the certificates that were there before.
			var before []string
			for _, c := range certs {
				before = append(before, strings.ToUpper(c.Thumbprint))
			}
			p.add(actCreateCert.New("Create the master certificate for "+strings.Join(masterCertNames(a), ", ")+" (exportable, LocalMachine\\My and Root)",
				[]Command{PSCommand(t.Host, psMasterCertCreate("CN="+fqdn, masterCertNames(a), masterCertFriendlyName, 5))},
				&certUndo{Created: true, DNSName: fqdn, FriendlyName: masterCertFriendlyName, ExistedBefore: before}))
		}
	}
	if planMaster(env, p, tg, m) {
		return p.det, nil
	}
	return p.finish(), nil
}

// Actions lists step 2's actions.
func (primaryMasterStep) Actions() []ActionType {
	return []ActionType{actCreateCert, actCopyCertRoot, actInstallMaster, actRebindCert, actOpenFirewall, actOpenReplicaPorts, actEnableHadr}
}

func (s primaryMasterStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	m, err := readMasterNode(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	thumb := ""
	if m.Settings != nil {
		thumb = strings.ToUpper(m.Settings.SSLCertThumbprint)
	}
	return verifyMasterNode(ctx, env, t.Host, m, thumb)
}

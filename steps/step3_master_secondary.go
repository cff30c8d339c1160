package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote/script"
)

// Step 3 installs the same master on every secondary node: the primary's certificate
// (carried over as a PFX through ssisha, never left on disk), the same account and
// port, and the service left stopped and Manual until the cluster role owns it.

// NewSecondaryMasterStep returns step 3.
func NewSecondaryMasterStep() Step { return secondaryMasterStep{} }

type secondaryMasterStep struct{}

func (secondaryMasterStep) ID() int       { return 3 }
func (secondaryMasterStep) Title() string { return "Install Scale Out Master on each secondary node" }
func (secondaryMasterStep) Scope() Scope  { return EachSecondary }

// primaryMasterFacts is what the secondaries copy from the primary.
type primaryMasterFacts struct {
	host       string
	thumbprint string
	account    string
	port       string
}

func readPrimaryMaster(ctx context.Context, env *Env) (primaryMasterFacts, string, error) {
	host := env.Answers.Primary().Host
	m, err := readMasterNode(ctx, env, host)
	if err != nil {
		return primaryMasterFacts{}, "", err
	}
	if !m.installed() || m.Settings == nil || m.Settings.SSLCertThumbprint == "" {
		return primaryMasterFacts{}, fmt.Sprintf("the Scale Out Master is not installed on the primary %s yet, and the secondaries take its certificate", host), nil
	}
	return primaryMasterFacts{host: host, thumbprint: strings.ToUpper(m.Settings.SSLCertThumbprint), account: m.Service.StartName, port: m.Settings.PortNumber}, "", nil
}

// readPrimaryAndSecondary reads the primary with readPrimary (its master, or only the
// certificate) and the secondary host's master at once. The primary's read error, or
// what it lacks, wins over the secondary's read error: without the primary's master
// there is nothing to compare with.
func readPrimaryAndSecondary(ctx context.Context, env *Env, host string, readPrimary func(context.Context, *Env) (primaryMasterFacts, string, error)) (pm primaryMasterFacts, missing string, m masterNodeState, err error) {
	errs := concurrently(
		func() (err error) { pm, missing, err = readPrimary(ctx, env); return err },
		func() (err error) { m, err = readMasterNode(ctx, env, host); return err },
	)
	switch {
	case errs[0] != nil:
		return pm, "", m, errs[0]
	case missing != "":
		return pm, missing, m, nil
	}
	return pm, "", m, errs[1]
}

func (s secondaryMasterStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	p := &masterPlan{det: Detection{Facts: map[string]any{}}}
	pm, missing, m, err := readPrimaryAndSecondary(ctx, env, t.Host, readPrimaryCertificate)
	if err != nil {
		return Detection{}, err
	}
	if missing != "" {
		return p.block(missing, "run step 2 first"), nil
	}
	p.det.Facts = m.facts()
	p.det.Facts["primaryThumbprint"] = pm.thumbprint
	p.det.Facts["primaryAccount"] = pm.account
	fqdn, _ := accessPointNames(env.Answers)

	certs, err := readMasterCerts(ctx, env, t.Host, pm.thumbprint, "")
	if err != nil {
		return Detection{}, err
	}
	if c, ok := certInStore(certs, `LocalMachine\Root`); !ok || !c.HasPrivateKey {
		src, err := readMasterCerts(ctx, env, pm.host, pm.thumbprint, "")
		if err != nil {
			return Detection{}, err
		}
		pc, ok := masterCertOnNode(src)
		switch {
		case !ok:
			return p.block(fmt.Sprintf("the primary's master certificate %s is not on %s any more", pm.thumbprint, pm.host), "run step 2 again"), nil
		case !pc.HasPrivateKey || !pc.Exportable:
			// Pitfall: a certificate setup made with a non-exportable key cannot reach the
			// secondaries; the documented way out is a new certificate.
			return p.block(fmt.Sprintf("the private key of the master certificate %s on %s is not exportable, so it cannot be copied to %s", pm.thumbprint, pm.host, t.Host),
				"follow \"Change the Scale Out Master certificate\": let ssisha generate one (masterService.certificate.generate: true), run step 2 again to rebind it, then this step"), nil
		}
		p.add(actImportCert.New(fmt.Sprintf("Copy the master certificate %s with its key from %s into LocalMachine\\Root on %s", pm.thumbprint, pm.host, t.Host),
			pfxTransferCommands(pm.host, t.Host, pm.thumbprint, script.NewSecret("master-pfx", ""), pfxTransferPassword(env, "")),
			&certUndo{Thumbprint: pm.thumbprint, From: pm.host}))
	}
	tg := masterTarget{host: t.Host, thumbprint: pm.thumbprint, certDNSName: fqdn, setServiceStartup: "Manual"}
	if planMaster(env, p, tg, m) {
		return p.det, nil
	}
	// Pitfall: before step 7 a running master on every node means several masters
	// writing to SSISDB at once. Leave it stopped until the cluster role starts it.
	if m.Service != nil && (m.Service.State != "Stopped" || strings.EqualFold(m.Service.StartMode, "Auto")) {
		role, err := readMasterRole(ctx, env, t.Host)
		if err != nil {
			return Detection{}, err
		}
		if role.Group == nil {
			p.drift = append(p.drift, fmt.Sprintf("the master service on %s is %s and %s before the cluster role exists", t.Host, m.Service.State, m.Service.StartMode))
			p.add(actStopUntilRole.New("Stop the master service and set it to Manual until the cluster role owns it",
				[]Command{PSCommand(t.Host, psServiceSet(env.Version.MasterService(), "Manual", "Stopped"))},
				&serviceUndo{StartMode: m.Service.StartMode, State: m.Service.State}))
		}
	}
	return p.finish(), nil
}

// Actions lists step 3's actions.
func (secondaryMasterStep) Actions() []ActionType {
	return []ActionType{actImportCert, actInstallMaster, actRebindCert, actOpenFirewall, actOpenReplicaPorts, actEnableHadr, actStopUntilRole}
}

func (s secondaryMasterStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	pm, missing, m, err := readPrimaryAndSecondary(ctx, env, t.Host, readPrimaryMaster)
	if err != nil {
		return nil, err
	}
	if missing != "" {
		return []Check{{Name: "Primary master", Status: CheckFailed, Detail: missing, Fix: "run step 2"}}, nil
	}
	checks, err := verifyMasterNode(ctx, env, t.Host, m, pm.thumbprint)
	if err != nil {
		return nil, err
	}
	same := func(name string, ok bool, detail, fix string) {
		st := CheckSuccess
		if !ok {
			st = CheckFailed
		}
		checks = append(checks, Check{Name: name, Status: st, Detail: detail, Fix: fix})
	}
	// Pitfall: different certificates, ports or accounts per node break failover silently.
	thumb, port, acct := "", "", ""
	if m.Settings != nil {
		thumb, port = strings.ToUpper(m.Settings.SSLCertThumbprint), m.Settings.PortNumber
	}
	if m.Service != nil {
		acct = m.Service.StartName
	}
	same("Same certificate as the primary", thumb == pm.thumbprint, "SSLCertThumbprint "+noneIfEmpty(thumb)+", primary "+pm.thumbprint, "run this step again to rebind")
	same("Same port as the primary", port == pm.port, "PortNumber "+noneIfEmpty(port)+", primary "+pm.port, "reinstall with the primary's port")
	same("Same account as the primary", SameAccount(acct, pm.account), noneIfEmpty(acct)+", primary "+pm.account, "use the primary's account")
	role, err := readMasterRole(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	if role.Group == nil && m.Service != nil {
		same("Master service idle until the cluster role exists", m.Service.State == "Stopped" && !strings.EqualFold(m.Service.StartMode, "Auto"),
			m.Service.State+", "+m.Service.StartMode, "run this step again (two running masters both write to SSISDB)")
	}
	return checks, nil
}

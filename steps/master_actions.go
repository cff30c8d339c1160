package steps

// The actions of the master on a node (steps 2 and 3): each declared once, with its
// apply, its undo and the undo data the journal keeps.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// pfxTransferPassword protects the PFX while it travels. Without SSISHA_PFX_PASSWORD a random
// one serves, good for this one transfer only.
func pfxTransferPassword(env *Env, fallback string) script.Secret {
	if env.Secrets != nil && !env.Secrets.PFXPassword.IsZero() {
		return script.NewSecret("pfx-password", env.Secrets.PFXPassword.Reveal())
	}
	return script.NewSecret("pfx-password", fallback)
}

func pfxTransferCommands(from, to, thumb string, pfx, password script.Secret) []Command {
	return []Command{
		PSCommand(from, psMasterCertExport(thumb, password)),
		PSCommand(to, psMasterCertImport(thumb, pfx, password)),
	}
}

func transferPassword() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("no randomness for the PFX password: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// The actions of the master on a node, which steps 2 and 3 share.
var (
	actCreateCert = &ActionDef[certUndo]{ActionInfo: ActionInfo{ID: "create-certificate", Kind: KindCreate,
		Summary: "Create the master certificate"}, Run: applyCreateCert, Reverse: undoCreateCert, Absorb: absorbCreateCert}
	actCopyCertRoot = &ActionDef[certUndo]{ActionInfo: ActionInfo{ID: "copy-certificate-to-root", Kind: KindCreate,
		Summary: "Copy the master certificate into LocalMachine\\Root"}, Run: applyCopyCertRoot, Reverse: undoCertInRoot}
	actImportCert = &ActionDef[certUndo]{ActionInfo: ActionInfo{ID: "import-certificate", Kind: KindCreate,
		Summary: "Copy the primary's master certificate to the node"}, Run: applyImportCert, Reverse: undoCertInRoot}
	actInstallMaster = &ActionDef[installUndo]{ActionInfo: ActionInfo{ID: "install-master", Kind: KindCreate, Installer: true,
		Summary: "Install Integration Services and the Scale Out Master"}, Run: applyInstallMaster, Reverse: undoInstallMaster, Absorb: absorbInstallMaster}
	actRebindCert = &ActionDef[rebindUndo]{ActionInfo: ActionInfo{ID: "rebind-certificate", Kind: KindChange,
		Summary: "Point the master at its certificate"}, Run: applyRebindCert, Reverse: undoRebindCert, Absorb: absorbRebindCert}
	actOpenFirewall = &ActionDef[firewallUndo]{ActionInfo: ActionInfo{ID: "open-firewall", Kind: KindCreate,
		Summary: "Open the firewall for the master port"}, Run: applyOpenFirewall, Reverse: undoOpenFirewall}
	actOpenReplicaPorts = &ActionDef[replicaFirewallUndo]{ActionInfo: ActionInfo{ID: "open-replica-ports", Kind: KindCreate,
		Summary: "Open the firewall for the replica's endpoint, instance and listener ports"}, Run: applyOpenReplicaPorts, Reverse: undoOpenReplicaPorts, Absorb: absorbReplicaPorts}
	actEnableHadr = &ActionDef[hadrUndo]{ActionInfo: ActionInfo{ID: "enable-alwayson", Kind: KindRestart,
		Summary: "Enable Always On availability groups"}, Run: applyEnableHadr, Reverse: undoEnableHadr}
	actStopUntilRole = &ActionDef[serviceUndo]{ActionInfo: ActionInfo{ID: "stop-master-until-clustered", Kind: KindChange,
		Summary: "Keep the master service stopped until the cluster role owns it"}, Run: applyStopUntilRole, Reverse: undoStopUntilRole, Absorb: absorbStopUntilRole}
)

// What a run of an action that repeats an interrupted one records (ActionDef.Absorb):
// the interrupted intent's hint was read before anything changed, so the values it
// holds from before are the estate's own, and what it meant to create may have been
// made in part.

// absorbCreateCert: a run killed after New-SelfSignedCertificate and before the copy
// into Root leaves a certificate the re-run's Detect counts as there before, and the
// re-run creates another. The interrupted hint finds both: ssisha's certificates for
// the access point that were not there before the first run (undoCreatedCertFromHint,
// which removes only what it finds).
func absorbCreateCert(interrupted, result certUndo) certUndo {
	if !interrupted.Created || interrupted.DNSName == "" {
		return result
	}
	return certUndo{Created: true, DNSName: interrupted.DNSName, FriendlyName: interrupted.FriendlyName, ExistedBefore: interrupted.ExistedBefore}
}

// absorbInstallMaster: setup killed after installing Integration Services leaves the
// re-run removing only IS_Master; the features the first run meant to add stay listed.
func absorbInstallMaster(interrupted, result installUndo) installUndo {
	result.Features = unionList(result.Features, interrupted.Features)
	return result
}

// absorbRebindCert: a bind killed after the settings file changed shows the re-run the
// new thumbprint as the previous one.
func absorbRebindCert(interrupted, result rebindUndo) rebindUndo {
	result.PreviousThumbprint = interrupted.PreviousThumbprint
	return result
}

// absorbReplicaPorts keeps the rules the interrupted run may have created before it
// died; removing a rule that is not there changes nothing.
func absorbReplicaPorts(interrupted, result replicaFirewallUndo) replicaFirewallUndo {
	result.Created = unionNames(result.Created, interrupted.Created)
	return result
}

// absorbStopUntilRole: a run killed after setting Manual and before stopping the
// service shows the re-run Manual as the start mode before.
func absorbStopUntilRole(interrupted, result serviceUndo) serviceUndo {
	if interrupted.StartMode == "" {
		return result
	}
	return interrupted
}

// certUndo is a master certificate an action placed: its thumbprint once known, and,
// for one ssisha creates, how to find it when only the hint was recorded.
type certUndo struct {
	Created bool `json:"created,omitempty"`
	// DNSName, FriendlyName and ExistedBefore find a created certificate whose
	// thumbprint was never recorded: ssisha's friendly name and the access point,
	// less the certificates that were there before.
	DNSName       string   `json:"dnsName,omitempty"`
	ExistedBefore []string `json:"existedBefore,omitempty"`
	FriendlyName  string   `json:"friendlyName,omitempty"`
	// From is the node the certificate is copied from (import-certificate).
	From       string `json:"from,omitempty"`
	Thumbprint string `json:"thumbprint,omitempty"`
}

// installUndo is what setup installed: the features to remove, and the certificate
// setup reports.
type installUndo struct {
	Features   string `json:"features,omitempty"`
	Thumbprint string `json:"thumbprint,omitempty"`
}

// rebindUndo is the certificate the master used before.
type rebindUndo struct {
	PreviousThumbprint string `json:"previousThumbprint"`
}

// firewallUndo says whether the action created the rule (an existing one is only
// enabled, and undo leaves it).
type firewallUndo struct {
	Created bool `json:"created"`
}

// replicaFirewallUndo names the rules the action created; rules that existed (only
// enabled) are left by undo.
type replicaFirewallUndo struct {
	Created []string `json:"created,omitempty"`
}

// hadrUndo says whether the action enabled Always On.
type hadrUndo struct {
	Enabled bool `json:"enabled"`
}

// serviceUndo is how the master service was before the action.
type serviceUndo struct {
	StartMode string `json:"startMode,omitempty"`
	State     string `json:"state,omitempty"`
}

func applyInstallMaster(ctx context.Context, env *Env, t Target, a Action, hint installUndo) (*installUndo, error) {
	// What setup adds is what Detect found missing, carried in the hint: reading the
	// node again here would cost a round trip and tell nothing new, since the step
	// re-detects just before it runs.
	features := hint.Features
	if features == "" {
		before, err := readMasterNode(ctx, env, t.Host)
		if err != nil {
			return nil, err
		}
		features = "IS_Master"
		if !before.ISInstalled {
			features = "IS,IS_Master"
		}
	}
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("installing the Scale Out Master on %s failed: %w; %s", t.Host, err, setupFailureHint(t.Host, err))
	}
	var out struct {
		ExitCode       int    `json:"exitCode"`
		RebootRequired bool   `json:"rebootRequired"`
		Thumbprint     string `json:"thumbprint"`
	}
	_ = json.Unmarshal(res[len(res)-1], &out)
	if out.RebootRequired {
		env.Say(t.Host, "setup finished and asks for a restart (exit code 3010); restart "+t.Host+" before the next step")
	}
	return &installUndo{Features: features, Thumbprint: out.Thumbprint}, nil
}

func undoInstallMaster(ctx context.Context, env *Env, t Target, u installUndo) error {
	features := u.Features
	if features == "" {
		features = "IS_Master"
	}
	if err := env.PS(ctx, t.Host, psMasterUninstall(env.Answers.SetupMedia, env.Version.Folder(), features, answersMasterPort(env.Answers)), nil); err != nil {
		return fmt.Errorf("uninstalling the Scale Out Master on %s failed: %w", t.Host, err)
	}
	return nil
}

func applyCreateCert(ctx context.Context, env *Env, t Target, a Action, _ certUndo) (*certUndo, error) {
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("creating the master certificate on %s failed: %w", t.Host, err)
	}
	var out struct {
		Thumbprint string `json:"thumbprint"`
		Created    bool   `json:"created"`
	}
	_ = json.Unmarshal(res[0], &out)
	return &certUndo{Thumbprint: out.Thumbprint, Created: out.Created}, nil
}

func undoCreateCert(ctx context.Context, env *Env, t Target, u certUndo) error {
	if u.Thumbprint == "" && u.DNSName != "" {
		return undoCreatedCertFromHint(ctx, env, t, u)
	}
	if u.Thumbprint == "" || !u.Created {
		return nil
	}
	return removeMasterCert(ctx, env, t, u.Thumbprint, []string{"My", "Root"})
}

// undoCreatedCertFromHint removes the master certificate a create-certificate action
// made when only its hint was recorded: the certificates carrying ssisha's friendly
// name and the access point that were not there when Detect looked.
func undoCreatedCertFromHint(ctx context.Context, env *Env, t Target, u certUndo) error {
	if !u.Created {
		return nil
	}
	before := map[string]bool{}
	for _, v := range u.ExistedBefore {
		before[strings.ToUpper(v)] = true
	}
	certs, err := readMasterCerts(ctx, env, t.Host, "", u.DNSName)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, c := range certs {
		thumb := strings.ToUpper(c.Thumbprint)
		if thumb == "" || before[thumb] || done[thumb] || c.FriendlyName != u.FriendlyName {
			continue
		}
		done[thumb] = true
		if err := removeMasterCert(ctx, env, t, c.Thumbprint, []string{"My", "Root"}); err != nil {
			return err
		}
	}
	return nil
}

func removeMasterCert(ctx context.Context, env *Env, t Target, thumb string, stores []string) error {
	if err := env.PS(ctx, t.Host, psMasterCertRemove(thumb, stores), nil); err != nil {
		return fmt.Errorf("removing certificate %s on %s failed: %w", thumb, t.Host, err)
	}
	return nil
}

func applyCopyCertRoot(ctx context.Context, env *Env, t Target, a Action, hint certUndo) (*certUndo, error) {
	if _, err := runCollect(ctx, env, a.Summary, a.Commands); err != nil {
		return nil, fmt.Errorf("copying the master certificate into LocalMachine\\Root on %s failed: %w", t.Host, err)
	}
	return &certUndo{Thumbprint: hint.Thumbprint, Created: true}, nil
}

// undoCertInRoot removes a certificate the action placed in LocalMachine\Root.
func undoCertInRoot(ctx context.Context, env *Env, t Target, u certUndo) error {
	if u.Thumbprint == "" {
		return nil
	}
	return removeMasterCert(ctx, env, t, u.Thumbprint, []string{"Root"})
}

// applyImportCert carries the PFX: export on the primary, the bytes through ssisha as
// a secret, import on the secondary. The commands are the plan's, with the secret
// values filled in; their displayed text is the same.
//
// Where the key is: both scripts export and import in memory, so no PFX file is
// ever written on either node. The PFX and its password travel on the commands'
// stdin (WS-Management Send), not in the script text, so neither is on a command
// line, and neither is in a script file: the import script without them fits a
// command line and is never uploaded, and if it were, only its text would be. The
// exported PFX comes back on the export command's stdout. A session that dies
// mid-transfer leaves nothing behind on either disk.
func applyImportCert(ctx context.Context, env *Env, t Target, a Action, hint certUndo) (*certUndo, error) {
	from, thumb := hint.From, hint.Thumbprint
	if from == "" || thumb == "" {
		return nil, fmt.Errorf("the certificate copy to %s does not say where from; run detect again", t.Host)
	}
	pw := pfxTransferPassword(env, transferPassword())
	if env.Redactor != nil {
		env.Redactor.Add(pw)
	}
	cmds := pfxTransferCommands(from, t.Host, thumb, script.Secret{}, pw)
	env.Say(from, a.Summary)
	var out struct {
		PFX string `json:"pfx"`
	}
	if err := env.PS(ctx, from, *cmds[0].PS, &out); err != nil {
		return nil, fmt.Errorf("exporting the master certificate %s on %s failed: %w", thumb, from, err)
	}
	pfx := script.NewSecret("master-pfx", out.PFX)
	if env.Redactor != nil {
		env.Redactor.Add(pfx)
	}
	cmds = pfxTransferCommands(from, t.Host, thumb, pfx, pw)
	env.Say(t.Host, a.Summary)
	var res struct {
		HasPrivateKey bool `json:"hasPrivateKey"`
	}
	if err := env.PS(ctx, t.Host, *cmds[1].PS, &res); err != nil {
		return nil, fmt.Errorf("importing the master certificate %s on %s failed: %w", thumb, t.Host, err)
	}
	if !res.HasPrivateKey {
		return &certUndo{Thumbprint: thumb}, fmt.Errorf("certificate %s on %s arrived without its private key; http.sys cannot use it. Remove it from LocalMachine\\Root and run this step again", thumb, t.Host)
	}
	return &certUndo{Thumbprint: thumb}, nil
}

func applyRebindCert(ctx context.Context, env *Env, t Target, a Action, _ rebindUndo) (*rebindUndo, error) {
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("binding the master certificate on %s failed: %w", t.Host, err)
	}
	var out rebindUndo
	_ = json.Unmarshal(res[0], &out)
	return &out, nil
}

func undoRebindCert(ctx context.Context, env *Env, t Target, u rebindUndo) error {
	prev := u.PreviousThumbprint
	if prev == "" {
		return fmt.Errorf("%w: the master on %s had no certificate before", ErrIrreversible, t.Host)
	}
	m, err := readMasterNode(ctx, env, t.Host)
	if err != nil {
		return err
	}
	if m.Settings == nil {
		return nil
	}
	if err := env.PS(ctx, t.Host, psMasterCertBind(m.Settings.Path, env.Version.MasterService(), prev, "", answersMasterPort(env.Answers)), nil); err != nil {
		return fmt.Errorf("binding the previous certificate %s on %s failed: %w; it may have been removed", prev, t.Host, err)
	}
	return nil
}

func applyOpenFirewall(ctx context.Context, env *Env, t Target, a Action, _ firewallUndo) (*firewallUndo, error) {
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("opening the firewall on %s failed: %w", t.Host, err)
	}
	var out firewallUndo
	_ = json.Unmarshal(res[0], &out)
	return &out, nil
}

func undoOpenFirewall(ctx context.Context, env *Env, t Target, u firewallUndo) error {
	if !u.Created {
		return nil
	}
	return env.PS(ctx, t.Host, psFirewallRemove(masterFirewallRule(answersMasterPort(env.Answers))), nil)
}

func applyOpenReplicaPorts(ctx context.Context, env *Env, t Target, a Action, _ replicaFirewallUndo) (*replicaFirewallUndo, error) {
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	u := &replicaFirewallUndo{}
	for _, r := range res {
		var out struct {
			Name    string `json:"name"`
			Created bool   `json:"created"`
		}
		if json.Unmarshal(r, &out) == nil && out.Created {
			u.Created = append(u.Created, out.Name)
		}
	}
	if err != nil {
		return u, fmt.Errorf("opening the firewall for the replica's ports on %s failed: %w", t.Host, err)
	}
	return u, nil
}

func undoOpenReplicaPorts(ctx context.Context, env *Env, t Target, u replicaFirewallUndo) error {
	for _, name := range u.Created {
		if err := env.PS(ctx, t.Host, psFirewallRemove(name), nil); err != nil {
			return fmt.Errorf("removing firewall rule %s on %s failed: %w", name, t.Host, err)
		}
	}
	return nil
}

func applyEnableHadr(ctx context.Context, env *Env, t Target, a Action, _ hadrUndo) (*hadrUndo, error) {
	if _, err := runCollect(ctx, env, a.Summary, a.Commands); err != nil {
		return nil, fmt.Errorf("enabling Always On on %s failed: %w", t.Host, err)
	}
	return &hadrUndo{Enabled: true}, nil
}

func undoEnableHadr(ctx context.Context, env *Env, t Target, u hadrUndo) error {
	if !u.Enabled {
		return nil
	}
	if err := env.PS(ctx, t.Host, psAlwaysOn(false, sqlServerInstanceOf(env.Answers, t.Host)), nil); err != nil {
		return fmt.Errorf("disabling Always On on %s failed: %w", t.Host, err)
	}
	return nil
}

func applyStopUntilRole(ctx context.Context, env *Env, t Target, a Action, _ serviceUndo) (*serviceUndo, error) {
	before, err := readMasterNode(ctx, env, t.Host)
	if err != nil {
		return nil, err
	}
	if _, err := runCollect(ctx, env, a.Summary, a.Commands); err != nil {
		return nil, fmt.Errorf("stopping the master service on %s failed: %w", t.Host, err)
	}
	u := &serviceUndo{}
	if before.Service != nil {
		u.StartMode, u.State = before.Service.StartMode, before.Service.State
	}
	return u, nil
}

func undoStopUntilRole(ctx context.Context, env *Env, t Target, u serviceUndo) error {
	if u.StartMode == "" {
		return nil
	}
	if err := env.PS(ctx, t.Host, psServiceSet(env.Version.MasterService(), setServiceStartup(u.StartMode), u.State), nil); err != nil {
		return fmt.Errorf("restoring the master service on %s failed: %w", t.Host, err)
	}
	return nil
}

// setupFailureHint says what to do after setup failed: fix what setup named when the
// script ran and reported it; when the connection dropped or timed out, setup may
// still be running on the node, and nothing it says is known yet.
func setupFailureHint(host string, err error) string {
	var se *remote.ScriptError
	if errors.As(err, &se) {
		return "fix the cause setup names and run this step again"
	}
	return "the connection to " + host + " was lost or timed out, so setup may still be running there: wait until it has ended (Summary.txt under Setup Bootstrap\\Log says how it went), then run apply again, which re-detects the node"
}

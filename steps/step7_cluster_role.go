package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
)

// Step 7 makes the master service a Generic Service role of the cluster whose client
// access point is the master's DNS name, so that exactly one master runs and workers
// reach it wherever it runs. The service is Manual on every node and runs only on the
// role's owner.

// The action IDs of step 7.
// The actions of step 7.
var (
	actServicesManual = &ActionDef[servicesUndo]{ActionInfo: ActionInfo{ID: "set-master-services-manual", Kind: KindChange,
		Summary: "Set the master service to Manual on every master node"}, Run: applyServicesManual, Reverse: undoServicesManual, Absorb: absorbServicesManual}
	actCreateRole = &ActionDef[roleUndo]{ActionInfo: ActionInfo{ID: "create-master-role", Kind: KindCreate,
		Summary: "Create the master's Generic Service role"}, Run: applyRole, Reverse: undoCreateRole}
	actStartRole = &ActionDef[roleUndo]{ActionInfo: ActionInfo{ID: "start-master-role", Kind: KindCreate,
		Summary: "Bring the master's role online"}, Run: applyRole, Reverse: undoStartRole}
)

// absorbServicesManual: a run killed after some master nodes were set to Manual leaves
// the re-run listing only the others; the interrupted hint holds every node's
// service as it was, and restoring a node already so changes nothing.
func absorbServicesManual(interrupted, result servicesUndo) servicesUndo {
	services := maps.Clone(result.Services)
	if services == nil {
		services = map[string]serviceUndo{}
	}
	maps.Copy(services, interrupted.Services)
	return servicesUndo{Services: services}
}

// servicesUndo is, per master node, how its master service was before the action.
type servicesUndo struct {
	Services map[string]serviceUndo `json:"services"`
}

// roleUndo names the role and says whether the action created it.
type roleUndo struct {
	Created bool   `json:"created"`
	Name    string `json:"name"`
	// ComputerObjectCreated: the access point's AD computer object did not exist before
	// the role (none pre-staged by AD admins), so undo deletes it; otherwise undo leaves
	// it, disabled, as the cluster does.
	ComputerObjectCreated bool `json:"computerObjectCreated,omitempty"`
	// CreatedAfter (the hint's, RFC 3339) is when Detect looked: when the run died
	// before saying, undo deletes the computer object only if AD created it since.
	CreatedAfter string `json:"createdAfter,omitempty"`
}

// Actions lists step 7's actions.
func (clusterRoleStep) Actions() []ActionType {
	return []ActionType{actServicesManual, actCreateRole, actStartRole}
}

// NewClusterRoleStep returns step 7.
func NewClusterRoleStep() Step { return clusterRoleStep{} }

type clusterRoleStep struct{}

func (clusterRoleStep) ID() int       { return 7 }
func (clusterRoleStep) Title() string { return "Generic Service role for the master in the cluster" }
func (clusterRoleStep) Scope() Scope  { return ClusterOnce }

func (s clusterRoleStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	a := env.Answers
	fqdn, short := accessPointNames(a)
	det := Detection{Facts: map[string]any{"accessPoint": short}}
	role, nodes, errs := readRoleAndMasters(ctx, env, t.Host)
	if errs[0] != nil {
		return Detection{}, errs[0]
	}
	if !role.ClusterExists {
		return blockedDetection(det, "there is no failover cluster on "+t.Host, "run step 1 first"), nil
	}
	// Pitfall: an access point that reuses the listener, the cluster or a node name
	// conflicts, and only works while master and SSISDB share a node.
	for _, other := range append([]string{a.AvailabilityGroup.Listener.DNSName, a.Cluster.Name}, a.MasterHosts()...) {
		if other != "" && strings.EqualFold(hostShortName(other), short) {
			return blockedDetection(det, fmt.Sprintf("masterService.dnsName %s reuses the name %s; the master needs its own network name", a.MasterService.DNSName, other),
				"choose a distinct name for masterService.dnsName (and a certificate that names it)"), nil
		}
	}
	services := map[string]masterNodeState{}
	var missing []string
	for i, h := range a.MasterHosts() {
		if errs[i+1] != nil {
			return Detection{}, errs[i+1]
		}
		m := nodes[i]
		services[h] = m
		if m.Service == nil {
			missing = append(missing, h)
		}
	}
	if len(missing) > 0 {
		return blockedDetection(det, fmt.Sprintf("service %s is missing on %s, so the role could not fail over there", env.Version.MasterService(), strings.Join(missing, ", ")), "run steps 2 and 3 first"), nil
	}
	// Pitfall: the access point missing from the certificate breaks worker trust.
	primary := a.Primary().Host
	if set := services[primary].Settings; set != nil && set.SSLCertThumbprint != "" {
		certs, err := readMasterCerts(ctx, env, primary, strings.ToUpper(set.SSLCertThumbprint), "")
		if err != nil {
			return Detection{}, err
		}
		if c, ok := certInStore(certs, `LocalMachine\Root`); ok && !c.names(fqdn, short) {
			return blockedDetection(det, fmt.Sprintf("the master certificate %s names %s but not the access point %s; workers would not trust the role", c.Thumbprint, strings.Join(c.DNSNames, ", "), fqdn),
				"run step 2 with masterService.certificate.generate: true to make one that names it"), nil
		}
	}
	for _, svc := range role.Services {
		if !strings.EqualFold(svc.Group, short) {
			return blockedDetection(det, fmt.Sprintf("service %s is already a Generic Service resource of role %s; there must be exactly one", env.Version.MasterService(), svc.Group),
				"remove that role (Remove-ClusterGroup) or set masterService.dnsName to "+svc.Group), nil
		}
	}
	owner := ""
	if role.Group != nil {
		det.Facts["roleState"] = role.Group.State
		det.Facts["roleDnsName"] = role.DNSName
		if !strings.EqualFold(role.DNSName, short) || (addressOnly(a.MasterService.StaticAddress) != "" && !hasFold(role.Addresses, addressOnly(a.MasterService.StaticAddress))) || len(role.Services) == 0 {
			return blockedDetection(det, fmt.Sprintf("role %s exists with access point %s at %s and %d master service resources, which differs from the answers", role.Group.Name, noneIfEmpty(role.DNSName), noneIfEmpty(strings.Join(role.Addresses, ", ")), len(role.Services)),
				"undo step 7 (or remove the role in Failover Cluster Manager) and run it again"), nil
		}
		owner = answerHostFor(a.MasterHosts(), role.Group.Owner)
	} else {
		if role.CAPInDNS {
			return blockedDetection(det, fmt.Sprintf("the access point name %s is already in DNS (%s) but no role of this cluster owns it", short, strings.Join(role.CAPAddresses, ", ")),
				"choose another masterService.dnsName, or remove the stale DNS record and computer object"), nil
		}
		if a.MasterService.StaticAddress == "" {
			return blockedDetection(det, "masterService.staticAddress is not given", "set it to an unused address of the nodes' subnet, such as 10.0.0.60/24"), nil
		}
		owner = runningOwner(a.MasterHosts(), services)
	}
	det.Facts["owner"] = owner
	var drift []string
	var cmds []Command
	oldServices := map[string]serviceUndo{}
	for _, h := range a.MasterHosts() {
		svc := services[h].Service
		want := "Stopped"
		if strings.EqualFold(h, owner) {
			want = ""
		}
		// Pitfall: a service left Automatic (or running) on a non-owner node means two
		// masters once a node restarts.
		if strings.EqualFold(svc.StartMode, "Auto") || (want == "Stopped" && svc.State != "Stopped") {
			if role.Group != nil {
				drift = append(drift, fmt.Sprintf("%s: master service %s, %s", h, svc.StartMode, svc.State))
			}
			cmds = append(cmds, PSCommand(h, psServiceSet(env.Version.MasterService(), "Manual", want)))
			oldServices[h] = serviceUndo{StartMode: svc.StartMode, State: svc.State}
		}
	}
	if len(cmds) > 0 {
		det.Actions = append(det.Actions, actServicesManual.New(
			"Set the master service to Manual on every master node and stop it where the role will not run",
			cmds, &servicesUndo{Services: oldServices}))
	}
	user, pw, problem := runAsOperator(env)
	switch {
	case role.Group == nil || !strings.EqualFold(role.Group.State, "Online"):
		if problem != "" {
			return blockedDetection(det, "the role cannot be created: "+problem, "set connection.winrm.user and SSISHA_WINRM_PASSWORD"), nil
		}
		def, summary := actCreateRole, fmt.Sprintf("Create Generic Service role %s for %s at %s (possible owners: the master nodes), as %s in a one-shot scheduled task", short, env.Version.MasterService(), addressOnly(a.MasterService.StaticAddress), user)
		if role.Group != nil {
			def, summary = actStartRole, "Bring role "+short+" online (it is "+role.Group.State+")"
			drift = append(drift, "role "+short+" is "+role.Group.State)
		}
		// Detect found no role of that name, so one afterwards is this action's.
		det.Actions = append(det.Actions, def.New(summary,
			[]Command{PSCommand(t.Host, psRoleCreate(short, env.Version.MasterService(), addressOnly(a.MasterService.StaticAddress), clusterNodeNames(a.MasterHosts()), user, pw))},
			&roleUndo{Name: short, Created: def == actCreateRole, CreatedAfter: env.Clock().UTC().Format(time.RFC3339)}))
	}
	switch {
	case len(det.Actions) == 0:
		det.State = StateDone
	case len(drift) > 0:
		det.State, det.Reason, det.Fix = StateDrift, strings.Join(drift, "; "), "apply this step to correct it"
	default:
		det.State = StatePending
	}
	return det, nil
}

// readRoleAndMasters reads the role from host and the master service of every master
// node at once. errs[0] is the role's error and errs[1+i] that of MasterHosts()[i];
// callers check them where they used to read, so a block that needs only the role
// still comes before a master node's read error.
func readRoleAndMasters(ctx context.Context, env *Env, host string) (masterRoleState, []masterNodeState, []error) {
	hosts := env.Answers.MasterHosts()
	var role masterRoleState
	nodes := make([]masterNodeState, len(hosts))
	reads := []func() error{func() (err error) { role, err = readMasterRole(ctx, env, host); return err }}
	for i, h := range hosts {
		reads = append(reads, func() (err error) { nodes[i], err = readMasterNode(ctx, env, h); return err })
	}
	return role, nodes, concurrently(reads...)
}

// runningOwner is where the role will come online: the node whose master already runs
// (the primary first), else the primary.
func runningOwner(hosts []string, services map[string]masterNodeState) string {
	for _, h := range hosts {
		if s := services[h].Service; s != nil && s.State == "Running" {
			return h
		}
	}
	if len(hosts) > 0 {
		return hosts[0]
	}
	return ""
}

// answerHostFor maps a cluster node name (NODE1) to the answers' host name.
func answerHostFor(hosts []string, node string) string {
	for _, h := range hosts {
		if strings.EqualFold(hostShortName(h), hostShortName(node)) {
			return h
		}
	}
	return node
}

func clusterNodeNames(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = strings.ToUpper(hostShortName(h))
	}
	return out
}

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func applyServicesManual(ctx context.Context, env *Env, t Target, a Action, hint servicesUndo) (*servicesUndo, error) {
	// Detect read each service just before the step and put what it found in the
	// hint; without one (a plan from an older ssisha) the nodes are asked again.
	old := hint.Services
	if old == nil {
		old = map[string]serviceUndo{}
		for _, c := range a.Commands {
			m, err := readMasterNode(ctx, env, c.Host)
			if err != nil {
				return nil, err
			}
			if m.Service != nil {
				old[c.Host] = serviceUndo{StartMode: m.Service.StartMode, State: m.Service.State}
			}
		}
	}
	// One command per node, each on its own node: they run at once.
	runs := make([]func() error, len(a.Commands))
	for i, c := range a.Commands {
		runs[i] = func() error {
			env.Say(c.Host, a.Summary)
			return env.Run(ctx, c)
		}
	}
	if err := errors.Join(concurrently(runs...)...); err != nil {
		return &servicesUndo{Services: old}, fmt.Errorf("setting the master service to Manual failed: %w", err)
	}
	return &servicesUndo{Services: old}, nil
}

func applyRole(ctx context.Context, env *Env, t Target, a Action, hint roleUndo) (*roleUndo, error) {
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("creating the master's cluster role from %s failed: %w; fix the cause (Failover Cluster Manager shows the role's events) and run step 7 again", t.Host, err)
	}
	var out struct {
		Name                  string `json:"name"`
		Owner                 string `json:"owner"`
		ComputerObjectCreated bool   `json:"computerObjectCreated"`
	}
	_ = json.Unmarshal(res[0], &out)
	env.Say(t.Host, "role "+out.Name+" is online on "+out.Owner)
	return &roleUndo{Name: out.Name, Created: hint.Created, ComputerObjectCreated: hint.Created && out.ComputerObjectCreated}, nil
}

func undoServicesManual(ctx context.Context, env *Env, t Target, u servicesUndo) error {
	for _, h := range env.Answers.MasterHosts() {
		old, ok := u.Services[h]
		if !ok {
			continue
		}
		if err := env.PS(ctx, h, psServiceSet(env.Version.MasterService(), setServiceStartup(old.StartMode), old.State), nil); err != nil {
			return fmt.Errorf("restoring the master service on %s failed: %w", h, err)
		}
	}
	return nil
}

// undoStartRole leaves the role: it existed before, and only its state changed.
func undoStartRole(context.Context, *Env, Target, roleUndo) error { return nil }

func undoCreateRole(ctx context.Context, env *Env, t Target, u roleUndo) error {
	if !u.Created || u.Name == "" {
		return nil
	}
	user, pw, problem := runAsOperator(env)
	if problem != "" {
		return fmt.Errorf("role %s cannot be removed: %s", u.Name, problem)
	}
	if err := env.PS(ctx, t.Host, psRoleRemove(u.Name, u.ComputerObjectCreated, u.CreatedAfter, user, pw), nil); err != nil {
		return fmt.Errorf("removing role %s from %s failed: %w", u.Name, t.Host, err)
	}
	return nil
}

func (s clusterRoleStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	a := env.Answers
	_, short := accessPointNames(a)
	role, nodes, errs := readRoleAndMasters(ctx, env, t.Host)
	if errs[0] != nil {
		return nil, errs[0]
	}
	if role.Group == nil {
		return []Check{passFail("Master role exists", false, "no role "+short, "run step 7")}, nil
	}
	checks := []Check{
		passFail("Master role exists", true, "role "+role.Group.Name, ""),
		passFail("Master role Online", strings.EqualFold(role.Group.State, "Online"), role.Group.State, "bring it online: Start-ClusterGroup "+short),
		passFail("One Generic Service resource for the master", len(role.Services) == 1, fmt.Sprintf("%d resources for %s", len(role.Services), env.Version.MasterService()), "remove the extra roles"),
		passFail("Access point name", strings.EqualFold(role.DNSName, short), noneIfEmpty(role.DNSName), "recreate the role with "+short),
		passFail("Access point in DNS", role.CAPInDNS && (addressOnly(a.MasterService.StaticAddress) == "" || hasFold(role.CAPAddresses, addressOnly(a.MasterService.StaticAddress))), noneIfEmpty(strings.Join(role.CAPAddresses, ", ")), "check the role's network name resource and DNS registration"),
	}
	owner := answerHostFor(a.MasterHosts(), role.Group.Owner)
	for i, h := range a.MasterHosts() {
		if errs[i+1] != nil {
			return nil, errs[i+1]
		}
		m := nodes[i]
		if m.Service == nil {
			checks = append(checks, passFail("Master service on "+h, false, "missing", "run step 3 for "+h))
			continue
		}
		want := "Stopped"
		if strings.EqualFold(h, owner) {
			want = "Running"
		}
		checks = append(checks, passFail("Master service on "+h, m.Service.State == want && !strings.EqualFold(m.Service.StartMode, "Auto"),
			m.Service.StartMode+", "+m.Service.State+" (owner: "+role.Group.Owner+")", "run step 7 again: Manual everywhere, running only on the owner"))
	}
	return checks, nil
}

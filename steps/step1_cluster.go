package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Step 1 puts the Failover Clustering feature (with its tools) on every master node
// and makes sure the cluster exists with exactly the master nodes. A Step has one
// scope: this one runs on each master node for the feature, and only the last master's
// target reads, creates or verifies the cluster itself (see isClusterHost), so that
// the cluster is handled once.

// The action IDs of step 1.
var (
	actInstallFeature = &ActionDef[featureUndo]{ActionInfo: ActionInfo{ID: "install-failover-clustering", Kind: KindCreate, Installer: true,
		Summary: "Install the Failover-Clustering feature"}, Run: applyInstallFeature, Reverse: undoInstallFeature}
	actCreateCluster = &ActionDef[clusterUndo]{ActionInfo: ActionInfo{ID: "create-cluster", Kind: KindCreate,
		Summary: "Create the failover cluster"}, Run: applyCreateCluster, Reverse: undoCreateCluster}
	actSetWitness = &ActionDef[witnessUndo]{ActionInfo: ActionInfo{ID: "set-witness", Kind: KindChange,
		Summary: "Set the cluster's file share witness"}, Run: applySetWitness, Reverse: undoSetWitness}
)

// featureUndo says whether this run installed Failover-Clustering.
type featureUndo struct {
	Installed bool `json:"installed"`
}

// clusterUndo names the cluster and says whether this run created it.
type clusterUndo struct {
	Created bool   `json:"created"`
	Name    string `json:"name"`
}

// witnessUndo is the witness the cluster had before.
type witnessUndo struct {
	Name            string `json:"name"`
	PreviousWitness string `json:"previousWitness"`
}

// Actions lists step 1's actions.
func (clusterStep) Actions() []ActionType {
	return []ActionType{actInstallFeature, actCreateCluster, actSetWitness}
}

const featureClustering = "Failover-Clustering"

// NewClusterStep returns step 1.
func NewClusterStep() Step { return clusterStep{} }

type clusterStep struct{}

func (clusterStep) ID() int       { return 1 }
func (clusterStep) Title() string { return "Windows Server Failover Cluster" }
func (clusterStep) Scope() Scope  { return EachMaster }

type featureInstall struct {
	Name         string `json:"name"`
	InstallState string `json:"installState"`
}

// wsfcState is what cluster.get reports.
type wsfcState struct {
	Feature string `json:"feature"`
	Exists  bool   `json:"exists"`
	Name    string `json:"name"`
	Address string `json:"address"`
	Nodes   []struct {
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"nodes"`
	Groups     []string `json:"groups"`
	QuorumType string   `json:"quorumType"`
	Witness    string   `json:"witness"`
	// WitnessPath is the file share witness's share, "" without one.
	WitnessPath string `json:"witnessPath"`
	NameInDNS   bool   `json:"nameInDns"`
}

// isClusterHost reports whether host's target creates and checks the cluster: the
// last master node. The cluster needs the feature on every node first, and the engine
// starts a step's targets in the answers' order, so the last target is the one that
// can wait for the others whatever the parallel bound (and rollback, in reverse order,
// undoes it first).
func isClusterHost(env *Env, host string) bool {
	n := len(env.Answers.Masters)
	return n > 0 && strings.EqualFold(env.Answers.Masters[n-1].Host, host)
}

func readClusteringFeature(ctx context.Context, env *Env, host string) (featureInstall, error) {
	var f featureInstall
	if err := env.PS(ctx, host, psFeatureGet(featureClustering), &f); err != nil {
		return f, fmt.Errorf("reading the Failover-Clustering feature on %s failed: %w", host, err)
	}
	return f, nil
}

func readWSFC(ctx context.Context, env *Env, host string) (wsfcState, error) {
	var c wsfcState
	if err := env.PS(ctx, host, psClusterGet(env.Answers.Cluster.Name), &c); err != nil {
		return c, fmt.Errorf("reading the failover cluster from %s failed: %w", host, err)
	}
	return c, nil
}

// clusterMembership compares the cluster's nodes with the master nodes by short name.
func clusterMembership(env *Env, c wsfcState) (missing, extra, down []string) {
	want := map[string]bool{}
	for _, m := range env.Answers.Masters {
		want[strings.ToLower(hostShortName(m.Host))] = true
	}
	have := map[string]bool{}
	for _, n := range c.Nodes {
		k := strings.ToLower(hostShortName(n.Name))
		have[k] = true
		if !want[k] {
			extra = append(extra, n.Name)
		}
		if !strings.EqualFold(n.State, "Up") {
			down = append(down, n.Name+" ("+n.State+")")
		}
	}
	for _, m := range env.Answers.Masters {
		if !have[strings.ToLower(hostShortName(m.Host))] {
			missing = append(missing, m.Host)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra, down
}

func (s clusterStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	a := env.Answers
	det := Detection{Facts: map[string]any{}}
	f, err := readClusteringFeature(ctx, env, t.Host)
	if err != nil {
		return Detection{}, err
	}
	det.Facts["feature"] = f.InstallState
	if !strings.EqualFold(f.InstallState, "Installed") {
		det.Actions = append(det.Actions, actInstallFeature.New("Install the Failover-Clustering feature with its management tools",
			[]Command{PSCommand(t.Host, psFeatureInstall(featureClustering))}, &featureUndo{Installed: true}))
	}
	if isClusterHost(env, t.Host) {
		c, err := readWSFC(ctx, env, t.Host)
		if err != nil {
			return Detection{}, err
		}
		det.Facts["clusterExists"] = c.Exists
		det.Facts["clusterName"] = c.Name
		switch {
		case c.Exists && !strings.EqualFold(c.Name, a.Cluster.Name):
			return blockedDetection(det, fmt.Sprintf("%s already belongs to cluster %s, not %s", t.Host, c.Name, a.Cluster.Name),
				"set cluster.name to "+c.Name+" to use that cluster; ssisha never changes a cluster it did not create"), nil
		case c.Exists:
			missing, extra, down := clusterMembership(env, c)
			det.Facts["clusterNodes"] = len(c.Nodes)
			if len(missing) > 0 || len(extra) > 0 {
				return blockedDetection(det, fmt.Sprintf("cluster %s has other nodes than the master nodes (missing: %s; extra: %s)", c.Name, noneIfEmpty(strings.Join(missing, ", ")), noneIfEmpty(strings.Join(extra, ", "))),
					"make the masters list match the cluster, or add/evict nodes in Failover Cluster Manager, then run this step again"), nil
			}
			if len(down) > 0 {
				return blockedDetection(det, fmt.Sprintf("cluster %s has nodes that are not Up: %s", c.Name, strings.Join(down, ", ")),
					"bring them up (Start-ClusterNode) and run this step again"), nil
			}
			det.Facts["witness"] = c.WitnessPath
			if w := a.Cluster.Witness; w != "" && !strings.EqualFold(c.WitnessPath, w) {
				act, blocked := witnessAction(env, t.Host, c.WitnessPath)
				if blocked != "" {
					return blockedDetection(det, "the witness cannot be set: "+blocked, "set connection.winrm.user and SSISHA_WINRM_PASSWORD to a domain administrator's"), nil
				}
				det.Actions = append(det.Actions, act)
			}
		case !a.Cluster.Create:
			return blockedDetection(det, fmt.Sprintf("there is no failover cluster %s on %s", a.Cluster.Name, t.Host),
				"create it (New-Cluster), or set cluster.create: true to let ssisha create it"), nil
		case c.NameInDNS:
			// New-Cluster fails half-way when the name is already registered.
			return blockedDetection(det, fmt.Sprintf("the cluster name %s is already in DNS", a.Cluster.Name),
				"choose another cluster.name, or remove the stale DNS record and computer object"), nil
		default:
			if addr := addressOnly(a.Cluster.StaticAddress); addr != "" {
				var ac addressProbe
				if err := env.PS(ctx, t.Host, psAddressCheck([]string{addr}), &ac); err != nil {
					return Detection{}, fmt.Errorf("checking address %s from %s failed: %w", addr, t.Host, err)
				}
				if len(ac.Addresses) == 1 && ac.Addresses[0].InUse {
					return blockedDetection(det, fmt.Sprintf("cluster.staticAddress %s is already in use", addr), "choose an unused address of the nodes' subnet"), nil
				}
			}
			user, pw, problem := runAsOperator(env)
			if problem != "" {
				return blockedDetection(det, "the cluster cannot be created: "+problem, "set connection.winrm.user and SSISHA_WINRM_PASSWORD to a domain administrator's"), nil
			}
			// Detect found no cluster, so one of that name afterwards is this action's.
			det.Actions = append(det.Actions, actCreateCluster.New(
				fmt.Sprintf("Create failover cluster %s with %s (no storage), as %s in a one-shot scheduled task", a.Cluster.Name, strings.Join(a.MasterHosts(), ", "), user),
				[]Command{PSCommand(t.Host, psClusterCreate(a.Cluster.Name, a.MasterHosts(), addressOnly(a.Cluster.StaticAddress), user, pw))},
				&clusterUndo{Name: a.Cluster.Name, Created: true}))
			if a.Cluster.Witness != "" {
				act, _ := witnessAction(env, t.Host, "")
				det.Actions = append(det.Actions, act)
			}
		}
	}
	if len(det.Actions) == 0 {
		det.State = StateDone
	} else {
		det.State = StatePending
	}
	return det, nil
}

// witnessAction gives the cluster the answers' file share witness. previous is the
// witness it has now ("": none), which undo puts back. blocked says why it cannot
// run (no operator credentials for the one-shot task).
func witnessAction(env *Env, host, previous string) (a Action, blocked string) {
	name, w := env.Answers.Cluster.Name, env.Answers.Cluster.Witness
	user, pw, problem := runAsOperator(env)
	if problem != "" {
		return Action{}, problem
	}
	summary := fmt.Sprintf("Give cluster %s the file share witness %s, as %s in a one-shot scheduled task", name, w, user)
	if previous != "" {
		summary = fmt.Sprintf("Move cluster %s's file share witness from %s to %s, as %s in a one-shot scheduled task", name, previous, w, user)
	}
	return actSetWitness.New(summary, []Command{PSCommand(host, psClusterQuorumSet(name, w, user, pw))},
		&witnessUndo{Name: name, PreviousWitness: previous}), ""
}

// featureWait bounds how long the cluster creation waits for the other nodes' feature
// installs, which run in parallel as their own targets of this step.
const featureWait = 20 * time.Minute

func applyInstallFeature(ctx context.Context, env *Env, t Target, a Action, _ featureUndo) (*featureUndo, error) {
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("installing Failover-Clustering on %s failed: %w", t.Host, err)
	}
	var out struct {
		RestartNeeded string `json:"restartNeeded"`
	}
	_ = json.Unmarshal(res[0], &out)
	if strings.EqualFold(out.RestartNeeded, "Yes") {
		env.Say(t.Host, "Failover-Clustering is installed and asks for a restart; restart "+t.Host+" before creating the cluster")
	}
	return &featureUndo{Installed: true}, nil
}

func applyCreateCluster(ctx context.Context, env *Env, t Target, a Action, _ clusterUndo) (*clusterUndo, error) {
	if err := waitForFeature(ctx, env); err != nil {
		return nil, err
	}
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("creating failover cluster %s from %s failed: %w; read the validation report under C:\\ProgramData\\ssisha there, fix the cause and run this step again", env.Answers.Cluster.Name, t.Host, err)
	}
	var out clusterUndo
	_ = json.Unmarshal(res[0], &out)
	// Undo may only remove a cluster this run created.
	return &out, nil
}

func applySetWitness(ctx context.Context, env *Env, t Target, a Action, hint witnessUndo) (*witnessUndo, error) {
	res, err := runCollect(ctx, env, a.Summary, a.Commands)
	if err != nil {
		return nil, fmt.Errorf("setting the witness of cluster %s failed: %w; check that the share exists and that the cluster's computer object %s$ has Full Control on it, then run this step again", env.Answers.Cluster.Name, err, env.Answers.Cluster.Name)
	}
	var out struct {
		Absent      bool   `json:"absent"`
		WitnessPath string `json:"witnessPath"`
	}
	_ = json.Unmarshal(res[0], &out)
	if out.Absent {
		return nil, fmt.Errorf("%s is not in cluster %s, so its witness cannot be set; run step 1 again", t.Host, env.Answers.Cluster.Name)
	}
	return &witnessUndo{Name: env.Answers.Cluster.Name, PreviousWitness: hint.PreviousWitness}, nil
}

// waitForFeature waits until every master node has the feature; New-Cluster needs it
// everywhere.
func waitForFeature(ctx context.Context, env *Env) error {
	deadline := env.Clock().Add(featureWait)
	waited := time.Duration(0)
	hosts := env.Answers.MasterHosts()
	for {
		// Each node is asked on its own shell, all at once; errors and the missing
		// list keep the nodes' order.
		states := make([]string, len(hosts))
		var reads []func() error
		for i, h := range hosts {
			reads = append(reads, func() error {
				f, err := readClusteringFeature(ctx, env, h)
				states[i] = f.InstallState
				return err
			})
		}
		var missing []string
		for i, err := range concurrently(reads...) {
			if err != nil {
				return err
			}
			if !strings.EqualFold(states[i], "Installed") {
				missing = append(missing, hosts[i])
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if waited >= featureWait || env.Clock().After(deadline) {
			return fmt.Errorf("Failover-Clustering is still not installed on %s, and the cluster needs it on every node; run step 1 again once it is", strings.Join(missing, ", "))
		}
		if err := env.Wait(ctx, 15*time.Second); err != nil {
			return err
		}
		waited += 15 * time.Second
	}
}

// waitOutOfCluster waits, bounded, until host is no longer a node of the answers'
// cluster.
func waitOutOfCluster(ctx context.Context, env *Env, host string) error {
	for waited := time.Duration(0); ; waited += 15 * time.Second {
		c, err := readWSFC(ctx, env, host)
		if err != nil {
			return err
		}
		member := false
		for _, n := range c.Nodes {
			if strings.EqualFold(hostShortName(n.Name), hostShortName(host)) {
				member = true
			}
		}
		if !c.Exists || !member {
			return nil
		}
		if waited >= featureWait {
			return fmt.Errorf("%s is still a node of cluster %s, so Failover-Clustering cannot be removed; undo step 1 on the last master node first (it removes a cluster this run created), or evict the node with Remove-ClusterNode, then run rollback --steps 1 again", host, c.Name)
		}
		if err := env.Wait(ctx, 15*time.Second); err != nil {
			return err
		}
	}
}

func undoInstallFeature(ctx context.Context, env *Env, t Target, u featureUndo) error {
	if !u.Installed {
		return nil
	}
	// The last master's target destroys the cluster; the feature can only go once
	// this node is no longer a member of it.
	if err := waitOutOfCluster(ctx, env, t.Host); err != nil {
		return err
	}
	if err := env.PS(ctx, t.Host, psFeatureUninstall(featureClustering), nil); err != nil {
		return fmt.Errorf("removing Failover-Clustering from %s failed: %w", t.Host, err)
	}
	env.Say(t.Host, "Failover-Clustering is removed; restart "+t.Host+" to finish")
	return nil
}

func undoSetWitness(ctx context.Context, env *Env, t Target, u witnessUndo) error {
	user, pw, problem := runAsOperator(env)
	if problem != "" {
		return fmt.Errorf("the witness of cluster %s cannot be put back: %s", u.Name, problem)
	}
	// A cluster that is gone has no witness to put back.
	if err := env.PS(ctx, t.Host, psClusterQuorumSet(u.Name, u.PreviousWitness, user, pw), nil); err != nil {
		return fmt.Errorf("putting back the witness of cluster %s on %s failed: %w", u.Name, t.Host, err)
	}
	return nil
}

func undoCreateCluster(ctx context.Context, env *Env, t Target, u clusterUndo) error {
	name := u.Name
	if !u.Created || name == "" {
		// Pitfall: never remove a cluster ssisha did not create.
		return fmt.Errorf("%w: cluster %s existed before ssisha ran, so it stays", ErrIrreversible, noneIfEmpty(name))
	}
	c, err := readWSFC(ctx, env, t.Host)
	if err != nil {
		return err
	}
	if c.Exists && len(c.Groups) > 0 {
		return fmt.Errorf("cluster %s still hosts roles (%s); undo steps 7 and 4 first, then undo step 1", name, strings.Join(c.Groups, ", "))
	}
	user, pw, problem := runAsOperator(env)
	if problem != "" {
		return fmt.Errorf("cluster %s cannot be removed: %s", name, problem)
	}
	if err := env.PS(ctx, t.Host, psClusterDestroy(name, user, pw), nil); err != nil {
		return fmt.Errorf("removing cluster %s from %s failed: %w", name, t.Host, err)
	}
	return nil
}

func (s clusterStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	a := env.Answers
	// The cluster is read with the feature, not after it: both are reads of one node.
	var f featureInstall
	var c wsfcState
	reads := []func() error{func() (err error) { f, err = readClusteringFeature(ctx, env, t.Host); return err }}
	if isClusterHost(env, t.Host) {
		reads = append(reads, func() (err error) { c, err = readWSFC(ctx, env, t.Host); return err })
	}
	errs := concurrently(reads...)
	if errs[0] != nil {
		return nil, errs[0]
	}
	checks := []Check{passFail("Failover-Clustering installed", strings.EqualFold(f.InstallState, "Installed"), f.InstallState, "run step 1 again")}
	if len(errs) == 1 {
		return checks, nil
	}
	if errs[1] != nil {
		return nil, errs[1]
	}
	checks = append(checks, passFail("Cluster exists", c.Exists && strings.EqualFold(c.Name, a.Cluster.Name), "cluster "+noneIfEmpty(c.Name), "run step 1 again"))
	if !c.Exists {
		return checks, nil
	}
	missing, extra, down := clusterMembership(env, c)
	checks = append(checks,
		passFail("Cluster nodes are the master nodes", len(missing) == 0 && len(extra) == 0, fmt.Sprintf("missing: %s; extra: %s", noneIfEmpty(strings.Join(missing, ", ")), noneIfEmpty(strings.Join(extra, ", "))), "add or evict nodes so they match the masters"),
		passFail("Cluster nodes Up", len(down) == 0, noneIfEmpty(strings.Join(down, ", "))+" not Up", "start the cluster service on those nodes"))
	if w := a.Cluster.Witness; w != "" {
		return append(checks, passFail("Quorum witness", strings.EqualFold(c.WitnessPath, w),
			fmt.Sprintf("%s, witness %s", noneIfEmpty(c.QuorumType), noneIfEmpty(c.WitnessPath)), "run step 1 again; it sets the file share witness "+w)), nil
	}
	q := Check{Name: "Quorum witness", Status: CheckSuccess, Detail: c.QuorumType + " " + c.Witness}
	if c.Witness == "" && len(c.Nodes)%2 == 0 {
		q.Status = CheckWarning
		q.Detail = fmt.Sprintf("%s without a witness on %d nodes", noneIfEmpty(c.QuorumType), len(c.Nodes))
		q.Fix = "give the cluster a witness: set cluster.witness to a file share outside the cluster and run step 1 again"
	}
	return append(checks, q), nil
}

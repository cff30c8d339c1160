package steps

import (
	"maps"
	"slices"
)

// What each step's work needs from the others, so that the engine can start a step's
// target as soon as what it reads exists, instead of after every earlier step: a
// worker's setup can run while the masters are still installed. The documented order
// (step after step) always satisfies these needs; they only say which of its barriers
// the procedure does not rely on.

// Fact is something the actions of one step make on the estate that the detection,
// the actions or the verification of another step read.
type Fact string

// The facts of the procedure, each made by one step on all its targets: most of them
// once the step has ended, the early ones (Needs.Early) as soon as the actions that
// make them have run.
const (
	FactCluster           Fact = "the failover cluster of the master nodes"                // step 1
	FactPrimaryMaster     Fact = "the Scale Out Master on the primary"                     // step 2
	FactSecondaryMasters  Fact = "the Scale Out Master on every secondary"                 // step 3
	FactAvailabilityGroup Fact = "SSISDB in the availability group, with its listener"     // step 4
	FactMasterSettings    Fact = "every master's SqlServerName pointing at the listener"   // step 5
	FactLoggingLogin      Fact = "the logging login on every replica"                      // step 6
	FactMasterRole        Fact = "the master's cluster role and its client access point"   // step 7
	FactMasterAddress     Fact = "the master address in SSISDB"                            // step 8
	FactWorkers           Fact = "every worker installed, trusted, registered and enabled" // step 9

	FactMasterCertificate      Fact = "the master certificate on the primary, with its key in LocalMachine\\Root" // step 2, early
	FactPrimaryMasterInstalled Fact = "the Scale Out Master installed on the primary with its certificate"        // step 2, early
	FactSecondaryCertCopied    Fact = "the master certificate copied from the primary to every secondary"         // step 3, early
)

// Needs is what one step makes and reads.
type Needs struct {
	// Makes is the fact the step makes once every one of its targets has ended.
	Makes Fact
	// Detect is what the step's Detect reads of other steps' work: a target is not
	// detected, and nothing of it runs, before these are made.
	Detect []Fact
	// Early is what the step makes before it ends, by fact: the IDs of the actions
	// that make it. The fact is made once every target of the step has gone past the
	// last of those actions it has to run (or has none of them to run, or has ended).
	Early map[Fact][]string
	// Actions is what single actions need beyond Detect, by action ID: such an action
	// waits for them, while the actions before it run. An early fact may come from a
	// later step: an action can wait until that step has taken what it needs from the
	// node before holding the node's shell for long.
	Actions map[string][]Fact
	// Verify is what the step's verification reads beyond Detect and Actions.
	Verify []Fact
}

// All is every fact the step's detection and actions read: a detection that finds the
// step blocked before all of them are made is taken again once they are.
func (n Needs) All() []Fact {
	out := append([]Fact(nil), n.Detect...)
	seen := map[Fact]bool{}
	for _, f := range out {
		seen[f] = true
	}
	for _, id := range slices.Sorted(maps.Keys(n.Actions)) {
		for _, f := range n.Actions[id] {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Verified is every fact the step's verification waits for: All and Verify.
func (n Needs) Verified() []Fact {
	out := n.All()
	for _, f := range n.Verify {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// EarlyFact is the early fact action id of the step makes, or "".
func (n Needs) EarlyFact(id string) Fact {
	for _, f := range slices.Sorted(maps.Keys(n.Early)) {
		if slices.Contains(n.Early[f], id) {
			return f
		}
	}
	return ""
}

// Needer is implemented by a step that says what it makes and reads; the engine
// runs a step that does not after every step before it, as the documented order does.
type Needer interface {
	Needs() Needs
}

// The procedure's dependencies. Always On needs the node in the cluster; a secondary
// copies the primary's certificate (and installs with the answers' account and port,
// which the primary's master has too, so its setup can run beside the primary's; its
// verification compares the two installed masters); the availability group needs every
// master's instance; the cluster role takes the settings and the logging login as they
// are; a worker reads the master certificate (for its setup and its trust) from the
// primary's settings, and registers only with a master the role runs and SSISDB names.

// Needs says what step 1 makes.
func (clusterStep) Needs() Needs { return Needs{Makes: FactCluster} }

// Needs says what step 2 makes and reads. The certificate is made first; setup then
// waits until the secondaries have exported it from the primary, since setup holds
// the primary's one WinRM shell for the whole install and the export needs it too.
func (primaryMasterStep) Needs() Needs {
	return Needs{Makes: FactPrimaryMaster,
		Early: map[Fact][]string{
			FactMasterCertificate:      {actCreateCert.ID, actCopyCertRoot.ID},
			FactPrimaryMasterInstalled: {actInstallMaster.ID, actRebindCert.ID},
		},
		Actions: map[string][]Fact{
			actInstallMaster.ID: {FactSecondaryCertCopied},
			actEnableHadr.ID:    {FactCluster},
		}}
}

// Needs says what step 3 makes and reads: its detection reads the primary's
// certificate, not its installed master, so the two setups run at once; its
// verification compares the two installed masters' certificate, port and account.
func (secondaryMasterStep) Needs() Needs {
	return Needs{Makes: FactSecondaryMasters, Detect: []Fact{FactMasterCertificate},
		Early:   map[Fact][]string{FactSecondaryCertCopied: {actImportCert.ID}},
		Actions: map[string][]Fact{actEnableHadr.ID: {FactCluster}},
		Verify:  []Fact{FactPrimaryMasterInstalled}}
}

// Needs says what step 4 makes and reads.
func (availabilityGroupStep) Needs() Needs {
	return Needs{Makes: FactAvailabilityGroup, Detect: []Fact{FactCluster, FactPrimaryMaster, FactSecondaryMasters}}
}

// Needs says what step 5 makes and reads.
func (masterSettingsStep) Needs() Needs {
	return Needs{Makes: FactMasterSettings, Detect: []Fact{FactPrimaryMaster, FactSecondaryMasters, FactAvailabilityGroup}}
}

// Needs says what step 6 makes and reads.
func (loggingStep) Needs() Needs {
	return Needs{Makes: FactLoggingLogin, Detect: []Fact{FactAvailabilityGroup}}
}

// Needs says what step 7 makes and reads.
func (clusterRoleStep) Needs() Needs {
	return Needs{Makes: FactMasterRole, Detect: []Fact{FactCluster, FactMasterSettings, FactLoggingLogin}}
}

// Needs says what step 8 makes and reads.
func (masterAddressStep) Needs() Needs {
	return Needs{Makes: FactMasterAddress, Detect: []Fact{FactAvailabilityGroup, FactMasterRole}}
}

// Needs says what step 9 makes and reads: the worker's own setup needs only the
// master certificate, which exists before the primary's master; trusting the worker
// needs every master node's master, and starting it, registration and enabling need
// the master where workers find it.
func (workersStep) Needs() Needs {
	return Needs{Makes: FactWorkers, Detect: []Fact{FactMasterCertificate},
		Actions: map[string][]Fact{
			actTrustWorker.ID:   {FactPrimaryMaster, FactSecondaryMasters},
			actRestartWorker.ID: {FactAvailabilityGroup, FactMasterRole, FactMasterAddress},
			actEnableWorker.ID:  {FactAvailabilityGroup, FactMasterRole, FactMasterAddress},
		}}
}

package steps

// The facts of a SQL Server instance: its availability group replica and the SSIS
// catalog. Steps read them; none of these readers change anything.

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote"
)

// replicaFacts is what ag.replica.facts reads on one instance.
type replicaFacts struct {
	ServerName, EndpointName, SSISDBState, FamilyGUID, Role, ListenerDNS string
	Hadr, IntegratedOnly, MasterLogin, DMKCredential, AGExists, Joined   bool
	DBInAG, Support                                                      bool
	// SupportMissing lists the Always On support objects absent now (login, startup,
	// maintenance, monitor), comma-separated: what the action will create.
	SupportMissing string
	// ConnectError is, on a joined secondary, why it is not connected to the primary
	// (sys.dm_hadr_availability_replica_states' last connect error), "" when it is.
	ConnectError string
}

// connectError spells the last connect error of a disconnected replica, "" otherwise.
func connectError(r map[string]any) string {
	if Str(r["connected_state"]) != "DISCONNECTED" || Int(r["last_connect_error_number"]) == 0 {
		return ""
	}
	return fmt.Sprintf("error %d: %s", Int(r["last_connect_error_number"]), Str(r["last_connect_error_description"]))
}

func readReplicaFacts(ctx context.Context, env *Env, host string) (replicaFacts, error) {
	return env.Projection.replicaFacts(env, host, func() (replicaFacts, error) { return readReplicaFactsNow(ctx, env, host) })
}

func readReplicaFactsNow(ctx context.Context, env *Env, host string) (replicaFacts, error) {
	a := env.Answers
	rs, err := env.SQL(ctx, host, tsqlAGReplicaFacts(a.AvailabilityGroup.Name, a.MasterService.Account))
	if err != nil {
		return replicaFacts{}, fmt.Errorf("reading the availability group state on %s: %w", host, err)
	}
	r := Row(rs)
	return replicaFacts{ServerName: Str(r["server_name"]), EndpointName: Str(r["endpoint_name"]), SSISDBState: Str(r["ssisdb_state"]),
		FamilyGUID: Str(r["family_guid"]), Role: strings.ToLower(Str(r["ag_role"])), ListenerDNS: Str(r["listener_dns"]),
		Hadr: Int(r["hadr_enabled"]) == 1, IntegratedOnly: Int(r["integrated_only"]) == 1, MasterLogin: Int(r["master_login"]) == 1,
		DMKCredential: Int(r["dmk_credential"]) == 1, AGExists: Int(r["ag_exists"]) == 1, Joined: Int(r["ag_joined"]) == 1,
		DBInAG: Int(r["db_in_ag"]) == 1, Support: Int(r["ssis_support"]) == 1, SupportMissing: Str(r["ssis_support_missing"]),
		ConnectError: connectError(r)}, nil
}

// catalogFacts is what ssisdb.catalog.facts reads where SSISDB is readable.
type catalogFacts struct {
	Catalog, MasterUserAdmin                                         bool
	DBState, ScaleOut, Replicas, MasterAddress, LogDBServer, Machine string
}

func readCatalogFacts(ctx context.Context, env *Env, host string) (catalogFacts, error) {
	return env.Projection.catalogFacts(env, host, func() (catalogFacts, error) { return readCatalogFactsNow(ctx, env, host) })
}

func readCatalogFactsNow(ctx context.Context, env *Env, host string) (catalogFacts, error) {
	rs, err := env.SQL(ctx, host, tsqlCatalogFacts(env.Answers.MasterService.Account))
	if err != nil {
		return catalogFacts{}, fmt.Errorf("reading SSISDB on %s: %w", host, err)
	}
	r := Row(rs)
	return catalogFacts{Catalog: Int(r["catalog"]) == 1, MasterUserAdmin: Int(r["master_user_admin"]) == 1, DBState: Str(r["db_state"]),
		ScaleOut: Str(r["scaleout_enabled"]), Replicas: Str(r["alwayson_replicas"]), MasterAddress: Str(r["master_address"]),
		LogDBServer: Str(r["logdb_server"]), Machine: Str(r["machine_name"])}, nil
}

// agRole is the target's role in the setup: the replica that created the catalog
// (the answers' first master) or a secondary. It is the plan's role, not the group's
// current one, because what each replica needs does not change with a failover: the
// creator opens SSISDB's master key with its own service master key, a secondary with
// the credential added for it, and only secondaries are registered for Always On
// support. The group's current role counts only when the plan names none.
func agRole(t Target, f replicaFacts) string {
	if t.Role == "primary" || t.Role == "secondary" {
		return t.Role
	}
	return f.Role
}

// ssisdbHost is where batches that change SSISDB go: the listener once it exists,
// else the initial primary.
func ssisdbHost(f replicaFacts, env *Env) string {
	if f.ListenerDNS != "" {
		return remote.Listener
	}
	return env.Answers.Primary().Host
}

// replicaReadiness is what ag.replica.readiness reads on one instance.
type replicaReadiness struct {
	// ConnectMissing are the partner engine identities the endpoint does not admit,
	// one a line.
	ConnectMissing      string
	AgentRunning, CLROK bool
}

func readReplicaReadiness(ctx context.Context, env *Env, host, partners string) (replicaReadiness, error) {
	rs, err := env.SQL(ctx, host, tsqlReplicaReadiness(partners))
	if err != nil {
		return replicaReadiness{}, fmt.Errorf("reading the endpoint, Agent and CLR state on %s: %w", host, err)
	}
	r := Row(rs)
	return replicaReadiness{ConnectMissing: Str(r["connect_missing"]), AgentRunning: Int(r["agent_running"]) == 1, CLROK: Int(r["clr_ready"]) == 1}, nil
}

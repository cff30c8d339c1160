package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// The moves of `ssisha verify --failover`: the availability group that holds SSISDB
// and the master's Generic Service role go to each master node in turn and come back,
// so that a failover is proven before it is needed. Each move is planned (nothing is
// forced, nothing can lose data) and waits, bounded, until the estate shows the move
// done from the outside: the listener answering from the new primary, the role Online
// with the service Running on its new owner.

// failoverDatabase is the database whose availability group the moves follow.
const failoverDatabase = "SSISDB"

// How long a move may take before ssisha gives up, and how often it looks. The cluster
// moves a Generic Service role in seconds; the listener follows an AG failover once
// the new primary has redone its log, which can take minutes on a busy catalog.
const (
	failoverTimeout  = 5 * time.Minute
	failoverInterval = 5 * time.Second
)

// FailoverStops returns the master nodes to visit in order: every other master node,
// then back to the node that owns the roles now.
func FailoverStops(ctx context.Context, env *Env) (origin string, stops []string, err error) {
	hosts := env.Answers.MasterHosts()
	if len(hosts) < 2 {
		return "", nil, fmt.Errorf("the answers name %d master node(s), so there is nowhere to fail over to; add a second master (steps 3 to 7) before testing failover", len(hosts))
	}
	place, err := readAGPlacementAnywhere(ctx, env)
	if err != nil {
		return "", nil, err
	}
	role, err := readRoleOwnerAnywhere(ctx, env)
	if err != nil {
		return "", nil, err
	}
	_, name := accessPointNames(env.Answers)
	agPrimary := placementHost(env, place.Primary)
	if !strings.EqualFold(role.State, "Online") {
		return "", nil, fmt.Errorf("the master role %s is %s on %s, not Online; bring it online (Start-ClusterGroup %s) before testing failover", name, role.State, role.Owner, name)
	}
	owner := answerHostFor(hosts, role.Owner)
	if !SameHost(agPrimary, owner) {
		// Each stop puts both on one node and the last stop on the origin; starting
		// apart would leave them together, which is not how they were found.
		return "", nil, fmt.Errorf("the primary replica of %s is on %s but the master role is on %s; put both on one node first (Move-ClusterGroup -Name %s -Node %s) and test failover again",
			place.AGName, agPrimary, owner, name, strings.ToUpper(hostShortName(agPrimary)))
	}
	for _, h := range hosts {
		if !SameHost(h, owner) {
			stops = append(stops, h)
		}
	}
	return owner, append(stops, owner), nil
}

// MoveAvailabilityGroup makes to the primary replica of the availability group that
// holds SSISDB: a planned manual failover (ALTER AVAILABILITY GROUP … FAILOVER) run on
// to, only when its copy is SYNCHRONIZED. It then waits, bounded, until the listener
// answers from to.
func MoveAvailabilityGroup(ctx context.Context, env *Env, to string) error {
	if err := checkMasterHost(env, to); err != nil {
		return err
	}
	place, err := readAGPlacement(ctx, env, to)
	if err != nil {
		return err
	}
	switch {
	case place.AGName == "":
		return fmt.Errorf("%s: %s is in no availability group there, so the group cannot fail over to it; run step 4 for %s", to, failoverDatabase, to)
	case place.Role == "":
		return fmt.Errorf("%s: the replica of %s there is not joined or not connected, so it cannot become primary; check the AG dashboard and run step 4 for %s", to, place.AGName, to)
	case place.Role != "PRIMARY" && place.AvailabilityMode != "SYNCHRONOUS_COMMIT":
		return fmt.Errorf("%s: the replica of %s there is %s, and only a synchronous-commit replica can take a planned failover; make it SYNCHRONOUS_COMMIT (ALTER AVAILABILITY GROUP … MODIFY REPLICA) and wait until it is SYNCHRONIZED", to, place.AGName, noneIfEmpty(place.AvailabilityMode))
	case place.Role != "PRIMARY" && place.SyncState != "SYNCHRONIZED":
		return fmt.Errorf("%s: %s there is %s, not SYNCHRONIZED, so ssisha will not fail %s over to it (a planned failover needs a synchronized secondary, and forcing one loses data); check the replica in the AG dashboard and move again once it is SYNCHRONIZED", to, failoverDatabase, noneIfEmpty(place.SyncState), place.AGName)
	}
	if place.Role != "PRIMARY" {
		env.Say(to, "Fail "+place.AGName+" over to "+to)
		if _, err := env.SQL(ctx, to, tsqlFailoverAGMove(failoverDatabase)); err != nil {
			return fmt.Errorf("failing %s over to %s: %w; the group stays where it was unless the AG dashboard shows otherwise", place.AGName, to, err)
		}
	}
	// The listener's network name follows the group's cluster role; clients reach the
	// new primary only once it has, so that is what proves the move.
	var last error
	err = pollUntil(ctx, env, failoverTimeout, failoverInterval, "the move of "+place.AGName+"'s listener to "+to, func() (bool, error) {
		rs, err := env.SQL(ctx, remote.Listener, tsqlFailoverAGPrimary(failoverDatabase))
		if err != nil {
			last = err
			return false, nil
		}
		return strings.EqualFold(Str(Row(rs)["server_name"]), place.ServerName), nil
	})
	if err != nil {
		if last != nil && errors.Is(err, ErrTimedOut) {
			err = fmt.Errorf("%w (last answer: %v)", err, last)
		}
		return fmt.Errorf("%s: %w; %s is primary there, so check the listener's cluster resource in Failover Cluster Manager and DNS for the listener name", to, err, place.AGName)
	}
	return nil
}

// MoveMasterRole moves the master's Generic Service cluster role to to
// (Move-ClusterGroup, run on to), then waits, bounded, until the role is Online there
// and the master service Running.
func MoveMasterRole(ctx context.Context, env *Env, to string) error {
	if err := checkMasterHost(env, to); err != nil {
		return err
	}
	_, name := accessPointNames(env.Answers)
	node := strings.ToUpper(hostShortName(to))
	env.Say(to, "Move role "+name+" to "+node)
	if err := env.PS(ctx, to, psFailoverRoleMove(name, env.Version.MasterService(), node, int(failoverTimeout/time.Second)), nil); err != nil {
		return fmt.Errorf("moving the master role %s to %s: %w", name, to, err)
	}
	var now roleOwner
	err := pollUntil(ctx, env, failoverTimeout, failoverInterval, "role "+name+" coming Online on "+node+" with "+env.Version.MasterService()+" Running", func() (bool, error) {
		var err error
		if now, err = readRoleOwner(ctx, env, to); err != nil {
			return false, err
		}
		if strings.EqualFold(now.State, "Failed") {
			return false, fmt.Errorf("role %s failed on %s", name, noneIfEmpty(now.Owner))
		}
		return now.Exists && strings.EqualFold(now.Owner, node) && strings.EqualFold(now.State, "Online") && strings.EqualFold(now.Service, "Running"), nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w (role %s on %s, service %s); see the role's critical events in Failover Cluster Manager and the System log on %s", to, err,
			noneIfEmpty(now.State), noneIfEmpty(now.Owner), noneIfEmpty(now.Service), to)
	}
	return nil
}

// Owners reports where the availability group's primary replica and the master role
// are now, as the answers' host names.
func Owners(ctx context.Context, env *Env) (agPrimary, masterOwner string, err error) {
	place, err := readAGPlacementAnywhere(ctx, env)
	if err != nil {
		return "", "", err
	}
	role, err := readRoleOwnerAnywhere(ctx, env)
	if err != nil {
		return "", "", err
	}
	return placementHost(env, place.Primary), answerHostFor(env.Answers.MasterHosts(), role.Owner), nil
}

// checkMasterHost refuses a move to a node that is not a master: the role's possible
// owners and the AG's replicas are the master nodes, nothing else.
func checkMasterHost(env *Env, host string) error {
	for _, h := range env.Answers.MasterHosts() {
		if SameHost(h, host) {
			return nil
		}
	}
	return fmt.Errorf("%s is not one of the master nodes (%s); name one of them", host, strings.Join(env.Answers.MasterHosts(), ", "))
}

// agPlacement is what failover.ag.primary reads on one instance.
type agPlacement struct {
	ServerName, AGName, Role, Primary, SyncState, AvailabilityMode string
}

func readAGPlacement(ctx context.Context, env *Env, host string) (agPlacement, error) {
	rs, err := env.SQL(ctx, host, tsqlFailoverAGPrimary(failoverDatabase))
	if err != nil {
		return agPlacement{}, fmt.Errorf("reading where the primary replica of %s's availability group is, on %s: %w", failoverDatabase, host, err)
	}
	r := Row(rs)
	return agPlacement{ServerName: Str(r["server_name"]), AGName: Str(r["ag_name"]), Role: strings.ToUpper(Str(r["local_role"])),
		Primary: Str(r["primary_replica"]), SyncState: strings.ToUpper(Str(r["sync_state"])), AvailabilityMode: strings.ToUpper(Str(r["availability_mode"]))}, nil
}

// readAGPlacementAnywhere asks the master nodes in turn: any replica knows the
// primary, and one that is down must not stop the report.
func readAGPlacementAnywhere(ctx context.Context, env *Env) (agPlacement, error) {
	var problems []string
	for _, h := range env.Answers.MasterHosts() {
		p, err := readAGPlacement(ctx, env, h)
		if err != nil {
			if ctx.Err() != nil {
				return agPlacement{}, err
			}
			problems = append(problems, err.Error())
			continue
		}
		if p.AGName != "" && p.Primary != "" {
			return p, nil
		}
		problems = append(problems, fmt.Sprintf("%s: %s is in no availability group there, or the group has no primary", h, failoverDatabase))
	}
	return agPlacement{}, fmt.Errorf("no master node says where the primary replica of %s is (%s); check that SQL Server runs there and that step 4 is done", failoverDatabase, strings.Join(problems, "; "))
}

// placementHost maps a primary replica's server name (NODE2 or NODE2\INSTANCE) to the
// answers' host name.
func placementHost(env *Env, server string) string {
	name, _, _ := strings.Cut(server, `\`)
	return answerHostFor(env.Answers.MasterHosts(), name)
}

// roleOwner is what failover.role.owner reads on one node.
type roleOwner struct {
	Node    string `json:"node"`
	Exists  bool   `json:"exists"`
	Owner   string `json:"owner"`
	State   string `json:"state"`
	Service string `json:"service"`
}

func readRoleOwner(ctx context.Context, env *Env, host string) (roleOwner, error) {
	_, name := accessPointNames(env.Answers)
	var out roleOwner
	if err := env.PS(ctx, host, psFailoverRoleOwner(name, env.Version.MasterService()), &out); err != nil {
		return roleOwner{}, fmt.Errorf("reading where the master role %s is, on %s: %w", name, host, err)
	}
	return out, nil
}

// readRoleOwnerAnywhere asks the master nodes in turn, as readAGPlacementAnywhere does.
func readRoleOwnerAnywhere(ctx context.Context, env *Env) (roleOwner, error) {
	_, name := accessPointNames(env.Answers)
	var problems []string
	for _, h := range env.Answers.MasterHosts() {
		r, err := readRoleOwner(ctx, env, h)
		if err != nil {
			if ctx.Err() != nil {
				return roleOwner{}, err
			}
			problems = append(problems, err.Error())
			continue
		}
		if !r.Exists {
			return roleOwner{}, fmt.Errorf("%s: the cluster has no role %s for the master; run step 7", h, name)
		}
		return r, nil
	}
	return roleOwner{}, fmt.Errorf("no master node says where the master role %s is (%s); check that the cluster service runs there", name, strings.Join(problems, "; "))
}

// --- templates ---

// tsqlFailoverAGPrimary reads, on one instance, the availability group that holds the
// database, this replica's role and synchronization, and the primary replica's name.
// sys.dm_hadr_availability_group_states.primary_replica is known on secondaries too.
func tsqlFailoverAGPrimary(database string) script.TSQL {
	return script.TSQL{Op: "failover.ag.primary", ReadOnly: true, Idempotent: true,
		Params: []script.Param{{Name: "Database", Value: database}},
		Text: `SELECT
    CAST(SERVERPROPERTY('ServerName') AS nvarchar(256)) AS server_name,
    ISNULL(ag.name, N'') AS ag_name,
    ISNULL(ars.role_desc, N'') AS local_role,
    ISNULL(ags.primary_replica, N'') AS primary_replica,
    ISNULL(drs.synchronization_state_desc, N'') AS sync_state,
    ISNULL(ar.availability_mode_desc, N'') AS availability_mode
FROM (SELECT 1 AS one) AS x
LEFT JOIN sys.availability_databases_cluster adc ON adc.database_name = @Database
LEFT JOIN sys.availability_groups ag ON ag.group_id = adc.group_id
LEFT JOIN sys.dm_hadr_availability_group_states ags ON ags.group_id = ag.group_id
LEFT JOIN sys.dm_hadr_availability_replica_states ars ON ars.group_id = ag.group_id AND ars.is_local = 1
LEFT JOIN sys.availability_replicas ar ON ar.replica_id = ars.replica_id
LEFT JOIN sys.dm_hadr_database_replica_states drs ON drs.group_database_id = adc.group_database_id AND drs.is_local = 1;`}
}

// tsqlFailoverAGMove is a planned manual failover, run on the replica that is to become
// primary. It checks again what the caller checked, because a replica can fall behind
// in between, and it never forces: FORCE_FAILOVER_ALLOW_DATA_LOSS is a disaster
// recovery decision, not a test. On the primary already it does nothing.
func tsqlFailoverAGMove(database string) script.TSQL {
	return script.TSQL{Op: "failover.ag.move", Timeout: limitAG, Idempotent: true,
		Params: []script.Param{{Name: "Database", Value: database}},
		Text: `SET NOCOUNT ON;
DECLARE @sql nvarchar(max), @msg nvarchar(2048), @ag sysname, @role nvarchar(60), @mode nvarchar(60), @moved bit = 0;
DECLARE @server nvarchar(256) = CAST(SERVERPROPERTY('ServerName') AS nvarchar(256));
SELECT @ag = ag.name
FROM sys.availability_databases_cluster adc
JOIN sys.availability_groups ag ON ag.group_id = adc.group_id
WHERE adc.database_name = @Database;
IF @ag IS NULL
BEGIN
    SET @msg = N'ssisha: ' + @Database + N' is in no availability group that ' + @server + N' is a replica of; run step 4 first.';
    THROW 50000, @msg, 1;
END;
SELECT @role = ars.role_desc, @mode = ar.availability_mode_desc
FROM sys.dm_hadr_availability_replica_states ars
JOIN sys.availability_replicas ar ON ar.replica_id = ars.replica_id
JOIN sys.availability_groups ag ON ag.group_id = ars.group_id
WHERE ag.name = @ag AND ars.is_local = 1;
IF ISNULL(@role, N'') <> N'PRIMARY'
BEGIN
    IF @role IS NULL OR @role = N'RESOLVING'
    BEGIN
        SET @msg = N'ssisha: ' + @server + N' has not joined availability group ' + @ag + N', so it cannot become its primary replica; run step 4 on ' + @server + N'.';
        THROW 50000, @msg, 1;
    END;
    IF @mode <> N'SYNCHRONOUS_COMMIT'
    BEGIN
        SET @msg = N'ssisha: the replica of ' + @ag + N' on ' + @server + N' is ' + @mode + N'; only a synchronous-commit replica can take a planned failover.';
        THROW 50000, @msg, 1;
    END;
    -- Every database of the group must be SYNCHRONIZED here, not only SSISDB: the
    -- failover moves them all.
    SELECT TOP (1) @msg = N'ssisha: the copy of ' + adc.database_name + N' on ' + @server + N' is '
        + ISNULL(drs.synchronization_state_desc, N'NOT JOINED') + N', not SYNCHRONIZED; a planned failover of ' + @ag
        + N' to it is refused, and ssisha never forces one (that loses data). Wait until the AG dashboard shows it SYNCHRONIZED, then move again.'
    FROM sys.availability_databases_cluster adc
    JOIN sys.availability_groups ag ON ag.group_id = adc.group_id
    LEFT JOIN sys.dm_hadr_database_replica_states drs ON drs.group_database_id = adc.group_database_id AND drs.is_local = 1
    WHERE ag.name = @ag AND ISNULL(drs.synchronization_state_desc, N'') <> N'SYNCHRONIZED';
    IF @@ROWCOUNT > 0
        THROW 50000, @msg, 1;
    SET @sql = N'ALTER AVAILABILITY GROUP ' + QUOTENAME(@ag) + N' FAILOVER;';
    EXEC sys.sp_executesql @sql;
    SET @moved = 1;
END;
SELECT @ag AS ag_name, @server AS server_name, @moved AS moved,
    (SELECT ars.role_desc FROM sys.dm_hadr_availability_replica_states ars
     JOIN sys.availability_groups ag ON ag.group_id = ars.group_id
     WHERE ag.name = @ag AND ars.is_local = 1) AS local_role;`}
}

// psFailoverRoleOwner reads, on one node, who owns the role and in what state, and the
// state of the master service on this node.
func psFailoverRoleOwner(name, serviceName string) script.PowerShell {
	return psWinRead("failover.role.owner", map[string]any{"name": name, "serviceName": serviceName}, `if (-not (Get-Command Get-ClusterGroup -ErrorAction SilentlyContinue)) {
    throw "the FailoverClusters module is not installed on $env:COMPUTERNAME; it is not a cluster node (step 1)"
}
$g = Get-ClusterGroup -Name $p.name -ErrorAction SilentlyContinue
$svc = Get-Service -Name $p.serviceName -ErrorAction SilentlyContinue
$r = [pscustomobject]@{
    node    = $env:COMPUTERNAME
    exists  = [bool]$g
    owner   = if ($g) { [string]$g.OwnerNode.Name } else { '' }
    state   = if ($g) { [string]$g.State } else { '' }
    service = if ($svc) { [string]$svc.Status } else { '' }
}
`)
}

// psFailoverRoleMove moves the role to the node it runs on. Running there lets it check
// first, locally and without a second hop, that the service exists: Move-ClusterGroup
// to a node without it would leave the role Failed instead of where it was.
func psFailoverRoleMove(name, serviceName, node string, timeoutSec int) script.PowerShell {
	return psWinChangeWithin(limitCluster, "failover.role.move", map[string]any{"name": name, "serviceName": serviceName, "node": node, "timeoutSec": timeoutSec}, `if (-not (Get-Command Move-ClusterGroup -ErrorAction SilentlyContinue)) {
    throw "the FailoverClusters module is not installed on $env:COMPUTERNAME; it is not a cluster node (step 1)"
}
if ($env:COMPUTERNAME -ne $p.node) {
    throw "failover.role.move moves the role to the node it runs on; it ran on $env:COMPUTERNAME, not $($p.node)"
}
$g = Get-ClusterGroup -Name $p.name -ErrorAction SilentlyContinue
if (-not $g) { throw "there is no role $($p.name) in cluster $((Get-Cluster).Name); create it first (step 7)" }
if (-not (Get-Service -Name $p.serviceName -ErrorAction SilentlyContinue)) {
    throw "service $($p.serviceName) is not installed on $($p.node), so role $($p.name) cannot run there; the role was not moved. Install the Scale Out Master on $($p.node) (step 3)."
}
$owners = @(($g | Get-ClusterOwnerNode).OwnerNodes | ForEach-Object { $_.Name })
if ($owners.Count -gt 0 -and $owners -notcontains $p.node) {
    throw "$($p.node) is not a possible owner of role $($p.name) (owners: $($owners -join ', ')); the role was not moved. Add it with Set-ClusterOwnerNode."
}
$cn = Get-ClusterNode -Name $p.node -ErrorAction SilentlyContinue
if (-not $cn) { throw "$($p.node) is not a node of cluster $((Get-Cluster).Name); the role was not moved" }
if ([string]$cn.State -ne 'Up') { throw "cluster node $($p.node) is $($cn.State), not Up; the role was not moved" }
$moved = $false
if ($g.OwnerNode.Name -ne $p.node) {
    Move-ClusterGroup -Name $p.name -Node $p.node -Wait $p.timeoutSec | Out-Null
    $moved = $true
} elseif ([string]$g.State -ne 'Online') {
    Start-ClusterGroup -Name $p.name -Wait $p.timeoutSec | Out-Null
}
$g = Get-ClusterGroup -Name $p.name
if ($g.OwnerNode.Name -ne $p.node -or [string]$g.State -ne 'Online') {
    throw "role $($p.name) is $($g.State) on $($g.OwnerNode.Name) after the move to $($p.node); see its critical events in Failover Cluster Manager"
}
$r = [pscustomobject]@{
    name    = $g.Name
    owner   = [string]$g.OwnerNode.Name
    state   = [string]$g.State
    service = [string](Get-Service -Name $p.serviceName).Status
    moved   = $moved
}
`, true)
}

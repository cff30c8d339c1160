package estate

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SQL Server Agent and the SSIS jobs it runs. The Agent is a Windows service that
// restarting the engine stops with it (Enable-SqlAlwaysOn restarts the engine and not
// its dependents); jobs run only while it runs. A job step's command is what the
// batch that created it said, and the lab runs what the command does: the failover
// monitor job calls catalog.startup, which marks every running Scale Out execution
// as ended unexpectedly, either on every run or (the product's job) only after
// internal.refresh_replica_status finds the replica was a secondary at its last run.

// AgentService is the Windows service of the default instance's SQL Server Agent.
const AgentService = "SQLSERVERAGENT"

// MonitorJobInterval is how often the failover monitor job's schedule fires.
const MonitorJobInterval = 2 * time.Minute

// AgentJob is a job in msdb.
type AgentJob struct {
	Name  string    `json:"name"`
	Owner string    `json:"owner,omitempty"` // the owner login's name
	Steps []JobStep `json:"steps,omitempty"`
	// LastRun and LastOutcome are sysjobhistory's latest row; LastMessage its message.
	// History is not kept across lab restarts (a real msdb purges it too).
	LastRun     time.Time `json:"-"`
	LastOutcome string    `json:"-"` // Succeeded | Failed
	LastMessage string    `json:"-"`
}

// JobStep is a T-SQL job step.
type JobStep struct {
	Name    string `json:"name"`
	Command string `json:"command"`
}

// UnmarshalJSON also reads the plain true that states saved before jobs had content
// hold.
func (j *AgentJob) UnmarshalJSON(b []byte) error {
	if string(b) == "true" || string(b) == "false" {
		*j = AgentJob{}
		return nil
	}
	type plain AgentJob
	return json.Unmarshal(b, (*plain)(j))
}

// Execution is a row of catalog.executions.
type Execution struct {
	ID     int64 `json:"id"`
	Status int   `json:"status"` // 2 running, 6 ended unexpectedly, 7 succeeded
	// ScaleOut: run by a worker, not by a local ISServerExec.
	ScaleOut bool `json:"scaleOut"`
	// EndedBy says what ended it when something other than the package did.
	EndedBy string `json:"endedBy,omitempty"`
	// WithoutRoleChange: catalog.startup ended it although no failover happened.
	WithoutRoleChange bool `json:"withoutRoleChange,omitempty"`
}

// Execution statuses of catalog.executions.
const (
	ExecRunning            = 2
	ExecEndedUnexpectedly  = 6
	execSucceeded          = 7
	jobOutcomeSucceeded    = "Succeeded"
	jobOutcomeFailed       = "Failed"
	errReplicaNotSupported = 27228
)

// agentOf is the service of n's SQL Server Agent, or nil.
func agentOf(n *Node) *Service {
	if n.SQL == nil {
		return nil
	}
	return n.Services[strings.ToLower(AgentServiceName(n.SQL.Name))]
}

// agentRunning reports whether n's SQL Server Agent runs.
func agentRunning(n *Node) bool {
	s := agentOf(n)
	return s != nil && s.State == "Running" && n.SQL.Running
}

// stopAgentWithEngine is what restarting the engine as Enable-SqlAlwaysOn -Force does to
// the Agent: it stops, and nothing starts it again.
func stopAgentWithEngine(n *Node) {
	if s := agentOf(n); s != nil {
		s.State = "Stopped"
	}
}

// procCalls returns the argument text of each call of the msdb procedure proc in a
// batch (up to the next msdb procedure call).
func procCalls(text, proc string) []string {
	var out []string
	low := strings.ToLower(text)
	marker := "msdb.dbo." + proc + " "
	for i := 0; ; {
		j := strings.Index(low[i:], marker)
		if j < 0 {
			return out
		}
		start := i + j + len(marker)
		end := strings.Index(low[start:], "msdb.dbo.sp_")
		if end < 0 {
			end = len(low) - start
		}
		out = append(out, text[start:start+end])
		i = start
	}
}

// jobFromBatch is the job a batch defines with sp_add_job and sp_add_jobstep: its
// owner (a literal @owner_login_name, else the login whose SID is 0x01, as the
// batch's SUSER_SNAME(0x01) finds it) and steps; nil when the batch adds no such job.
func jobFromBatch(in *Instance, text, job string) *AgentJob {
	var j *AgentJob
	for _, call := range procCalls(text, "sp_add_job") {
		if name, ok := sqlArg(call, "@job_name"); ok && strings.EqualFold(name, job) {
			j = &AgentJob{Name: job}
			if owner, ok := sqlArg(call, "@owner_login_name"); ok {
				j.Owner = owner
			} else {
				j.Owner = loginWithSID(in, "0x01")
			}
		}
	}
	if j == nil {
		return nil
	}
	for _, call := range procCalls(text, "sp_add_jobstep") {
		if name, ok := sqlArg(call, "@job_name"); ok && strings.EqualFold(name, job) {
			step, _ := sqlArg(call, "@step_name")
			cmd, _ := sqlArg(call, "@command")
			j.Steps = append(j.Steps, JobStep{Name: step, Command: cmd})
		}
	}
	return j
}

// loginWithSID is the name of in's login with that SID, or "".
func loginWithSID(in *Instance, sid string) string {
	for _, k := range sortedKeys(in.Logins) {
		if strings.EqualFold(in.Logins[k].SID, sid) {
			return in.Logins[k].Name
		}
	}
	return ""
}

// sqlArg reads the N'…' literal given to a named argument in a procedure call.
func sqlArg(call, name string) (string, bool) {
	i := strings.Index(strings.ToLower(call), strings.ToLower(name))
	if i < 0 {
		return "", false
	}
	s := strings.TrimLeft(call[i+len(name):], " \t\r\n=")
	s = strings.TrimPrefix(s, "N")
	if !strings.HasPrefix(s, "'") {
		return "", false
	}
	var b strings.Builder
	for j := 1; j < len(s); j++ {
		if s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				b.WriteByte('\'')
				j++
				continue
			}
			return b.String(), true
		}
		b.WriteByte(s[j])
	}
	return "", false
}

// RunAgentJobs runs, on every instance whose Agent runs, the jobs whose schedule is
// due at now (every job when force is set, as if each schedule fired now).
func (e *Estate) RunAgentJobs(now time.Time, force bool) {
	for _, k := range e.SortedHosts() {
		n := e.Nodes[k]
		if n.SQL == nil || !agentRunning(n) {
			continue
		}
		if j := n.SQL.Jobs[failoverMonitorJob]; j != nil && (force || now.Sub(j.LastRun) >= MonitorJobInterval) {
			e.runMonitorJob(n, j, now)
		}
	}
}

// agentJobs is the ticker that runs due jobs before each operation.
func agentJobs(e *Estate, now time.Time) { e.RunAgentJobs(now, false) }

// runMonitorJob runs the failover monitor job's steps on n as their commands say.
func (e *Estate) runMonitorJob(n *Node, j *AgentJob, now time.Time) {
	j.LastRun, j.LastOutcome, j.LastMessage = now, jobOutcomeSucceeded, ""
	ag := e.AG
	primary := ag != nil && strings.EqualFold(ag.Primary, n.Host) && ag.Joined[strings.ToLower(n.Host)]
	db := n.SQL.Databases[ssisdbKey]
	if !primary || db == nil || db.Catalog == nil {
		return
	}
	server := serverNameOf(n)
	for _, st := range j.Steps {
		cmd := strings.ToLower(st.Command)
		if !strings.Contains(cmd, "startup") {
			continue
		}
		if strings.Contains(cmd, "refresh_replica_status") {
			state, ok := db.Catalog.AlwaysOnReplicas[server]
			if !ok {
				j.LastOutcome = jobOutcomeFailed
				j.LastMessage = fmt.Sprintf("Msg %d: the replica '%s' is not registered in internal.alwayson_support_state.", errReplicaNotSupported, server)
				return
			}
			if state != 2 {
				continue
			}
			// internal.update_replica_info: this replica is the primary now.
			for s := range db.Catalog.AlwaysOnReplicas {
				db.Catalog.AlwaysOnReplicas[s] = 2
			}
			db.Catalog.AlwaysOnReplicas[server] = 1
			catalogStartup(db, j.Name+" on "+server+" after a failover", false)
			continue
		}
		catalogStartup(db, j.Name+" on "+server, true)
	}
}

// catalogStartup is catalog.startup: every running execution that is not a local
// ISServerExec (every Scale Out one) is marked ended unexpectedly.
func catalogStartup(db *Database, by string, withoutRoleChange bool) {
	for _, x := range db.Catalog.Executions {
		if x.Status == ExecRunning && x.ScaleOut {
			x.Status, x.EndedBy, x.WithoutRoleChange = ExecEndedUnexpectedly, "catalog.startup run by "+by, withoutRoleChange
		}
	}
}

package estate

import "strings"

// The SQL Server checks of each replica that SSISDB can fail over to: the replicas'
// endpoints admit each other.

func (h *healthCheck) sqlServer() {
	ag := h.e.AG
	if ag == nil {
		return
	}
	for _, r := range h.replicaNodes() {
		if msg := h.e.ReplicaConnectError(r); msg != "" && ag.Joined[strings.ToLower(r.Host)] {
			h.add(AreaSSISDB, r.Host, "CREATE LOGIN [<partner engine account>] FROM WINDOWS; GRANT CONNECT ON ENDPOINT::[<endpoint>] TO it, on each replica for every other (step 4)",
				"the replica is not connected to the primary (error %d: %s); SSISDB does not synchronize and cannot fail over here", ErrEndpointConnect, msg)
		}
	}
}

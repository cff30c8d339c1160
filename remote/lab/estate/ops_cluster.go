package estate

import (
	"fmt"
	"strings"
	"time"
)

// Failover cluster operations: the cluster itself (step 1) and the Scale Out Master's
// Generic Service role (step 7). The real scripts run these cmdlets in a scheduled
// task as the operator, so each checks the operator's password first.

// clusterOps adds the operations of this file to t.
func clusterOps(t *Operations) {
	t.AddPS("cluster.get", clusterGet)
	t.AddPS("cluster.create", clusterCreate)
	t.AddPS("cluster.destroy", clusterDestroy)
	t.AddPS("cluster.quorum.set", clusterQuorumSet)
	t.AddPS("cluster.role.get", clusterRoleGet)
	t.AddPS("cluster.role.create", clusterRoleCreate)
	t.AddPS("cluster.role.remove", clusterRoleRemove)
}

// clusterOf returns the cluster the node belongs to, or nil.
func clusterOf(e *Estate, n *Node) *Cluster {
	if e.Cluster != nil && winHasHost(e.Cluster.Nodes, n.Host) {
		return e.Cluster
	}
	return nil
}

// clusterDNSAdd registers a network name, short and fully qualified.
func clusterDNSAdd(e *Estate, name, ip string) {
	short := strings.ToLower(ShortName(name))
	e.DNS[short] = ip
	e.DNS[short+"."+e.DNSSuffix] = ip
}

func clusterDNSRemove(e *Estate, name string) {
	short := strings.ToLower(ShortName(name))
	delete(e.DNS, short)
	delete(e.DNS, short+"."+e.DNSSuffix)
}

// clusterAddressInUse reports whether an address answers on the network.
func clusterAddressInUse(e *Estate, ip string) bool {
	for _, v := range e.DNS {
		if v == ip {
			return true
		}
	}
	return false
}

// clusterIP strips a prefix length the way the scripts pass addresses.
func clusterIP(s string) string {
	ip, _, _ := strings.Cut(s, "/")
	return strings.TrimSpace(ip)
}

func clusterGet(c *OpContext, p Params) (any, error) {
	e := c.Estate
	res := map[string]any{
		"feature": winInstallState(c.Node, failoverClustering), "exists": false, "name": "", "address": "",
		"nodes": []any{}, "groups": []string{}, "quorumType": "", "witness": "", "witnessPath": "",
	}
	if cl := clusterOf(e, c.Node); cl != nil {
		nodes := []any{}
		for _, h := range cl.Nodes {
			nodes = append(nodes, map[string]any{"name": strings.ToUpper(ShortName(h)), "state": "Up"})
		}
		groups := []string{}
		for _, k := range sortedKeys(cl.Groups) {
			groups = append(groups, cl.Groups[k].Name)
		}
		res["exists"], res["name"], res["address"], res["nodes"], res["groups"] = true, cl.Name, cl.IP, nodes, groups
		res["quorumType"] = "NodeMajority"
		if cl.Witness != "" {
			res["quorumType"], res["witness"], res["witnessPath"] = "NodeAndFileShareMajority", "File Share Witness", cl.Witness
		}
	}
	res["nameInDns"], res["nameAddresses"] = winAddresses(e, p.String("name"))
	return res, nil
}

func clusterCreate(c *OpContext, p Params) (any, error) {
	e := c.Estate
	if err := winCheckRunAs(c, p.String("runAsUser"), p.String("runAsPassword")); err != nil {
		return nil, err
	}
	name := p.String("name")
	if cl := clusterOf(e, c.Node); cl != nil {
		if !strings.EqualFold(cl.Name, name) {
			return nil, errorf("this node already belongs to cluster %s", cl.Name)
		}
		return map[string]any{"name": cl.Name, "created": false, "report": ""}, nil
	}
	if e.Cluster != nil {
		return nil, errorf("New-Cluster : The lab holds one cluster, %s, and %s is not in it.", e.Cluster.Name, sqlServerNameOf(c.Node))
	}
	var members []string
	for _, h := range p.Strings("nodes") {
		n := e.Node(h)
		if n == nil {
			return nil, errorf("New-Cluster : There was an error validating the cluster nodes. The computer '%s' could not be reached.", h)
		}
		if !n.Features[failoverClustering] {
			return nil, errorf("New-Cluster : The Failover Clustering feature is not installed on node '%s'. Install it on every node first.", sqlServerNameOf(n))
		}
		members = append(members, strings.ToLower(n.Host))
	}
	if len(members) == 0 {
		return nil, errorf("New-Cluster : Cannot validate argument on parameter 'Node'. The argument is null or empty.")
	}
	if _, taken := winLookup(e, name); taken || winComputerObject(e, name) {
		return nil, errorf("New-Cluster : There was an error creating the cluster. The network name '%s' is already in use in DNS or Active Directory. Choose another cluster name, or remove the existing record and computer object.", strings.ToUpper(ShortName(name)))
	}
	ip := clusterIP(p.String("staticAddress"))
	if ip == "" {
		ip = fmt.Sprintf("10.0.0.%d", 200+c.nextSeq()%50)
	}
	if clusterAddressInUse(e, ip) {
		return nil, errorf("New-Cluster : There was an error creating the cluster. The static address %s is already in use on the network.", ip)
	}
	// Test-Cluster runs first and writes its report; it fails "Validate IP
	// Configuration" when two nodes share an address. It only warns: New-Cluster goes
	// on unless the script reads the result (its overall "Test Result" warning).
	if failed := clusterValidationFailure(e, members); failed != "" && strings.Contains(c.Script, "-WarningVariable") {
		return nil, errorf("cluster validation failed (%s); New-Cluster was not run. Read the report %s on %s", failed, `C:\ProgramData\ssisha\cluster-validate.htm`, sqlServerNameOf(c.Node))
	}
	c.Sleep(45 * time.Second)
	e.Cluster = &Cluster{Name: strings.ToUpper(ShortName(name)), IP: ip, Nodes: members, Groups: map[string]*ClusterGroup{}}
	clusterDNSAdd(e, name, ip)
	return map[string]any{"name": e.Cluster.Name, "created": true, "report": `C:\ProgramData\ssisha\cluster-validate.htm`}, nil
}

// clusterQuorumSet is Set-ClusterQuorum with a file share witness, or node majority
// without one. The cluster's computer object reaches the share, which must exist.
func clusterQuorumSet(c *OpContext, p Params) (any, error) {
	e := c.Estate
	if err := winCheckRunAs(c, p.String("runAsUser"), p.String("runAsPassword")); err != nil {
		return nil, err
	}
	cl := clusterOf(e, c.Node)
	if cl == nil {
		return map[string]any{"absent": true, "quorumType": "", "witnessPath": ""}, nil
	}
	if !strings.EqualFold(cl.Name, ShortName(p.String("name"))) {
		return nil, errorf("this node belongs to cluster %s, not %s", cl.Name, p.String("name"))
	}
	witness := p.String("witness")
	if witness != "" && !shareExists(e, witness) {
		return nil, errorf("Set-ClusterQuorum : There was an error configuring the file share witness '%s'. The network path was not found. Check that the share exists and that the cluster's computer object %s$ may change it.", witness, cl.Name)
	}
	c.Sleep(10 * time.Second)
	cl.Witness = witness
	quorum := "NodeMajority"
	if witness != "" {
		quorum = "NodeAndFileShareMajority"
	}
	return map[string]any{"absent": false, "quorumType": quorum, "witnessPath": witness}, nil
}

// shareExists reports whether the share of a UNC path (\\server\share\folder...)
// resolves and exists; a short server name is the domain's.
func shareExists(e *Estate, path string) bool {
	server, rest, _ := strings.Cut(strings.TrimPrefix(path, `\\`), `\`)
	share, _, _ := strings.Cut(rest, `\`)
	if _, ok := winLookup(e, server); !ok {
		return false
	}
	if !strings.Contains(server, ".") {
		server += "." + e.DNSSuffix
	}
	return e.FileShares[strings.ToLower(`\\`+server+`\`+share)]
}

func clusterDestroy(c *OpContext, p Params) (any, error) {
	e := c.Estate
	if err := winCheckRunAs(c, p.String("runAsUser"), p.String("runAsPassword")); err != nil {
		return nil, err
	}
	name := p.String("name")
	cl := clusterOf(e, c.Node)
	if cl == nil {
		return map[string]any{"name": name, "removed": false}, nil
	}
	if !strings.EqualFold(cl.Name, name) {
		return nil, errorf("this node belongs to cluster %s, not %s; nothing was removed", cl.Name, name)
	}
	if len(cl.Groups) > 0 {
		var roles []string
		for _, k := range sortedKeys(cl.Groups) {
			roles = append(roles, cl.Groups[k].Name)
		}
		return nil, errorf("cluster %s still hosts roles (%s); remove them first", cl.Name, strings.Join(roles, ", "))
	}
	c.Sleep(30 * time.Second)
	clusterDNSRemove(e, cl.Name)
	e.Cluster = nil
	return map[string]any{"name": name, "removed": true}, nil
}

func clusterRoleGet(c *OpContext, p Params) (any, error) {
	e := c.Estate
	name, svcName := p.String("name"), p.String("serviceName")
	res := map[string]any{
		"clusterExists": false, "group": nil, "services": []any{}, "dnsName": "",
		"addresses": []string{}, "possibleOwners": []string{},
	}
	if cl := clusterOf(e, c.Node); cl != nil {
		res["clusterExists"] = true
		services := []any{}
		for _, k := range sortedKeys(cl.Groups) {
			g := cl.Groups[k]
			if strings.EqualFold(g.Type, "GenericService") && strings.EqualFold(g.ServiceName, svcName) {
				services = append(services, map[string]any{"name": g.ServiceName, "group": g.Name, "state": g.State})
			}
		}
		res["services"] = services
		if g := cl.Groups[strings.ToLower(name)]; g != nil {
			owners := []string{}
			for _, o := range g.PossibleOwners {
				owners = append(owners, strings.ToUpper(ShortName(o)))
			}
			res["group"] = map[string]any{"name": g.Name, "state": g.State, "owner": strings.ToUpper(ShortName(g.Owner))}
			res["dnsName"] = g.DNSName
			if g.IP != "" {
				res["addresses"] = []string{g.IP}
			}
			res["possibleOwners"] = owners
		}
	}
	res["capInDns"], res["capAddresses"] = winAddresses(e, name)
	return res, nil
}

func clusterRoleCreate(c *OpContext, p Params) (any, error) {
	e := c.Estate
	if err := winCheckRunAs(c, p.String("runAsUser"), p.String("runAsPassword")); err != nil {
		return nil, err
	}
	cl := clusterOf(e, c.Node)
	if cl == nil {
		return nil, errorf("Get-ClusterGroup : The cluster service is not running on %s, or it is not a cluster node.", sqlServerNameOf(c.Node))
	}
	name, svcName := strings.ToUpper(ShortName(p.String("name"))), p.String("serviceName")
	key := strings.ToLower(name)
	hostsOf := func(names []string) []string {
		var out []string
		for _, o := range names {
			if n := e.Node(o); n != nil {
				out = append(out, strings.ToLower(n.Host))
			}
		}
		return out
	}
	g := cl.Groups[key]
	vcoCreated := false
	if g == nil {
		for _, h := range cl.Nodes {
			n := e.Node(h)
			if n == nil || n.Services[strings.ToLower(svcName)] == nil {
				return nil, errorf("Add-ClusterGenericServiceRole : The service '%s' is not installed on cluster node '%s'. Install it on every node that can own the role.", svcName, strings.ToUpper(ShortName(h)))
			}
		}
		// A disabled computer object of that name is one pre-staged for the cluster,
		// which the network name takes over; an enabled one belongs to someone else.
		vco := e.ComputerObjects[key]
		prestaged := vco != nil && !vco.Enabled
		if _, taken := winLookup(e, name); taken || !prestaged && winComputerObject(e, name) {
			return nil, errorf("Add-ClusterGenericServiceRole : There was an error configuring the client access point. The network name '%s' is already in use in DNS or Active Directory.", name)
		}
		ip := clusterIP(p.String("staticAddress"))
		if ip == "" || clusterAddressInUse(e, ip) {
			return nil, errorf("Add-ClusterGenericServiceRole : The static address '%s' is already in use on the network or not valid.", ip)
		}
		c.Sleep(30 * time.Second)
		// The role comes online where the service already runs, else on this node.
		owner := strings.ToLower(c.Node.Host)
		for _, h := range cl.Nodes {
			if n := e.Node(h); n != nil && n.Services[strings.ToLower(svcName)] != nil && n.Services[strings.ToLower(svcName)].State == "Running" {
				owner = strings.ToLower(n.Host)
				break
			}
		}
		g = &ClusterGroup{Name: name, Type: "GenericService", Owner: owner, State: "Offline", ServiceName: svcName, DNSName: name, IP: ip}
		cl.Groups[key] = g
		clusterDNSAdd(e, name, ip)
		if e.ComputerObjects == nil {
			e.ComputerObjects = map[string]*ComputerObject{}
		}
		if vco == nil {
			vco = &ComputerObject{WhenCreated: c.nodeTime().UTC()}
			e.ComputerObjects[key] = vco
		}
		vco.Enabled = true
		vcoCreated = !prestaged
	}
	// The script says which call it makes: owners for the group's (preferred owners),
	// possibleOwners for its resources'.
	if p["owners"] != nil {
		g.PreferredOwners = hostsOf(p.Strings("owners"))
	}
	if p["possibleOwners"] != nil {
		g.PossibleOwners = hostsOf(p.Strings("possibleOwners"))
	}
	if g.State != "Online" {
		n := e.Node(g.Owner)
		svc := n.Services[strings.ToLower(g.ServiceName)]
		if msg := serviceLogonProblem(e, svc); msg != "" {
			g.State = "Failed"
			return nil, errorf("Start-ClusterGroup : The role %s was created but did not come online on %s: %s", g.Name, sqlServerNameOf(n), msg)
		}
		svc.State = "Running"
		g.State = "Online"
	}
	return map[string]any{"name": g.Name, "state": g.State, "owner": strings.ToUpper(ShortName(g.Owner)), "computerObjectCreated": vcoCreated}, nil
}

func clusterRoleRemove(c *OpContext, p Params) (any, error) {
	e := c.Estate
	if err := winCheckRunAs(c, p.String("runAsUser"), p.String("runAsPassword")); err != nil {
		return nil, err
	}
	name := p.String("name")
	res := map[string]any{"name": name, "removed": false, "computerObjectRemoved": false, "dnsRecordRemoved": false}
	cl := clusterOf(e, c.Node)
	if cl == nil {
		return res, nil
	}
	g := cl.Groups[strings.ToLower(ShortName(name))]
	if g == nil {
		return res, nil
	}
	c.Sleep(10 * time.Second)
	if n := e.Node(g.Owner); n != nil {
		if svc := n.Services[strings.ToLower(g.ServiceName)]; svc != nil {
			svc.State = "Stopped"
		}
	}
	key := strings.ToLower(ShortName(name))
	delete(cl.Groups, key)
	clusterDNSRemove(e, g.DNSName)
	res["removed"], res["dnsRecordRemoved"] = true, true
	// The cluster disables the network name's computer object when the resource
	// goes; the script deletes it unless told to keep it (one pre-staged by AD
	// admins), or, given createdAfter, only when AD made it since then.
	if vco := e.ComputerObjects[key]; vco != nil {
		remove := p["removeComputerObject"] == nil || p.Bool("removeComputerObject")
		if after, err := time.Parse(time.RFC3339, p.String("createdAfter")); err == nil && !remove {
			remove = !vco.WhenCreated.Before(after)
		}
		if remove {
			delete(e.ComputerObjects, key)
			res["computerObjectRemoved"] = true
		} else {
			vco.Enabled = false
		}
	}
	return res, nil
}

// clusterValidationFailure is the first validation test the nodes fail, or "".
func clusterValidationFailure(e *Estate, members []string) string {
	seen := map[string]string{}
	for _, h := range members {
		n := e.Node(h)
		if other, dup := seen[n.IP]; dup {
			return fmt.Sprintf("Validate IP Configuration: %s and %s both have address %s", sqlServerNameOf(e.Node(other)), sqlServerNameOf(n), n.IP)
		}
		seen[n.IP] = h
	}
	return ""
}

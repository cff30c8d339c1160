package estate

import (
	"crypto/sha1"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/ssisha/ssisha/remote/script"
)

// Server-level T-SQL operations: instance facts, the mirroring endpoint, Windows
// logins and the logging login. What SSISDB holds is in ops_ssisdb.go, the
// availability group in ops_ag.go.

// LoggingLogin is the SQL login Scale Out Workers write execution logs with.
const LoggingLogin = "##MS_SSISLogDBWorkerAgentLogin##"

// LoggingUser is the SSISDB user the logging login maps to.
const LoggingUser = "##MS_SSISLogDBWorkerAgentUser##"

// cleanupLogin is the server login the SSIS maintenance job runs as.
const cleanupLogin = "##MS_SSISServerCleanupJobLogin##"

// The SSIS Agent jobs and startup procedure that live outside SSISDB.
const (
	maintenanceJob     = "SSIS Server Maintenance Job"
	failoverMonitorJob = "SSIS Failover Monitor Job"
	startupProc        = "sp_ssis_startup"
)

// sqlOps adds the operations of this file to t.
func sqlOps(t *Operations) {
	t.AddSQL("sql.server.facts", sqlServerFacts)
	t.AddSQL("sql.endpoint.ensure", sqlEndpointEnsure)
	t.AddSQL("sql.endpoint.drop", sqlEndpointDrop)
	t.AddSQL("sql.login.windows.ensure", sqlWindowsLoginEnsure)
	t.AddSQL("sql.login.drop", sqlLoginDrop)
	t.AddSQL("sql.login.sid", sqlLoginSID)
	t.AddSQL("sql.login.logging.facts", sqlLoggingFacts)
	t.AddSQL("sql.login.logging.set", sqlLoggingSet)
	t.AddSQL("sql.login.logging.ensure", sqlLoggingEnsure)
}

// sqlServerNameOf is the node's NetBIOS computer name, which is also @@SERVERNAME of
// its default instance.
func sqlServerNameOf(n *Node) string { return strings.ToUpper(ShortName(n.Host)) }

// serverNameOf is @@SERVERNAME of n's instance: the computer name, with \INSTANCE for
// a named instance.
func serverNameOf(n *Node) string {
	if n.SQL != nil && isNamedInstance(n.SQL.Name) {
		return sqlServerNameOf(n) + `\` + instanceName(n.SQL.Name)
	}
	return sqlServerNameOf(n)
}

func resultRow(cols []string, vals ...any) *script.ResultSet {
	return &script.ResultSet{Columns: cols, Rows: [][]any{vals}}
}

func bit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// callerIsSysadmin reports whether the operation's user is sysadmin on the instance.
func callerIsSysadmin(c *OpContext) bool {
	l := c.Node.SQL.Logins[strings.ToLower(c.User)]
	return l != nil && l.Sysadmin && !l.Disabled
}

func requireSysadmin(c *OpContext) error {
	if !callerIsSysadmin(c) {
		return SQLErrorf(15247, "User does not have permission to perform this action.")
	}
	return nil
}

func sqlServerFacts(c *OpContext, _ Params) (*script.ResultSet, error) {
	in := c.Node.SQL
	level, update := "RTM", ""
	if majorOf(in.Version) >= 15 {
		update = "CU" + fmt.Sprint(cuOf(in.Version))
	}
	return resultRow([]string{"server_name", "product_version", "product_level", "update_level", "edition", "engine_edition",
		"hadr_enabled", "integrated_only", "clr_enabled", "data_path", "log_path", "service_account"},
		serverNameOf(c.Node), in.Version, level, update, in.Edition, int64(in.EngineEdition),
		bit(in.HadrEnabled), bit(!in.MixedMode), bit(in.CLREnabled),
		`C:\Program Files\Microsoft SQL Server\MSSQL`+fmt.Sprint(majorOf(in.Version))+`.`+instanceName(in.Name)+`\MSSQL\DATA\`,
		`C:\Program Files\Microsoft SQL Server\MSSQL`+fmt.Sprint(majorOf(in.Version))+`.`+instanceName(in.Name)+`\MSSQL\DATA\`,
		in.ServiceAccount), nil
}

// cuOf derives a stable cumulative-update number from the build, so that two
// instances on different builds report different CUs.
func cuOf(version string) int {
	var a, b, build int
	_, _ = fmt.Sscanf(version, "%d.%d.%d", &a, &b, &build)
	return build % 100
}

// grantKey spells a server permission as the lab records it.
func grantKey(perm, on, to string) string {
	if on == "" {
		return perm + " TO " + to
	}
	return perm + " ON " + on + " TO " + to
}

var systemGrants = []string{"ALTER ANY AVAILABILITY GROUP", "CONNECT SQL", "VIEW SERVER STATE"}

func sqlEndpointEnsure(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	created := false
	var ep *Endpoint
	for _, e := range in.Endpoints {
		ep = e
	}
	if ep == nil {
		ep = &Endpoint{Name: p.String("Name"), Port: p.Int("Port"), State: "STARTED"}
		in.Endpoints[strings.ToLower(ep.Name)] = ep
		created = true
	}
	var logins, granted, system []string
	for _, acct := range strings.Split(p.String("Accounts"), "\n") {
		acct = strings.TrimSpace(acct)
		if acct == "" {
			continue
		}
		if _, ok := in.Logins[strings.ToLower(acct)]; !ok {
			if !c.Estate.windowsPrincipalExists(acct) {
				return nil, SQLErrorf(15401, "Windows NT user or group '%s' not found. Check the name again.", acct)
			}
			in.Logins[strings.ToLower(acct)] = &Login{Name: acct, Type: "WINDOWS_LOGIN", SID: WindowsSID(acct)}
			logins = append(logins, acct)
		}
		if k := grantKey("CONNECT", "ENDPOINT::"+ep.Name, acct); !in.Grants[k] {
			in.Grants[k] = true
			granted = append(granted, acct)
		}
	}
	for _, g := range systemGrants {
		if k := grantKey(g, "", `NT AUTHORITY\SYSTEM`); !in.Grants[k] {
			in.Grants[k] = true
			system = append(system, g)
		}
	}
	return resultRow([]string{"endpoint_name", "endpoint_created", "logins_created", "connect_granted", "system_granted"},
		ep.Name, bit(created), strings.Join(logins, "\n"), strings.Join(granted, "\n"), strings.Join(system, ",")), nil
}

func sqlEndpointDrop(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	name := p.String("Name")
	if p.Bool("DropEndpoint") {
		delete(in.Endpoints, strings.ToLower(name))
		for k := range in.Grants {
			if strings.Contains(k, " ON ENDPOINT::"+name+" TO ") {
				delete(in.Grants, k)
			}
		}
	}
	for _, l := range strings.Split(p.String("ConnectGrants"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			delete(in.Grants, grantKey("CONNECT", "ENDPOINT::"+name, l))
		}
	}
	for _, l := range strings.Split(p.String("Logins"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			delete(in.Logins, strings.ToLower(l))
			for k := range in.Grants {
				if strings.HasSuffix(k, " TO "+l) {
					delete(in.Grants, k)
				}
			}
		}
	}
	for _, g := range strings.Split(p.String("SystemGrants"), ",") {
		if g = strings.TrimSpace(g); slices.Contains(systemGrants, g) {
			delete(in.Grants, grantKey(g, "", `NT AUTHORITY\SYSTEM`))
		}
	}
	return nil, nil
}

func sqlWindowsLoginEnsure(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	name := p.String("Login")
	in := c.Node.SQL
	if _, ok := in.Logins[strings.ToLower(name)]; ok {
		return resultRow([]string{"created"}, int64(0)), nil
	}
	if !c.Estate.windowsPrincipalExists(name) {
		return nil, SQLErrorf(15401, "Windows NT user or group '%s' not found. Check the name again.", name)
	}
	in.Logins[strings.ToLower(name)] = &Login{Name: name, Type: "WINDOWS_LOGIN", SID: WindowsSID(name)}
	return resultRow([]string{"created"}, int64(1)), nil
}

func sqlLoginDrop(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	delete(c.Node.SQL.Logins, strings.ToLower(p.String("Login")))
	return nil, nil
}

func sqlLoggingFacts(c *OpContext, p Params) (*script.ResultSet, error) {
	in := c.Node.SQL
	cols := []string{"login_exists", "sid", "is_disabled", "password_matches", "integrated_only"}
	l := in.Logins[strings.ToLower(p.String("Login"))]
	if l == nil {
		return resultRow(cols, int64(0), nil, int64(0), int64(0), bit(!in.MixedMode)), nil
	}
	pw := p.String("Password")
	return resultRow(cols, int64(1), hexSID(l.SID), bit(l.Disabled), bit(pw != "" && l.Password == pw), bit(!in.MixedMode)), nil
}

// hexSID returns a 0x… SID as the bytes SQL Server sends for varbinary.
func hexSID(sid string) []byte {
	s := strings.TrimPrefix(strings.ToLower(sid), "0x")
	out := make([]byte, len(s)/2)
	for i := range out {
		_, _ = fmt.Sscanf(s[2*i:2*i+2], "%02x", &out[i])
	}
	return out
}

func sidHex(b []byte) string { return fmt.Sprintf("0x%X", b) }

// checkPasswordPolicy applies the Windows password policy as SQL Server does for a
// login with CHECK_POLICY = ON.
func checkPasswordPolicy(pw string) error {
	if len([]rune(pw)) < 8 {
		return SQLErrorf(15116, "Password validation failed. The password does not meet the operating system policy requirements because it is too short.")
	}
	var kinds [4]bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			kinds[0] = true
		case unicode.IsLower(r):
			kinds[1] = true
		case unicode.IsDigit(r):
			kinds[2] = true
		default:
			kinds[3] = true
		}
	}
	n := 0
	for _, k := range kinds {
		if k {
			n++
		}
	}
	if n < 3 {
		return SQLErrorf(15118, "Password validation failed. The password does not meet the operating system policy requirements because it is not complex enough.")
	}
	return nil
}

func sqlLoggingSet(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	name := p.String("Login")
	l := c.Node.SQL.Logins[strings.ToLower(name)]
	if l == nil {
		return nil, SQLErrorf(15151, "Cannot alter the login '%s', because it does not exist or you do not have permission.", name)
	}
	pw := p.String("Password")
	if l.CheckPolicy {
		if err := checkPasswordPolicy(pw); err != nil {
			return nil, err
		}
	}
	l.Password = pw
	return resultRow([]string{"sid"}, hexSID(l.SID)), nil
}

func sqlLoggingEnsure(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	name := p.String("Login")
	pw := p.String("Password")
	var sid string
	switch v := p["SID"].(type) {
	case []byte:
		sid = sidHex(v)
	case string:
		sid = v
	}
	if sid == "" || sid == "0x" {
		return nil, SQLErrorf(15419, "Supplied parameter sid should be binary(16).")
	}
	key := strings.ToLower(name)
	old := in.Logins[key]
	action := "created"
	var oldSID any
	if old != nil {
		oldSID = hexSID(old.SID)
		if strings.EqualFold(old.SID, sid) {
			if old.CheckPolicy {
				if err := checkPasswordPolicy(pw); err != nil {
					return nil, err
				}
			}
			old.Password = pw
			return resultRow([]string{"action", "old_sid"}, "altered", oldSID), nil
		}
		action = "recreated"
	}
	for _, l := range in.Logins {
		if l != old && strings.EqualFold(l.SID, sid) {
			return nil, SQLErrorf(15433, "Supplied parameter sid is in use.")
		}
	}
	in.Logins[key] = &Login{Name: name, Type: "SQL_LOGIN", SID: "0x" + strings.ToUpper(sid[2:]), Password: pw}
	return resultRow([]string{"action", "old_sid"}, action, oldSID), nil
}

// labThumbprint returns a deterministic 40-hex thumbprint for a new certificate.
func labThumbprint(c *OpContext, what string) string {
	h := sha1.Sum([]byte(fmt.Sprintf("%s|%s|%d", what, c.Node.Host, c.nextSeq())))
	return fmt.Sprintf("%X", h[:])
}

// labGUID returns a deterministic GUID for a new object.
func labGUID(c *OpContext) string {
	h := sha1.Sum([]byte(fmt.Sprintf("guid|%s|%d", c.Node.Host, c.nextSeq())))
	hs := fmt.Sprintf("%X", h[:16])
	return hs[0:8] + "-" + hs[8:12] + "-4" + hs[13:16] + "-8" + hs[17:20] + "-" + hs[20:32]
}

// sqlLoginSID is SUSER_SID(@Login): the login's SID, NULL when there is none.
func sqlLoginSID(c *OpContext, p Params) (*script.ResultSet, error) {
	if l := c.Node.SQL.Logins[strings.ToLower(p.String("Login"))]; l != nil {
		return resultRow([]string{"sid"}, hexSID(l.SID)), nil
	}
	return resultRow([]string{"sid"}, nil), nil
}

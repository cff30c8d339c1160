package answers

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"

	"github.com/ssisha/ssisha/sqlversion"
)

// problem is what a field validator returns: what is wrong and what to type instead.
// Validate splits the two into a FieldError.
type problem struct {
	what string
	fix  string
}

func (p *problem) Error() string {
	if p.fix == "" {
		return p.what
	}
	return p.what + "; " + p.fix
}

func bad(what, fix string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = shown(s)
		}
	}
	return &problem{what: fmt.Sprintf(what, args...), fix: fix}
}

// shown prints a value the user typed. With %q it is quoted the way a DBA reads it:
// backslashes in DOMAIN\user stay single, and only unprintable text is escaped.
type shown string

func (s shown) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(quote(string(s))))
		return
	}
	_, _ = f.Write([]byte(s))
}

// quote wraps v in double quotes, escaping it only when it holds a quote or a
// character that would not print.
func quote(v string) string {
	for _, r := range v {
		if r == '"' || !unicode.IsPrint(r) {
			return strconv.Quote(v)
		}
	}
	return `"` + v + `"`
}

// ValidateDomainAccount checks a service account typed as DOMAIN\user. Virtual and
// built-in accounts are refused: the master must log in to SQL Server on a remote
// replica, and the worker account is shared by every worker. Group managed service
// accounts (DOMAIN\name$) are accepted.
func ValidateDomainAccount(v string, master bool) error {
	why := "is different on every machine, and ssisha sets up every worker with one domain account"
	fix := `type a domain account such as CONTOSO\svc_ssisworker`
	if master {
		why = "cannot log in to a remote replica"
		fix = `type a domain account such as CONTOSO\svc_ssismaster`
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return bad("no account given", fix)
	}
	switch strings.ToLower(strings.ReplaceAll(v, " ", "")) {
	case "localsystem", "localservice", "networkservice", `ntauthority\system`,
		`ntauthority\localservice`, `ntauthority\networkservice`:
		return bad("%q is a built-in account, which %s", fix, v, why)
	}
	if strings.Contains(v, "@") && !strings.Contains(v, `\`) {
		return bad("%q is in user@domain form; setup takes the NetBIOS form", `type it as DOMAIN\user, for example CONTOSO\svc_ssismaster`, v)
	}
	domain, user, ok := strings.Cut(v, `\`)
	if !ok {
		return bad("%q has no domain", `add the NetBIOS domain in front, as in CONTOSO\`+v, v)
	}
	switch strings.ToLower(strings.TrimSpace(domain)) {
	case "nt service":
		return bad("%q is a virtual account, which %s", fix, v, why)
	case "nt authority", "builtin":
		return bad("%q is a built-in account, which %s", fix, v, why)
	case ".", "localhost":
		return bad("%q is a local account of one machine, which %s", fix, v, why)
	case "":
		return bad("%q has an empty domain", fix, v)
	}
	if err := ValidateDomainName(domain); err != nil {
		return bad("the domain part of %q is not a NetBIOS domain name", `type it as DOMAIN\user, for example CONTOSO\svc_ssismaster`, v)
	}
	name := strings.TrimSuffix(user, "$")
	if name == "" {
		return bad("%q has no user name after the backslash", fix, v)
	}
	if strings.ContainsAny(user, `\"/[]:;|=,+*?<>@`) || strings.ContainsFunc(user, unicode.IsControl) {
		return bad("the user name in %q contains a character Active Directory does not allow in account names", `use letters, digits, dot, hyphen and underscore`, v)
	}
	if len(user) > 20 {
		return bad("the user name in %q is %d characters; pre-Windows 2000 account names have at most 20", "type the account's pre-Windows 2000 (sAMAccountName) name", v, len(user))
	}
	if strings.HasSuffix(name, ".") {
		return bad("the user name in %q ends with a dot, which Active Directory does not allow", fix, v)
	}
	return nil
}

// ValidateHostName checks a DNS host name (short or fully qualified) by RFC 1123.
func ValidateHostName(v string) error {
	const fix = "type the DNS name, such as node1.contoso.com"
	if v == "" {
		return bad("no host name given", fix)
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return bad("%q is an IP address, but certificates and Kerberos name hosts", fix+" (an address override goes in winrm.address or sql.address)", v)
	}
	name := strings.TrimSuffix(v, ".")
	if len(name) > 253 {
		return bad("the host name is %d characters; DNS allows at most 253", fix, len(name))
	}
	for _, label := range strings.Split(name, ".") {
		if err := checkLabel(label, v); err != nil {
			return err
		}
	}
	return nil
}

func checkLabel(label, whole string) error {
	const fix = "type the DNS name, such as node1.contoso.com"
	switch {
	case label == "":
		return bad("%q has an empty part between dots", fix, whole)
	case len(label) > 63:
		return bad("%q has a part of %d characters; DNS allows at most 63 between dots", fix, whole, len(label))
	case strings.Contains(label, "_"):
		return bad("%q contains an underscore, which host names cannot have", "use a hyphen instead", whole)
	case label[0] == '-' || label[len(label)-1] == '-':
		return bad("%q has a part that starts or ends with a hyphen", fix, whole)
	}
	for _, r := range label {
		if !isAlnum(r) && r != '-' {
			return bad("%q contains %q; host names have only letters, digits and hyphens", fix, whole, r)
		}
	}
	return nil
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// ValidateFileShareWitness checks the UNC path of a cluster's file share witness:
// \\server\share, optionally with folders below the share.
func ValidateFileShareWitness(v string) error {
	const fix = `type the UNC path of a share on a server outside the cluster, such as \\fs01.contoso.com\witness\SSISCL`
	if !strings.HasPrefix(v, `\\`) {
		return bad("%q is not a UNC path (\\\\server\\share)", fix, v)
	}
	parts := strings.Split(strings.TrimPrefix(v, `\\`), `\`)
	if len(parts) < 2 || parts[1] == "" {
		return bad("%q names a server but no share", fix, v)
	}
	if err := ValidateHostName(parts[0]); err != nil {
		return bad("the server in %q is not a host name", fix, v)
	}
	for _, part := range parts[1:] {
		if part == "" {
			return bad("%q has an empty name between backslashes", fix, v)
		}
		if strings.ContainsAny(part, `/:*?"<>|`) || strings.ContainsFunc(part, unicode.IsControl) {
			return bad("%q contains a character Windows does not allow in share and folder names", fix, v)
		}
	}
	return nil
}

// witnessServer is the server part of a witness path, lower case.
func witnessServer(v string) string {
	server, _, _ := strings.Cut(strings.TrimPrefix(v, `\\`), `\`)
	return strings.ToLower(server)
}

// ValidateNetBIOSName checks a computer name that must also work as a NetBIOS name:
// the cluster name and the short names of the listener and the master's access point.
func ValidateNetBIOSName(v string) error {
	const fix = "type a short name of at most 15 letters, digits and hyphens, such as SSISCL"
	if v == "" {
		return bad("no name given", fix)
	}
	if strings.Contains(v, ".") {
		short, _, _ := strings.Cut(v, ".")
		return bad("%q is a DNS name; this field takes the short name", "type "+short, v)
	}
	if len(v) > 15 {
		return bad("%q is %d characters; NetBIOS honours only the first 15, and names that share them clash", fix, v, len(v))
	}
	if allDigits(v) {
		return bad("%q is all digits, which Windows refuses for computer names", fix, v)
	}
	if v[0] == '-' || v[len(v)-1] == '-' {
		return bad("%q starts or ends with a hyphen", fix, v)
	}
	for _, r := range v {
		if !isAlnum(r) && r != '-' {
			return bad("%q contains %q; computer names have only letters, digits and hyphens", fix, v, r)
		}
	}
	return nil
}

// ValidateDomainName checks a NetBIOS domain name such as CONTOSO.
func ValidateDomainName(v string) error {
	const fix = "type the NetBIOS domain name, such as CONTOSO"
	if v == "" {
		return bad("no domain given", fix)
	}
	if strings.Contains(v, ".") {
		short, _, _ := strings.Cut(v, ".")
		return bad("%q is a DNS domain; this field takes the NetBIOS domain name", "type it, usually "+strings.ToUpper(short)+" (see the domain in whoami output)", v)
	}
	if len(v) > 15 {
		return bad("%q is %d characters; NetBIOS domain names have at most 15", fix, v, len(v))
	}
	if allDigits(v) {
		return bad("%q is all digits", fix, v)
	}
	for _, r := range v {
		if !isAlnum(r) && r != '-' && r != '_' {
			return bad("%q contains %q; NetBIOS domain names have letters, digits, hyphens and underscores", fix, v, r)
		}
	}
	return nil
}

// ValidatePort checks a TCP port number.
func ValidatePort(n int) error {
	if n < 1 || n > 65535 {
		return bad("port %d is outside 1-65535", "type a TCP port number such as 8391", n)
	}
	return nil
}

// olderRelease reports a SQL Server release from before Scale Out existed (facts that
// adding a release never changes); newerRelease a year a little after the newest
// release in the sqlversion table, one ssisha does not know yet.
func olderRelease(n int) bool {
	switch n {
	case 2000, 2005, 2008, 2012, 2014, 2016:
		return n < sqlversion.First().Year
	}
	return false
}

func newerRelease(n int) bool {
	return n > sqlversion.Latest().Year && n <= sqlversion.Latest().Year+10
}

// ValidateSQLVersion checks the SQL Server release year; 0 means detect it.
func ValidateSQLVersion(n int) error {
	if _, ok := sqlversion.ByYear(n); ok || n == 0 {
		return nil
	}
	names := sqlversion.NameList()
	switch {
	case olderRelease(n):
		return bad("SQL Server %d has no Scale Out; it first shipped in %s", "type "+names+", or leave it out to detect it", n, sqlversion.First().Name)
	case newerRelease(n):
		return bad("SQL Server %d Scale Out is not yet supported by ssisha", "type "+names, n)
	}
	return bad("%d is not a SQL Server version ssisha knows", "type "+names+", or leave it out to detect it from the nodes", n)
}

// reservedInstanceNames are words SQL Server setup refuses as instance names.
var reservedInstanceNames = map[string]bool{
	"DEFAULT": true, "SELECT": true, "INSERT": true, "UPDATE": true, "DELETE": true,
	"TABLE": true, "DATABASE": true, "SERVER": true, "USER": true, "LOGIN": true,
	"PUBLIC": true, "NULL": true, "MSSQL": true, "SQLSERVER": true,
}

// ValidateInstanceName checks a SQL Server instance name as setup does. MSSQLSERVER
// is the default instance.
func ValidateInstanceName(v string) error {
	const fix = "type MSSQLSERVER for the default instance, or the name after the backslash for a named one"
	if v == "" {
		return bad("no instance name given", fix)
	}
	if host, inst, ok := strings.Cut(v, `\`); ok {
		return bad("%q includes the host %q", "type only the instance name, "+inst, v, host)
	}
	if len(v) > 16 {
		return bad("%q is %d characters; instance names have at most 16", fix, v, len(v))
	}
	if reservedInstanceNames[strings.ToUpper(v)] {
		return bad("%q is a reserved word, which setup refuses as an instance name", fix, v)
	}
	first := rune(v[0])
	if !(unicode.IsLetter(first) || first == '_' || first == '&') {
		return bad("%q starts with %q; an instance name starts with a letter, & or _", fix, v, first)
	}
	for _, r := range v[1:] {
		if !(isAlnum(r) || r == '_' || r == '$') {
			return bad("%q contains %q; instance names have letters, digits, _ and $", fix, v, r)
		}
	}
	return nil
}

// NormalizeThumbprint removes the spaces, colons and invisible marks that certificate
// dialogs add when a thumbprint is copied, and upper-cases it.
func NormalizeThumbprint(v string) string {
	var b strings.Builder
	for _, r := range v {
		if unicode.IsSpace(r) || r == ':' || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// ValidateThumbprint checks a certificate thumbprint: 40 hexadecimal digits. Spaces
// and lower case are tolerated; NormalizeThumbprint gives the form ssisha uses.
func ValidateThumbprint(v string) error {
	const fix = "copy the Thumbprint field of the certificate (40 hexadecimal digits)"
	n := NormalizeThumbprint(v)
	if n == "" {
		return bad("no thumbprint given", fix)
	}
	for _, r := range n {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'F') {
			return bad("the thumbprint contains %q, which is not a hexadecimal digit", fix, r)
		}
	}
	if len(n) != 40 {
		return bad("the thumbprint has %d hexadecimal digits (%s); a SHA-1 thumbprint has 40", fix, len(n), n)
	}
	return nil
}

// ValidateIPv4Prefix checks a static address with its subnet, as a.b.c.d/nn or
// a.b.c.d/255.255.255.0. The address must be usable by a cluster resource: not the
// subnet's network or broadcast address, not loopback, link-local or multicast.
func ValidateIPv4Prefix(v string) error {
	_, err := parseIPv4Prefix(v)
	return err
}

// parseIPv4Prefix parses and checks v; the prefix keeps the host address.
func parseIPv4Prefix(v string) (netip.Prefix, error) {
	const fix = "type the address with its prefix length, such as 10.0.0.50/24"
	v = strings.TrimSpace(v)
	if v == "" {
		return netip.Prefix{}, bad("no address given", fix)
	}
	addrText, maskText, ok := strings.Cut(v, "/")
	if !ok {
		return netip.Prefix{}, bad("%q has no subnet", "add the prefix length, as in "+v+"/24", v)
	}
	addr, err := netip.ParseAddr(addrText)
	if err != nil || !addr.Is4() {
		return netip.Prefix{}, bad("%q is not an IPv4 address", fix, addrText)
	}
	bits, err := prefixBits(maskText)
	if err != nil {
		return netip.Prefix{}, err
	}
	p := netip.PrefixFrom(addr, bits)
	switch {
	case addr.IsUnspecified() || addr.IsLoopback() || addr.IsMulticast() || addr.IsLinkLocalUnicast():
		return p, bad("%s is a loopback, link-local, multicast or unspecified address, which a cluster resource cannot use", "type an unused address of the nodes' subnet", addr)
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return p, bad("%s is the broadcast address", "type an unused address of the nodes' subnet", addr)
	}
	if bits <= 30 {
		network := p.Masked().Addr()
		if addr == network {
			return p, bad("%s is the network address of %s", "type a host address inside the subnet", addr, p.Masked())
		}
		if addr == broadcast(p) {
			return p, bad("%s is the broadcast address of %s", "type a host address inside the subnet", addr, p.Masked())
		}
	}
	return p, nil
}

// prefixBits reads a prefix length (24) or a dotted mask (255.255.255.0).
func prefixBits(s string) (int, error) {
	const fix = "type a prefix length from 8 to 32, or a mask such as 255.255.255.0"
	if allDigits(s) && len(s) <= 2 {
		n := 0
		for _, r := range s {
			n = n*10 + int(r-'0')
		}
		if n < 8 || n > 32 {
			return 0, bad("prefix length /%d is not a usable subnet", fix, n)
		}
		return n, nil
	}
	mask, err := netip.ParseAddr(s)
	if err != nil || !mask.Is4() {
		return 0, bad("%q is neither a prefix length nor a subnet mask", fix, s)
	}
	m := mask.As4()
	word := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	ones := 0
	for word&(1<<31) != 0 {
		ones++
		word <<= 1
	}
	if word != 0 {
		return 0, bad("subnet mask %s is not contiguous", fix, s)
	}
	if ones < 8 {
		return 0, bad("subnet mask %s is not a usable subnet", fix, s)
	}
	return ones, nil
}

func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	word := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(word >> 24), byte(word >> 16), byte(word >> 8), byte(word)})
}

// validateAddress checks a connection override: a host name or an IP address.
func validateAddress(v string) error {
	if _, err := netip.ParseAddr(v); err == nil {
		return nil
	}
	return ValidateHostName(v)
}

// ValidateAGName checks an availability group name as SQL Server takes it.
func ValidateAGName(v string) error {
	const fix = "type a name such as AG_SSIS"
	switch {
	case strings.TrimSpace(v) == "":
		return bad("no availability group name given", fix)
	case len(v) > 128 || strings.ContainsAny(v, `[]\`):
		return bad("%q is not a name SQL Server takes for an availability group", "type at most 128 characters without brackets or backslashes, such as AG_SSIS", v)
	}
	return nil
}

// ValidateLoginUser checks the user ssisha logs in to the nodes as: DOMAIN\user for
// NTLM, user@REALM for Kerberos, or a local user name for basic authentication.
func ValidateLoginUser(v string) error {
	const fix = `type DOMAIN\user, user@domain, or a local user name, such as CONTOSO\dba`
	v = strings.TrimSpace(v)
	if v == "" {
		return bad("no user given", fix)
	}
	name := v
	if domain, user, ok := strings.Cut(v, `\`); ok {
		if err := ValidateDomainName(domain); err != nil && domain != "." {
			return bad("the domain part of %q is not a NetBIOS domain name", fix, v)
		}
		name = user
	} else if user, realm, ok := strings.Cut(v, "@"); ok {
		if ValidateHostName(realm) != nil {
			return bad("the part after @ in %q is not a DNS domain", fix, v)
		}
		name = user
	}
	if name == "" || strings.ContainsAny(name, `\"/[]:;|=,+*?<>@`) || strings.ContainsFunc(name, unicode.IsControl) {
		return bad("%q is not a user name Windows takes", fix, v)
	}
	return nil
}

package steps

// The names ssisha derives from the answers: the access point, the domain suffix,
// short host names and bare addresses.

import (
	"strings"

	"github.com/ssisha/ssisha/steps/answers"
)

// accessPointNames are the master's client access point as a FQDN and as the short network
// name the cluster registers.
func accessPointNames(a *answers.Answers) (fqdn, short string) {
	name := strings.TrimSuffix(a.MasterService.DNSName, ".")
	short, _, _ = strings.Cut(name, ".")
	if strings.Contains(name, ".") {
		return name, short
	}
	if suffix := domainDNSSuffix(a); suffix != "" {
		return name + "." + suffix, short
	}
	return name, short
}

// domainDNSSuffix is the domain's DNS suffix as the master host names show it.
func domainDNSSuffix(a *answers.Answers) string {
	for _, m := range a.Masters {
		if _, rest, ok := strings.Cut(m.Host, "."); ok {
			return rest
		}
	}
	return ""
}

// hostShortName is a host's first label.
func hostShortName(h string) string {
	s, _, _ := strings.Cut(h, ".")
	return s
}

// addressOnly strips the prefix length from 10.0.0.60/24: the cluster cmdlets take the
// address alone and read the subnet from the network they find it on.
func addressOnly(s string) string {
	ip, _, _ := strings.Cut(strings.TrimSpace(s), "/")
	return ip
}

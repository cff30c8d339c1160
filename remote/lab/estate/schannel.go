package estate

import "strings"

// SChannel's client certificate trust on a master node. A worker authenticates to the
// master with its self-signed certificate, which the master trusts because it sits in
// LocalMachine\Root. When Root also holds certificates a CA issued, SChannel (with its
// defaults) sends the list of trusted issuers and checks the client certificate
// against machine trust in a way that rejects the worker's: the master answers 403.
// The documented fixes (either one, on every master node): SendTrustedIssuerList = 0,
// or ClientAuthTrustMode = 2; or take the CA-issued certificates out of Root.

// SChannel registry values, as the lab's registry keys them.
const (
	SChannelKey              = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL`
	ClientAuthTrustModeKey   = SChannelKey + `!ClientAuthTrustMode`
	SendTrustedIssuerListKey = SChannelKey + `!SendTrustedIssuerList`
)

// caIssuedInRoot counts the certificates in a node's Root store that a CA issued.
func caIssuedInRoot(n *Node) int {
	count := 0
	for _, c := range n.Certs[`LocalMachine\Root`] {
		if c.Issuer != "" && !strings.EqualFold(c.Issuer, c.Subject) {
			count++
		}
	}
	return count
}

// schannelRejectsWorkers reports whether the master on n answers a worker's self-signed
// client certificate with 403.
func schannelRejectsWorkers(n *Node) bool {
	if caIssuedInRoot(n) == 0 {
		return false
	}
	return n.Registry[ClientAuthTrustModeKey] != "2" && n.Registry[SendTrustedIssuerListKey] != "0"
}

// schannel adds a master node whose SChannel settings turn workers away.
func (h *healthCheck) schannel() {
	for _, n := range h.masterNodes() {
		if schannelRejectsWorkers(n) {
			h.add(AreaWorkers, n.Host, "set SendTrustedIssuerList = 0 (or ClientAuthTrustMode = 2) under "+SChannelKey+" on every master node, or take the CA-issued certificates out of Root",
				"Root holds %d certificates a CA issued and SChannel keeps its defaults: the master answers workers with 403", caIssuedInRoot(n))
		}
	}
}

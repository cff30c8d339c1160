package estate

import "testing"

func TestSChannelDefaultsRejectWorkersOnlyWithCAIssuedRootCertificates(t *testing.T) {
	n := newNode("node1.contoso.com", "master", "10.0.0.11")
	n.Certs[`LocalMachine\Root`]["A"] = &Cert{Thumbprint: "A", Subject: "CN=ssismaster"}
	if schannelRejectsWorkers(n) {
		t.Error("self-signed certificates only: rejected")
	}
	n.Certs[`LocalMachine\Root`]["B"] = &Cert{Thumbprint: "B", Subject: "CN=Issuing CA", Issuer: "CN=Root CA"}
	if !schannelRejectsWorkers(n) {
		t.Error("a CA-issued certificate in Root with SChannel's defaults: accepted")
	}
	n.Registry[ClientAuthTrustModeKey] = "2"
	if schannelRejectsWorkers(n) {
		t.Error("ClientAuthTrustMode = 2: still rejected")
	}
	delete(n.Registry, ClientAuthTrustModeKey)
	n.Registry[SendTrustedIssuerListKey] = "0"
	if schannelRejectsWorkers(n) {
		t.Error("SendTrustedIssuerList = 0: still rejected")
	}
}

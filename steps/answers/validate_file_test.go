package answers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateMistakesGolden(t *testing.T) {
	a, err := Load(filepath.Join("testdata", "mistakes.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	errs := Validate(a)
	got := errs.Error() + "\n"
	golden := filepath.Join("testdata", "mistakes.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("Validate output differs from %s (run with -update if intended):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
	for i := 1; i < len(errs); i++ {
		p, c := errs[i-1], errs[i]
		if p.Line > c.Line || p.Line == c.Line && p.Path > c.Path {
			t.Errorf("not sorted by line then path: %v before %v", p, c)
		}
	}
}

// find returns the problems reported for path.
func find(errs FieldErrors, path string) []FieldError {
	var out []FieldError
	for _, e := range errs {
		if e.Path == path {
			out = append(out, e)
		}
	}
	return out
}

func TestValidateWholeFileRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *Answers)
		path   string
		want   string
	}{
		{"one master", func(a *Answers) { a.Masters = a.Masters[:1] }, "masters", "at least two"},
		{"same host short and FQDN", func(a *Answers) { a.Masters[1].Host = "NODE1" }, "masters[1].host", "same computer as masters[0].host"},
		{"worker is a master", func(a *Answers) { a.Workers[0].Host = "node2" }, "workers[0].host", "already a master node"},
		{"listener named like the cluster", func(a *Answers) { a.AvailabilityGroup.Listener.DNSName = "ssiscl.contoso.com" }, "availabilityGroup.listener.dnsName", "also cluster.name"},
		{"access point named like a node", func(a *Answers) { a.MasterService.DNSName = "node2" }, "masterService.dnsName", "name of the node in masters[1].host"},
		{"account in another domain", func(a *Answers) { a.MasterService.Account = `FABRIKAM\svc` }, "masterService.account", "domain is CONTOSO"},
		{"virtual master account", func(a *Answers) { a.MasterService.Account = `NT Service\SSISScaleOutMaster150` }, "masterService.account", "cannot log in to a remote replica"},
		{"workers with two accounts", func(a *Answers) {
			a.Workers = append(a.Workers, Worker{Host: "worker2", Account: `CONTOSO\other`})
		}, "workers[1].account", "one worker account password"},
		{"master port is the endpoint port", func(a *Answers) { a.MasterService.Port = 5022 }, "masterService.port", "AG endpoint"},
		{"master port is WinRM", func(a *Answers) { a.MasterService.Port = 5986 }, "masterService.port", "WinRM over HTTPS"},
		{"endpoint on SQL port", func(a *Answers) { a.AvailabilityGroup.EndpointPort = 1433 }, "availabilityGroup.endpointPort", "port 1433 is also the port of"},
		{"same address twice", func(a *Answers) { a.MasterService.StaticAddress = "10.0.0.50/24" }, "masterService.staticAddress", "also availabilityGroup.listener.staticAddress"},
		{"other subnet", func(a *Answers) { a.MasterService.StaticAddress = "10.0.1.60/24" }, "masterService.staticAddress", "single-subnet"},
		{"other prefix length", func(a *Answers) { a.MasterService.StaticAddress = "10.0.0.60/16" }, "masterService.staticAddress", "/16 differs from /24"},
		{"network address", func(a *Answers) { a.Cluster.StaticAddress = "10.0.0.0/24" }, "cluster.staticAddress", "network address"},
		{"both certificate choices", func(a *Answers) { a.MasterService.Certificate.Thumbprint = strings.Repeat("A", 40) }, "masterService.certificate", "both generate and thumbprint"},
		{"no certificate choice", func(a *Answers) { a.MasterService.Certificate.Generate = false }, "masterService.certificate", "neither"},
		{"basic over http", func(a *Answers) { a.Connection.WinRM = WinRMConnection{Auth: "basic", HTTPS: false} }, "connection.winrm.auth", "plain HTTP"},
		{"certificate over http", func(a *Answers) {
			a.Connection.WinRM = WinRMConnection{Auth: "certificate", CertFile: "c.pem", KeyFile: "c.key"}
		}, "connection.winrm.auth", "only over HTTPS"},
		{"certificate without key", func(a *Answers) {
			a.Connection.WinRM = WinRMConnection{Auth: "certificate", HTTPS: true, CertFile: "c.pem"}
		}, "connection.winrm.auth", "certFile and connection.winrm.keyFile"},
		{"unknown winrm auth", func(a *Answers) { a.Connection.WinRM.Auth = "credssp" }, "connection.winrm.auth", "type ntlm, kerberos, basic or certificate"},
		{"bad encrypt", func(a *Answers) { a.Connection.SQL.Encrypt = "yes" }, "connection.sql.encrypt", "not an encryption mode"},
		{"bad sql auth", func(a *Answers) { a.Connection.SQL.Auth = "ntlm" }, "connection.sql.auth", "windows, sql or kerberos"},
		{"sql auth without user", func(a *Answers) { a.Connection.SQL.Auth = "sql" }, "connection.sql.user", "needs a login"},
		{"version 2016", func(a *Answers) { a.SQLVersion = 2016 }, "sqlVersion", "no Scale Out"},
		{"strict on 2019", func(a *Answers) { a.SQLVersion, a.Connection.SQL.Encrypt = 2019, "strict" }, "connection.sql.encrypt", "SQL Server 2019 does not speak"},
		{"relative setup media", func(a *Answers) { a.SetupMedia = "setup.exe" }, "setupMedia", "full Windows path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Example()
			tt.change(a)
			errs := Validate(a)
			got := find(errs, tt.path)
			if len(got) == 0 {
				t.Fatalf("no problem reported for %s; all:\n%v", tt.path, errs)
			}
			if !strings.Contains(got[0].Error(), tt.want) {
				t.Errorf("%s: %q does not contain %q", tt.path, got[0].Error(), tt.want)
			}
		})
	}
}

func TestValidateAllowsValidVariants(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *Answers)
	}{
		{"example", func(*Answers) {}},
		{"gMSA master", func(a *Answers) { a.MasterService.Account = `CONTOSO\gmsa_ssis$` }},
		{"thumbprint instead of generate", func(a *Answers) {
			a.MasterService.Certificate = Certificate{Thumbprint: "a9 4a 8f 0c 21 77 1e 6d 5b 2c 3d 4e 5f 60 71 82 93 a4 b5 c6"}
		}},
		{"detect version", func(a *Answers) { a.SQLVersion = 0 }},
		{"strict on 2022", func(a *Answers) { a.SQLVersion, a.Connection.SQL.Encrypt = 2022, "strict" }},
		{"strict, version detected", func(a *Answers) { a.SQLVersion, a.Connection.SQL.Encrypt = 0, "strict" }},
		{"lab overrides on loopback", func(a *Answers) {
			for i := range a.Masters {
				a.Masters[i].WinRM = Address{Address: "127.0.0.1", Port: 40001 + i}
				a.Masters[i].SQL = Address{Address: "127.0.0.1", Port: 5022}
			}
			a.AvailabilityGroup.Listener.Connect = Address{Address: "127.0.0.1", Port: 41433}
		}},
		{"basic over http allowed", func(a *Answers) {
			a.Connection.WinRM = WinRMConnection{Auth: "basic", AllowBasicOverHTTP: true}
		}},
		{"mask form", func(a *Answers) { a.Cluster.StaticAddress = "10.0.0.40/255.255.255.0" }},
		{"no workers", func(a *Answers) { a.Workers = nil }},
		{"insecure and trust", func(a *Answers) {
			a.Connection.WinRM.Insecure = true
			a.Connection.SQL.TrustServerCertificate = true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Example()
			tt.change(a)
			if errs := Validate(a); len(errs) > 0 {
				t.Errorf("unexpected problems:\n%v", errs)
			}
		})
	}
}

func TestValidateDoesNotChangeAnswers(t *testing.T) {
	a := &Answers{Masters: []Master{{Host: "n1"}, {Host: "n2"}}}
	Validate(a)
	if a.Masters[0].SQLInstance != "" || a.MasterService.Port != 0 {
		t.Errorf("Validate changed the answers: %+v", a)
	}
}

func TestFieldErrorsAsError(t *testing.T) {
	a := Example()
	a.MasterService.Account = `NT Service\SSISScaleOutMaster150`
	err := Validate(a).Err()
	var fe FieldErrors
	if !errors.As(err, &fe) || len(fe) != 1 {
		t.Fatalf("Validate(...).Err() = %v, want one FieldError", err)
	}
	want := `masterService.account: "NT Service\SSISScaleOutMaster150" is a virtual account, which cannot log in to a remote replica; type a domain account such as CONTOSO\svc_ssismaster`
	if fe[0].Error() != want {
		t.Errorf("got  %s\nwant %s", fe[0].Error(), want)
	}
	if Validate(Example()).Err() != nil {
		t.Error("Err() of no problems is not nil")
	}
}

func TestFieldErrorLineOfMissingKey(t *testing.T) {
	a, err := Parse([]byte("domain: CONTOSO\nmasterService:\n  dnsName: ssismaster\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := find(Validate(a), "masterService.account")
	if len(got) == 0 || got[0].Line != 2 {
		t.Errorf("missing masterService.account should point at its section on line 2: %v", got)
	}
}

package answers

import (
	"fmt"
	"strconv"

	"github.com/ssisha/ssisha/sqlversion"
)

// Primary is the initial primary replica: the first master. It is the zero Master
// when there is none (Validate reports that).
func (a *Answers) Primary() Master {
	if len(a.Masters) == 0 {
		return Master{}
	}
	return a.Masters[0]
}

// Secondaries are the masters after the first.
func (a *Answers) Secondaries() []Master {
	if len(a.Masters) < 2 {
		return nil
	}
	return append([]Master(nil), a.Masters[1:]...)
}

// MasterHosts are the master nodes' host names, primary first.
func (a *Answers) MasterHosts() []string {
	hosts := make([]string, len(a.Masters))
	for i, m := range a.Masters {
		hosts[i] = m.Host
	}
	return hosts
}

// WorkerHosts are the workers' host names in file order.
func (a *Answers) WorkerHosts() []string {
	hosts := make([]string, len(a.Workers))
	for i, w := range a.Workers {
		hosts[i] = w.Host
	}
	return hosts
}

// ListenerAddress is the listener as SQL Server clients and update_logdb_info name
// it: "dnsName,port".
func (a *Answers) ListenerAddress() string {
	l := a.AvailabilityGroup.Listener
	port := l.Port
	if port == 0 {
		port = DefaultListenerPort
	}
	return l.DNSName + "," + strconv.Itoa(port)
}

// MasterAddress is the Scale Out Master endpoint workers and SSISDB use:
// "https://dnsName:port".
func (a *Answers) MasterAddress() string {
	port := a.MasterService.Port
	if port == 0 {
		port = DefaultMasterPort
	}
	return fmt.Sprintf("https://%s:%d", a.MasterService.DNSName, port)
}

// Example is the answer file of the design, with defaults applied; it is valid.
func Example() *Answers {
	a := &Answers{
		SQLVersion: sqlversion.Default,
		Domain:     "CONTOSO",
		Cluster:    Cluster{Name: "SSISCL", StaticAddress: "10.0.0.40/24", Witness: `\\fs01.contoso.com\witness\SSISCL`},
		Masters: []Master{
			{Host: "node1.contoso.com", SQLInstance: DefaultSQLInstance, WinRM: Address{Port: 5986}, SQL: Address{Port: 1433}},
			{Host: "node2.contoso.com"},
		},
		SetupMedia: `C:\SQLMedia\setup.exe`,
		MasterService: MasterService{
			Account:       `CONTOSO\svc_ssismaster`,
			DNSName:       "ssismaster.contoso.com",
			StaticAddress: "10.0.0.60/24",
			Port:          DefaultMasterPort,
			Certificate:   Certificate{Generate: true, ExtraNames: []string{"ssismaster"}},
		},
		AvailabilityGroup: AvailabilityGroup{
			Name:         "AG_SSIS",
			EndpointPort: DefaultEndpointPort,
			Listener:     Listener{DNSName: "ssislsn", Port: DefaultListenerPort, StaticAddress: "10.0.0.50/24"},
		},
		Workers: []Worker{{Host: "worker1.contoso.com", Account: `CONTOSO\svc_ssisworker`}},
		Connection: Connection{
			WinRM: WinRMConnection{Auth: DefaultWinRMAuth, HTTPS: true},
			SQL:   SQLConnection{Auth: DefaultSQLAuth, Encrypt: DefaultEncrypt},
		},
	}
	a.ApplyDefaults()
	return a
}

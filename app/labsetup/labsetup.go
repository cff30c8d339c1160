// Package labsetup points ssisha at a running lab: the answers that name its nodes,
// accounts and CA, and how much of the real waits to spend against it. It lives
// beside the application layer so that nothing under steps imports the lab.
package labsetup

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps/answers"
)

// Answers returns the answers that point ssisha at a running lab reached at ep: the
// lab's nodes with their loopback addresses, its accounts and its CA, and the names a
// DBA would choose. strict asks for TDS 8.0 encryption, for a lab started with it.
// The CLI's lab commands and the benchmarks share it, so that both run the same
// estate.
func Answers(ep lab.Endpoints, strict bool) *answers.Answers {
	ans := answers.Example()
	ans.SQLVersion = 0
	ans.Domain = "CONTOSO"
	ans.Cluster = answers.Cluster{Name: "SSISCL", Create: true, StaticAddress: "10.0.0.40/24",
		Witness: `\\` + estate.FileServer + ".contoso.com\\" + estate.WitnessShare + `\SSISCL`}
	ans.SetupMedia = estate.SetupMediaPath
	ans.MasterService.Account = `CONTOSO\` + estate.MasterServiceAccount
	ans.MasterService.DNSName = "ssismaster.contoso.com"
	ans.MasterService.StaticAddress = "10.0.0.60/24"
	ans.MasterService.Port = 8391
	ans.MasterService.Certificate = answers.Certificate{Generate: true, ExtraNames: []string{"ssismaster"}}
	ans.AvailabilityGroup.Name = "AG_SSIS"
	ans.AvailabilityGroup.EndpointPort = 5022
	ans.AvailabilityGroup.Listener.DNSName = ep.ListenerName
	ans.AvailabilityGroup.Listener.Port = 1433
	ans.AvailabilityGroup.Listener.StaticAddress = "10.0.0.50/24"
	host, port := splitHostPort(ep.Listener)
	ans.AvailabilityGroup.Listener.Connect = answers.Address{Address: host, Port: port}
	ans.Masters = nil
	ans.Workers = nil
	nodes := append([]lab.NodeEndpoint(nil), ep.Nodes...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Host < nodes[j].Host })
	for _, n := range nodes {
		wh, wp := splitHostPort(n.WinRM)
		switch n.Role {
		case "master":
			sh, sp := splitHostPort(n.SQL)
			ans.Masters = append(ans.Masters, answers.Master{Host: n.Host, SQLInstance: n.Instance,
				WinRM: answers.Address{Address: wh, Port: wp}, SQL: answers.Address{Address: sh, Port: sp}})
		case "worker":
			ans.Workers = append(ans.Workers, answers.Worker{Host: n.Host, Account: `CONTOSO\` + estate.WorkerServiceAccount,
				WinRM: answers.Address{Address: wh, Port: wp}})
		}
	}
	ans.Connection.WinRM = answers.WinRMConnection{Auth: remote.WinRMAuthNTLM, HTTPS: true, CAFile: ep.CAFile, User: ep.AdminUser}
	encrypt := remote.EncryptTrue
	if strict {
		encrypt = remote.EncryptStrict
	}
	ans.Connection.SQL = answers.SQLConnection{Auth: remote.SQLAuthWindows, Encrypt: encrypt, CAFile: ep.CAFile, User: ep.AdminUser}
	ans.ApplyDefaults()
	return ans
}

// Secrets are the lab's passwords, and how much of the real waits to spend against a
// lab of that speed (SSISHA_WAIT_SCALE), as the secrets ssisha runs with.
func Secrets(l *lab.Lab, speed float64) (*answers.Secrets, error) {
	sec := &answers.Secrets{}
	for k, v := range l.Secrets() {
		if err := sec.Set(k, v); err != nil {
			return nil, fmt.Errorf("lab secret %s: %w", k, err)
		}
	}
	if err := sec.Set(answers.EnvWaitScale, strconv.FormatFloat(WaitScale(speed), 'g', -1, 64)); err != nil {
		return nil, err
	}
	return sec, nil
}

// WaitScale is how much of the real waits (worker registration, service start)
// the steps spend against a lab of that speed. At speed 0 the lab skips its delays,
// but polling still needs a little time between tries to stay meaningful.
func WaitScale(speed float64) float64 {
	if speed <= 0 {
		return 0.001
	}
	return speed
}

func splitHostPort(hp string) (string, int) {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 {
		return hp, 0
	}
	p, _ := strconv.Atoi(hp[i+1:])
	return hp[:i], p
}

package answers

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/sqlversion"
)

// wantErr checks a validator result: want "" means valid, otherwise the error must
// contain want.
func wantErr(t *testing.T, input string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%q: unexpected error %v", input, err)
	case want != "" && err == nil:
		t.Errorf("%q: no error, want one containing %q", input, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%q: error %q does not contain %q", input, err, want)
	}
}

func TestValidateDomainAccount(t *testing.T) {
	tests := []struct {
		v      string
		master bool
		want   string
	}{
		{`CONTOSO\svc_ssismaster`, true, ""},
		{`CONTOSO\gmsa_ssis$`, true, ""},
		{`NT Service\SSISScaleOutMaster150`, true, "virtual account, which cannot log in to a remote replica"},
		{`NT SERVICE\SSISScaleOutWorker150`, false, "virtual account"},
		{`NT AUTHORITY\SYSTEM`, true, "built-in account"},
		{`NT AUTHORITY\NetworkService`, true, "built-in account"},
		{`LocalSystem`, true, "built-in account"},
		{`Local Service`, true, "built-in account"},
		{`NetworkService`, false, "built-in account"},
		{`BUILTIN\Administrators`, true, "built-in account"},
		{`.\svc`, true, "local account"},
		{`svc_ssismaster`, true, `add the NetBIOS domain in front, as in CONTOSO\svc_ssismaster`},
		{`svc@contoso.com`, true, `DOMAIN\user`},
		{`contoso.com\svc`, true, "not a NetBIOS domain name"},
		{`CONTOSO\`, true, "no user name"},
		{`CONTOSO\a:b`, true, "does not allow"},
		{`CONTOSO\averyveryverylongaccountname`, true, "at most 20"},
		{``, true, "no account given"},
	}
	for _, tt := range tests {
		wantErr(t, tt.v, ValidateDomainAccount(tt.v, tt.master), tt.want)
	}
}

func TestValidateHostName(t *testing.T) {
	tests := []struct{ v, want string }{
		{"node1", ""},
		{"node1.contoso.com", ""},
		{"node1.contoso.com.", ""},
		{"n-1.x", ""},
		{"", "no host name"},
		{"node_1", "underscore"},
		{"-node", "hyphen"},
		{"node..com", "empty part"},
		{strings.Repeat("a", 64) + ".com", "at most 63"},
		{strings.Repeat("abcdefghi.", 26), "at most 253"},
		{"10.0.0.5", "IP address"},
		{"node 1", "contains"},
	}
	for _, tt := range tests {
		wantErr(t, tt.v, ValidateHostName(tt.v), tt.want)
	}
}

func TestValidateNetBIOSName(t *testing.T) {
	tests := []struct{ v, want string }{
		{"SSISCL", ""},
		{"ssis-lsn", ""},
		{"ssislsn.contoso.com", "type ssislsn"},
		{"SSISCLUSTERPRODUCTION", "first 15"},
		{"12345", "all digits"},
		{"ssis_cl", "contains"},
		{"-ssis", "hyphen"},
		{"", "no name"},
	}
	for _, tt := range tests {
		wantErr(t, tt.v, ValidateNetBIOSName(tt.v), tt.want)
	}
}

func TestValidateDomainName(t *testing.T) {
	tests := []struct{ v, want string }{
		{"CONTOSO", ""},
		{"CONTOSO-EU", ""},
		{"contoso.com", "usually CONTOSO"},
		{"ABCDEFGHIJKLMNOP", "at most 15"},
		{"123", "all digits"},
		{"CON TOSO", "contains"},
		{"", "no domain"},
	}
	for _, tt := range tests {
		wantErr(t, tt.v, ValidateDomainName(tt.v), tt.want)
	}
}

func TestValidatePortAndVersion(t *testing.T) {
	for _, n := range []int{1, 1433, 8391, 65535} {
		if err := ValidatePort(n); err != nil {
			t.Errorf("ValidatePort(%d) = %v", n, err)
		}
	}
	for _, n := range []int{0, -1, 65536} {
		if ValidatePort(n) == nil {
			t.Errorf("ValidatePort(%d) accepted", n)
		}
	}
	tests := []struct {
		n    int
		want string
	}{
		{0, ""}, {2017, ""}, {2019, ""}, {2022, ""},
		{2016, "first shipped in 2017"}, {15, "not a SQL Server version"},
	}
	for _, r := range sqlversion.All() {
		tests = append(tests, struct {
			n    int
			want string
		}{r.Year, ""})
	}
	// A release that has shipped without a row yet is named as such, until its row
	// is added.
	if _, ok := sqlversion.ByYear(2025); !ok {
		tests = append(tests, struct {
			n    int
			want string
		}{2025, "not yet supported"})
	}
	for _, tt := range tests {
		wantErr(t, "", ValidateSQLVersion(tt.n), tt.want)
	}
}

func TestValidateIPv4Prefix(t *testing.T) {
	tests := []struct{ v, want string }{
		{"10.0.0.50/24", ""},
		{"10.0.0.50/255.255.255.0", ""},
		{"192.168.1.1/32", ""},
		{"10.0.0.50", "add the prefix length, as in 10.0.0.50/24"},
		{"10.0.0.0/24", "network address"},
		{"10.0.0.255/24", "broadcast address of 10.0.0.0/24"},
		{"10.0.0.50/33", "not a usable subnet"},
		{"10.0.0.50/255.0.255.0", "not contiguous"},
		{"10.0.0.500/24", "not an IPv4 address"},
		{"fe80::1/64", "not an IPv4 address"},
		{"127.0.0.1/8", "loopback"},
		{"169.254.1.1/16", "link-local"},
		{"10.0.0.50/abc", "neither a prefix length nor a subnet mask"},
		{"", "no address"},
	}
	for _, tt := range tests {
		wantErr(t, tt.v, ValidateIPv4Prefix(tt.v), tt.want)
	}
}

func TestValidateInstanceName(t *testing.T) {
	tests := []struct{ v, want string }{
		{"MSSQLSERVER", ""},
		{"SSIS01", ""},
		{"_inst$1", ""},
		{"DEFAULT", "reserved word"},
		{"default", "reserved word"},
		{`NODE1\SSIS`, "type only the instance name, SSIS"},
		{"ABCDEFGHIJKLMNOPQ", "at most 16"},
		{"1SSIS", "starts with"},
		{"SSIS-01", "contains"},
		{"", "no instance name"},
	}
	for _, tt := range tests {
		wantErr(t, tt.v, ValidateInstanceName(tt.v), tt.want)
	}
}

func TestValidateThumbprint(t *testing.T) {
	good := "A94A8F0C21771E6D5B2C3D4E5F60718293A4B5C6"
	tests := []struct{ v, want string }{
		{good, ""},
		{strings.ToLower(good), ""},
		{"a9 4a 8f 0c 21 77 1e 6d 5b 2c 3d 4e 5f 60 71 82 93 a4 b5 c6", ""},
		{"\u200e" + good, ""},
		{good[:39], "has 39 hexadecimal digits (" + good[:39] + ")"},
		{good[:39] + "G", "not a hexadecimal digit"},
		{"", "no thumbprint"},
	}
	for _, tt := range tests {
		wantErr(t, tt.v, ValidateThumbprint(tt.v), tt.want)
	}
	if got := NormalizeThumbprint("a9:4a 8f"); got != "A94A8F" {
		t.Errorf("NormalizeThumbprint = %q", got)
	}
}

func TestValidatePassword(t *testing.T) {
	const login = "##MS_SSISLogDBWorkerAgentLogin##"
	tests := []struct {
		kind PasswordKind
		v    string
		want string
	}{
		{LoggingPassword, "Str0ng!Passw0rd", ""},
		{LoggingPassword, "Str0ngPassw0rd", ""},
		{LoggingPassword, "Str0ng'Pass", "connection string"},
		{LoggingPassword, `Str0ng"Pass`, "connection string"},
		{LoggingPassword, "Str0ng;Pass", "connection string"},
		{LoggingPassword, "Sh0rt!", "at least 8"},
		{LoggingPassword, "alllowercase1", "3 of upper case"},
		{LoggingPassword, "Xx1" + login, "contains the login name"},
		{MasterKeyPassword, "Mast3r!Key", ""},
		{MasterKeyPassword, "abcdefgh", "3 of upper case"},
		{MasterKeyPassword, strings.Repeat("Aa1", 43), "at most 128"},
		{ServiceAccountPassword, `Pa"ssword`, "setup.exe command line"},
		{ServiceAccountPassword, "Pa'ss;word", ""},
		{PFXPassword, "x", "at least 8"},
		{PFXPassword, "node1", "at least 8"},
		{ConnectionPassword, "1234567", "at least 8"},
		{ConnectionPassword, "12345678", ""},
		{ConnectionPassword, "p\tw", "control character at position 2"},
		{PFXPassword, "a\x00b", "control character"},
		{PFXPassword, "", "empty"},
		{ConnectionPassword, "\xff\xfe", "not valid UTF-8"},
	}
	for _, tt := range tests {
		err := ValidatePassword(tt.kind, tt.v, login)
		wantErr(t, tt.kind.String(), err, tt.want)
		if err != nil && len(tt.v) > 3 && strings.Contains(err.Error(), tt.v) {
			t.Errorf("error for a %s contains the password: %v", tt.kind, err)
		}
	}
}

func TestValidatePasswordNeverEchoesCanary(t *testing.T) {
	const canary = "Canary-7f3a'\"; x"
	for _, kind := range []PasswordKind{ServiceAccountPassword, LoggingPassword, MasterKeyPassword, PFXPassword, ConnectionPassword} {
		for _, v := range []string{canary, canary + "\n", "\x01" + canary} {
			if err := ValidatePassword(kind, v, "svc"); err != nil && strings.Contains(err.Error(), "Canary-7f3a") {
				t.Errorf("%s: error contains the password: %v", kind, err)
			}
		}
	}
}

func TestValidateFileShareWitness(t *testing.T) {
	for _, tt := range []struct{ v, want string }{
		{`\\fs01.contoso.com\witness\SSISCL`, ""},
		{`\\fs01\witness`, ""},
		{`C:\witness`, "is not a UNC path"},
		{`\\fs01`, "names a server but no share"},
		{`\\fs01\`, "names a server but no share"},
		{`\\fs_01\w`, "is not a host name"},
		{`\\fs01\w\\x`, "empty name between backslashes"},
		{`\\fs01\w\a:b`, "does not allow in share and folder names"},
	} {
		wantErr(t, tt.v, ValidateFileShareWitness(tt.v), tt.want)
	}
}

func TestWitnessOutsideTheCluster(t *testing.T) {
	a := Example()
	a.Cluster.Witness = `\\node2\witness`
	errs := Validate(a)
	if len(errs) != 1 || errs[0].Path != "cluster.witness" || !strings.Contains(errs[0].Error(), "a node of the cluster") {
		t.Fatalf("errors = %v, want one for cluster.witness on a node", errs)
	}
	a.Cluster.Witness = `\\fs01.contoso.com\witness\SSISCL`
	if errs := Validate(a); len(errs) != 0 {
		t.Fatalf("errors = %v for a witness on a file server", errs)
	}
}

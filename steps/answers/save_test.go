package answers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestMarshalRoundTrip(t *testing.T) {
	variants := map[string]func(a *Answers){
		"example": func(*Answers) {},
		"https off with thumbprint": func(a *Answers) {
			a.Connection.WinRM = WinRMConnection{Auth: "basic", AllowBasicOverHTTP: true, User: `CONTOSO\admin`}
			a.MasterService.Certificate = Certificate{Thumbprint: "A94A8F0C21771E6D5B2C3D4E5F60718293A4B5C6"}
			a.Masters[1].WinRM = Address{Address: "127.0.0.1", Port: 40000}
			a.AvailabilityGroup.Listener.Connect = Address{Address: "127.0.0.1", Port: 41433}
			a.Connection.SQL.Encrypt = "strict"
		},
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			a := Example()
			change(a)
			data, err := Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse(Marshal(a)): %v\n%s", err, data)
			}
			b.ApplyDefaults()
			if !reflect.DeepEqual(withoutLines(a), withoutLines(b)) {
				t.Errorf("round trip changed the answers\nbefore %+v\nafter  %+v\n%s", a, b, data)
			}
		})
	}
}

func TestSaveIsPrivateAndLoadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "answers.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, Example()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), SchemaHeader) {
		t.Errorf("the saved file does not begin with the schema header %q:\n%s", SchemaHeader, data)
	}
	a, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(withoutLines(a), withoutLines(Example())) {
		t.Errorf("saved answers load differently: %+v", a)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestHelpers(t *testing.T) {
	a := Example()
	if a.Primary().Host != "node1.contoso.com" {
		t.Errorf("Primary = %v", a.Primary())
	}
	if s := a.Secondaries(); len(s) != 1 || s[0].Host != "node2.contoso.com" {
		t.Errorf("Secondaries = %v", s)
	}
	if got := a.MasterHosts(); !reflect.DeepEqual(got, []string{"node1.contoso.com", "node2.contoso.com"}) {
		t.Errorf("MasterHosts = %v", got)
	}
	if got := a.WorkerHosts(); !reflect.DeepEqual(got, []string{"worker1.contoso.com"}) {
		t.Errorf("WorkerHosts = %v", got)
	}
	if got := a.ListenerAddress(); got != "ssislsn,1433" {
		t.Errorf("ListenerAddress = %q", got)
	}
	if got := a.MasterAddress(); got != "https://ssismaster.contoso.com:8391" {
		t.Errorf("MasterAddress = %q", got)
	}
	var empty Answers
	if empty.Primary().Host != "" || empty.Secondaries() != nil {
		t.Error("helpers on empty answers")
	}
}

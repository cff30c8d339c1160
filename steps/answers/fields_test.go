package answers

import (
	"reflect"
	"strings"
	"testing"
)

// Every path of the registry names a key of the answer file, so the wizard's keys,
// Validate's paths and the field checks' paths are the same.
func TestFieldPathsAreAnswerFileKeys(t *testing.T) {
	for _, f := range Fields() {
		typ := reflect.TypeOf(Answers{})
		for _, part := range strings.Split(strings.ReplaceAll(f.Path, "[]", ""), ".") {
			for typ.Kind() == reflect.Slice {
				typ = typ.Elem()
			}
			next, ok := fieldByYAMLKey(typ, part)
			if !ok {
				t.Errorf("%s: %s has no key %q", f.Path, typ.Name(), part)
				break
			}
			typ = next
		}
	}
}

func fieldByYAMLKey(typ reflect.Type, key string) (reflect.Type, bool) {
	if typ.Kind() != reflect.Struct {
		return nil, false
	}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		if name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ","); name == key {
			return sf.Type, true
		}
	}
	return nil, false
}

// The wizard shows the example's values without a problem, and writing them back
// changes nothing.
func TestFieldsRoundTripTheExample(t *testing.T) {
	a := Example()
	values := map[string]string{}
	for _, f := range Fields() {
		if !f.Asked() {
			continue
		}
		v := f.Get(a)
		values[f.Path] = v
		if f.Validate != nil {
			if err := f.Validate(v); err != nil {
				t.Errorf("%s: the example's %q is refused: %v", f.Path, v, err)
			}
		}
	}
	b := Example()
	ApplyFields(b, values)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("applying the example's own values changed it:\n got %+v\nwant %+v", b, a)
	}
}

// Every choice the wizard offers is one validate --offline accepts, and every value
// validate --offline accepts is offered.
func TestChoicesAreWhatValidateAccepts(t *testing.T) {
	for _, f := range Fields() {
		if f.Choices == nil || f.set == nil {
			continue
		}
		for _, c := range f.Choices {
			a := Example()
			a.Connection.WinRM.CertFile, a.Connection.WinRM.KeyFile = "client.pem", "client.key"
			ApplyFields(a, map[string]string{f.Path: c})
			if errs := find(Validate(a), f.Path); len(errs) > 0 {
				t.Errorf("%s: the wizard offers %q, which validate refuses: %v", f.Path, c, errs[0])
			}
			if f.Validate != nil && f.Validate(c) != nil {
				t.Errorf("%s: the wizard offers %q, which its rule refuses", f.Path, c)
			}
		}
	}
	for _, path := range []string{"connection.winrm.auth", "connection.sql.auth"} {
		f, _ := FieldByPath(path)
		a := Example()
		ApplyFields(a, map[string]string{path: "nonsense"})
		if len(find(Validate(a), path)) == 0 {
			t.Errorf("%s: validate accepts a value the wizard does not offer", path)
		}
		if len(f.Choices) == 0 {
			t.Errorf("%s offers nothing", path)
		}
	}
}

// Hosts typed as one list keep each node's other settings by position, and the worker
// account applies to the workers the list makes, whatever order the values come in.
func TestApplyFieldsLists(t *testing.T) {
	a := Example()
	a.Masters = []Master{{Host: "old1", SQLInstance: "INST1"}, {Host: "old2"}}
	ApplyFields(a, map[string]string{"workers.account": `CONTOSO\svc_w`, "masters": "node1,\fnode2 node3", "workers": "w1; w2"})
	if got := a.MasterHosts(); !reflect.DeepEqual(got, []string{"node1", "node2", "node3"}) || a.Masters[0].SQLInstance != "INST1" {
		t.Errorf("masters = %+v", a.Masters)
	}
	for _, w := range a.Workers {
		if w.Account != `CONTOSO\svc_w` {
			t.Errorf("worker %s has account %q", w.Host, w.Account)
		}
	}
	if len(a.Workers) != 2 {
		t.Errorf("workers = %+v", a.Workers)
	}
}

func TestFieldByPathMatchesIndexes(t *testing.T) {
	for path, want := range map[string]string{"masters[1].host": "masters[].host", "workers[12].account": "workers[].account", "cluster.name": "cluster.name"} {
		if f, ok := FieldByPath(path); !ok || f.Path != want {
			t.Errorf("FieldByPath(%q) = %q, %v", path, f.Path, ok)
		}
	}
	if _, ok := FieldByPath("masters[x].host"); ok {
		t.Error("a malformed index matched")
	}
}

// A value the wizard's rule refuses at its field is refused by validate --offline
// at the same path with the same words, and the examples of names that must be new
// are never a node's or a cluster's name.
func TestFieldRuleIsValidatesRule(t *testing.T) {
	cases := []struct{ path, value string }{
		{"domain", "contoso.com"},
		{"domain", ""},
		{"masterService.dnsName", "ssismaster-primary.contoso.com"},
		{"masterService.dnsName", ""},
		{"masterService.staticAddress", ""},
		{"availabilityGroup.name", ""},
		{"availabilityGroup.name", "AG[1]"},
		{"availabilityGroup.listener.dnsName", "ssis_lsn"},
		{"availabilityGroup.listener.staticAddress", ""},
		{"connection.winrm.user", `CONTOSO\`},
		{"cluster.name", "SSISCLUSTERPRODUCTION"},
	}
	for _, c := range cases {
		f, ok := FieldByPath(c.path)
		if !ok || !f.Asked() {
			t.Fatalf("%s is not a field the wizard asks", c.path)
		}
		ruleErr := f.Validate(c.value)
		if ruleErr == nil {
			t.Errorf("%s %q: the wizard's rule accepts it", c.path, c.value)
			continue
		}
		a := Example()
		ApplyFields(a, map[string]string{c.path: c.value})
		var got *FieldError
		for _, e := range Validate(a) {
			if e.Path == c.path {
				got = &e
				break
			}
		}
		if got == nil {
			t.Errorf("%s %q: the wizard refuses it (%v) but validate accepts it", c.path, c.value, ruleErr)
			continue
		}
		if want := got.Problem + "; " + got.Fix; ruleErr.Error() != want {
			t.Errorf("%s %q:\n wizard:   %v\n validate: %s", c.path, c.value, ruleErr, want)
		}
		for _, wrong := range []string{"node1.contoso.com", "SSISCL"} {
			if c.path != "cluster.name" && strings.Contains(ruleErr.Error(), wrong) {
				t.Errorf("%s %q: the example %s is not a new name of this kind: %v", c.path, c.value, wrong, ruleErr)
			}
		}
	}
	for _, ok := range []struct{ path, value string }{
		{"availabilityGroup.listener.dnsName", "ssislsn.contoso.com"},
		{"connection.winrm.user", "dba@contoso.com"},
		{"connection.winrm.user", "Administrator"},
	} {
		f, _ := FieldByPath(ok.path)
		a := Example()
		ApplyFields(a, map[string]string{ok.path: ok.value})
		if err := f.Validate(ok.value); err != nil {
			t.Errorf("%s %q: the wizard refuses it: %v", ok.path, ok.value, err)
		}
		for _, e := range Validate(a) {
			if e.Path == ok.path {
				t.Errorf("%s %q: validate refuses it: %v", ok.path, ok.value, e)
			}
		}
	}
}

// The worker account's network check runs under the key the wizard asks it by.
func TestWorkerAccountIsCheckedLive(t *testing.T) {
	f, ok := FieldByPath("workers.account")
	if !ok || f.Check != CheckAccount || f.Group != GroupWorkers {
		t.Errorf("workers.account: check %v in group %v, want the account check with the worker hosts", f.Check, f.Group)
	}
	for _, f := range Fields() {
		if f.Check == CheckPortFree || f.Check == CheckAGFree {
			t.Errorf("%s promises a network check that nothing runs", f.Path)
		}
	}
}

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ssisha/ssisha/sqlversion"
	"github.com/ssisha/ssisha/steps/answers"
)

// answerSchema compiles the schema ssisha prints.
func answerSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	code, out := runCLI(t, nil, false, "", "schema")
	if code != 0 {
		t.Fatalf("schema exited %d:\n%s", code, out)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatalf("ssisha schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(answers.SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(answers.SchemaURL)
	if err != nil {
		t.Fatalf("ssisha schema is not a valid JSON Schema: %v", err)
	}
	return s
}

// yamlDoc reads YAML into the values a JSON Schema validator takes.
func yamlDoc(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, data)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSchemaFileIsTheGeneratedSchema(t *testing.T) {
	file, err := os.ReadFile(filepath.Join("..", "docs", "answers.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, out := runCLI(t, nil, false, "", "schema")
	if out != string(file) {
		t.Errorf("docs/answers.schema.json differs from `ssisha schema`; regenerate it: go run . schema > docs/answers.schema.json")
	}
}

func TestSchemaValidatesTheLabsAnswers(t *testing.T) {
	t.Parallel()
	s := answerSchema(t)
	r := startLab(t, 2, 2)
	data, err := os.ReadFile(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), answers.SchemaHeader) {
		t.Errorf("the lab's answer file does not begin with %q", answers.SchemaHeader)
	}
	if err := s.Validate(yamlDoc(t, data)); err != nil {
		t.Errorf("the schema refuses the lab's answers: %v", err)
	}
}

func TestSchemaValidatesTheREADMEExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## The answer file")
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(section)
	if !ok || m == nil {
		t.Fatal("README has no YAML example under \"## The answer file\"")
	}
	if err := answerSchema(t).Validate(yamlDoc(t, []byte(m[1]))); err != nil {
		t.Errorf("the schema refuses the README's example: %v", err)
	}
	path := filepath.Join(t.TempDir(), "answers.yaml")
	if err := os.WriteFile(path, []byte(m[1]), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, nil, false, "", "validate", "--offline", "-f", path); code != 0 {
		t.Errorf("validate --offline refuses the README's example:\n%s", out)
	}
}

// TestSchemaDescribesEveryKey checks that an editor shows help for every key of the
// answer file, and that every field the registry knows is a key of the schema.
func TestSchemaDescribesEveryKey(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(answers.Schema(), &root); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var walk func(path string, s map[string]any)
	walk = func(path string, s map[string]any) {
		if path != "" {
			keys[path] = true
			if d, _ := s["description"].(string); d == "" {
				t.Errorf("%s has no description", path)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(path+"[]", items)
		}
		props, _ := s["properties"].(map[string]any)
		for k, v := range props {
			p := k
			if path != "" {
				p = path + "." + k
			}
			walk(p, v.(map[string]any))
		}
	}
	walk("", root)
	for _, f := range answers.Fields() {
		if f.Path == "workers.account" {
			continue // the wizard's one account for every worker: workers[].account in the file
		}
		if !keys[f.Path] {
			t.Errorf("the registry's field %s is not in the schema", f.Path)
		}
	}
}

// setPath sets (or, for a nil value, deletes) a key of a YAML document by its field
// path, such as masters[0].winrm.port.
func setPath(doc map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	var cur any = doc
	for i, part := range parts {
		name, index, isIndex := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		m := cur.(map[string]any)
		last := i == len(parts)-1
		if isIndex {
			n, _ := strconv.Atoi(index)
			list := m[name].([]any)
			if last {
				list[n] = v
				return
			}
			cur = list[n]
			continue
		}
		if last {
			if v == nil {
				delete(m, name)
			} else {
				m[name] = v
			}
			return
		}
		if m[name] == nil {
			m[name] = map[string]any{}
		}
		cur = m[name]
	}
}

// ruleCase is one change to the lab's answers.
type ruleCase struct {
	name   string
	change map[string]any // path -> value; nil deletes the key
}

func (c ruleCase) apply(t *testing.T, base []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(base, &doc); err != nil {
		t.Fatal(err)
	}
	for p, v := range c.change {
		setPath(doc, p, v)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func one(path string, v any) ruleCase {
	return ruleCase{name: fmt.Sprintf("%s=%v", path, v), change: map[string]any{path: v}}
}

const goodThumbprint = "a9 4a 8f 0c 21 77 1e 6d 5b 2c 3d 4e 5f 60 71 82 93 a4 b5 c6"

// TestSchemaHoldsEveryRuleOfOneValue proves the split of the rules between the schema
// and validate --offline: each bad value that validate refuses for the value alone the
// schema refuses too; each good value both accept; and each rule across fields, which
// a schema cannot state, validate refuses while the schema lets it through (when the
// schema learns one, move it to the refused list).
func TestSchemaHoldsEveryRuleOfOneValue(t *testing.T) {
	t.Parallel()
	s := answerSchema(t)
	base := labAnswerFile(t)
	long := strings.Repeat("a", 64)
	refusedByBoth := []ruleCase{
		one("sqlVersion", 2016), one("sqlVersion", sqlversion.Latest().Year+1), one("sqlVersion", 1999),
		one("domain", "CONTOSO.COM"), one("domain", "12345"), one("domain", "CONTOSOCONTOSOCO"), one("domain", "CON TOSO"), one("domain", nil),
		one("cluster.name", "SSISCL.contoso.com"), one("cluster.name", "SSISCLUSTERNAME16"), one("cluster.name", "-SSISCL"), one("cluster.name", "1234"), one("cluster.name", nil),
		one("cluster.witness", `fs01\witness`), one("cluster.witness", `\\fs01.contoso.com`), one("cluster.witness", `\\fs01.contoso.com\wit|ness`),
		one("cluster.witness", `\\fs_01\share`), one("cluster.witness", `\\fs01.contoso.com\share\`),
		one("cluster.staticAddress", "10.0.0.40"), one("cluster.staticAddress", "10.0.0.40/4"), one("cluster.staticAddress", "127.0.0.5/8"),
		one("cluster.staticAddress", "300.0.0.1/24"), one("cluster.staticAddress", "224.0.0.5/24"), one("cluster.staticAddress", "169.254.3.4/16"),
		one("cluster.staticAddress", "10.0.0.40/33"), one("cluster.staticAddress", "10.0.0.40/255.255.255.256"),
		one("cluster.create", "yes"),
		one("masters", []any{map[string]any{"host": "node1.contoso.com"}}),
		one("masters[0].host", "node_1.contoso.com"), one("masters[0].host", "10.0.0.5"), one("masters[0].host", "-node1.contoso.com"),
		one("masters[0].host", "node1..contoso.com"), one("masters[0].host", long+".contoso.com"), one("masters[0].host", "node1.contoso.com:5986"),
		one("masters[0].sqlInstance", `NODE1\SQL`), one("masters[0].sqlInstance", "1SQL"), one("masters[0].sqlInstance", "DEFAULT"),
		one("masters[0].sqlInstance", "select"), one("masters[0].sqlInstance", "SQLINSTANCENAME17"), one("masters[0].sqlInstance", "SQL-1"),
		one("masters[0].winrm.port", 70000), one("masters[0].winrm.port", -1), one("masters[0].winrm.address", "bad_host!"),
		one("masters[0].sql.port", 65536),
		one("setupMedia", "setup.exe"), one("setupMedia", `SQLMedia\setup.exe`),
		one("masterService.account", "svc_ssismaster"), one("masterService.account", `NT Service\MSSQLSERVER`), one("masterService.account", "LocalSystem"),
		one("masterService.account", `BUILTIN\Administrators`), one("masterService.account", `.\svc_ssismaster`), one("masterService.account", `localhost\svc`),
		one("masterService.account", "svc_ssismaster@contoso.com"), one("masterService.account", `CONTOSO\svc_ssismaster_account1`),
		one("masterService.account", `CONTOSO\svc.`), one("masterService.account", `CONTOSO\svc*`), one("masterService.account", `CONTOSO\$`),
		one("masterService.account", `CONTOSO\svc.$`), one("masterService.account", `CONTOSO\`), one("masterService.account", `NT AUTHORITY\SYSTEM`),
		one("masterService.account", nil),
		one("masterService.dnsName", "ssis_master.contoso.com"), one("masterService.dnsName", "ssismasteraccess.contoso.com"),
		one("masterService.dnsName", "10.0.0.9"), one("masterService.dnsName", "12345.contoso.com"), one("masterService.dnsName", nil),
		one("masterService.staticAddress", ""), one("masterService.staticAddress", "10.0.0.60"), one("masterService.staticAddress", "0.0.0.0/24"),
		one("masterService.staticAddress", "255.255.255.255/24"),
		one("masterService.port", 65536), one("masterService.port", -5),
		{"both generate and thumbprint", map[string]any{"masterService.certificate.thumbprint": goodThumbprint}},
		{"neither generate nor thumbprint", map[string]any{"masterService.certificate.generate": false}},
		one("masterService.certificate", nil),
		{"thumbprint not hex", map[string]any{"masterService.certificate.generate": nil, "masterService.certificate.thumbprint": "XYZ"}},
		{"thumbprint of 39 digits", map[string]any{"masterService.certificate.generate": nil, "masterService.certificate.thumbprint": strings.Repeat("A", 39)}},
		one("masterService.certificate.extraNames", []any{"bad_name"}),
		one("masterService.acount", `CONTOSO\svc_ssismaster`),
		one("availabilityGroup.name", ""), one("availabilityGroup.name", "   "), one("availabilityGroup.name", "AG[1]"),
		one("availabilityGroup.name", `AG\1`), one("availabilityGroup.name", strings.Repeat("A", 129)),
		one("availabilityGroup.endpointPort", 70000),
		one("availabilityGroup.listener.dnsName", "ssis_lsn"), one("availabilityGroup.listener.dnsName", "ssislistenername1"),
		one("availabilityGroup.listener.port", 65536),
		one("availabilityGroup.listener.staticAddress", ""), one("availabilityGroup.listener.staticAddress", "10.0.0.50"),
		one("availabilityGroup.listener.connect.port", 99999),
		one("logging.login", `CONTOSO\login`), one("logging.login", "log[in]"), one("logging.login", strings.Repeat("l", 129)),
		one("workers[0].host", "worker_1.contoso.com"), one("workers[0].account", ""), one("workers[0].account", `NT AUTHORITY\NETWORK SERVICE`),
		one("workers[0].account", "svc_ssisworker"), one("workers[0].account", nil),
		one("connection.winrm.auth", "digest"),
		{"basic over http", map[string]any{"connection.winrm.auth": "basic", "connection.winrm.https": false}},
		{"certificate over http", map[string]any{"connection.winrm.auth": "certificate", "connection.winrm.https": false,
			"connection.winrm.certFile": "c.pem", "connection.winrm.keyFile": "k.pem"}},
		{"certificate without its key", map[string]any{"connection.winrm.auth": "certificate", "connection.winrm.certFile": "c.pem"}},
		one("connection.sql.auth", "ntlm"), one("connection.sql.encrypt", "maybe"),
		{"strict before 2022", map[string]any{"sqlVersion": 2019, "connection.sql.encrypt": "strict"}},
	}
	acceptedByBoth := []ruleCase{
		one("sqlVersion", 2017), one("sqlVersion", 2022),
		{"strict on 2022", map[string]any{"sqlVersion": 2022, "connection.sql.encrypt": "strict"}},
		{"a domain with _ and -", map[string]any{"domain": "CONTOSO_EU-1", "masterService.account": `CONTOSO_EU-1\svc_ssismaster`,
			"workers[0].account": `CONTOSO_EU-1\svc_ssisworker`, "workers[1].account": `CONTOSO_EU-1\svc_ssisworker`}},
		one("cluster.witness", ""), one("cluster.witness", `\\fs01.contoso.com\witness\clusters\SSISCL`), one("cluster.staticAddress", ""),
		one("cluster.staticAddress", "10.0.0.40/255.255.255.0"),
		one("masters[0].sqlInstance", "SQL2019_A$"), one("masters[0].sqlInstance", nil),
		one("masters[0].winrm.address", ""), one("masters[0].winrm.address", "::1"), one("masters[0].winrm.address", "jump.contoso.com"),
		one("masters[0].winrm.port", 0),
		one("setupMedia", `\\fs01\media\setup.exe`), one("setupMedia", "D:/media/setup.exe"),
		one("masterService.account", `CONTOSO\svc_gmsa$`), one("masterService.account", `CONTOSO\svc ssis`),
		one("masterService.dnsName", "ssismaster"), one("masterService.port", 0), one("masterService.port", nil),
		{"an existing certificate", map[string]any{"masterService.certificate.generate": nil, "masterService.certificate.thumbprint": goodThumbprint}},
		one("availabilityGroup.name", "AG SSIS"), one("logging.login", nil),
		one("workers", nil),
		{"basic over https", map[string]any{"connection.winrm.auth": "basic"}},
		{"basic over http, risk accepted", map[string]any{"connection.winrm.auth": "basic", "connection.winrm.https": false, "connection.winrm.allowBasicOverHttp": true}},
		{"certificate", map[string]any{"connection.winrm.auth": "certificate", "connection.winrm.certFile": "c.pem", "connection.winrm.keyFile": "k.pem"}},
		one("connection", nil),
	}
	onlyValidate := []ruleCase{
		one("masters[1].host", "node1.contoso.com"),
		one("workers[0].host", "node2.contoso.com"),
		one("cluster.witness", `\\node1.contoso.com\witness`),
		one("masterService.account", `FABRIKAM\svc_ssismaster`),
		one("masterService.staticAddress", "10.0.0.0/24"), one("masterService.staticAddress", "10.0.0.255/24"),
		one("masterService.staticAddress", "10.0.0.60/255.0.255.0"), one("masterService.staticAddress", "10.0.0.50/24"),
		one("masterService.staticAddress", "10.1.0.60/24"), one("masterService.staticAddress", "10.0.0.60/25"),
		one("masterService.port", 5022),
		one("workers[1].account", `CONTOSO\svc_other`),
		one("availabilityGroup.listener.dnsName", "SSISCL"),
		{"sql authentication without a login", map[string]any{"connection.sql.auth": "sql", "connection.sql.user": nil}},
	}
	dir := t.TempDir()
	check := func(c ruleCase, wantSchema, wantValidate bool) {
		t.Helper()
		data := c.apply(t, base)
		schemaOK := s.Validate(yamlDoc(t, data)) == nil
		path := filepath.Join(dir, "answers.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		code, out := runCLI(t, nil, false, "", "validate", "--offline", "-f", path)
		validateOK := code == 0
		if code != 0 && code != ExitInvalid {
			t.Errorf("%s: validate --offline exited %d:\n%s", c.name, code, out)
		}
		if schemaOK != wantSchema || validateOK != wantValidate {
			t.Errorf("%s: schema accepts %v (want %v), validate --offline accepts %v (want %v)\n%s", c.name, schemaOK, wantSchema, validateOK, wantValidate, out)
		}
	}
	for _, c := range refusedByBoth {
		check(c, false, false)
	}
	for _, c := range acceptedByBoth {
		check(c, true, true)
	}
	for _, c := range onlyValidate {
		check(c, true, false)
	}
}

// labAnswerFile is the answer file a fresh lab writes.
func labAnswerFile(t *testing.T) []byte {
	t.Helper()
	r := startLab(t, 2, 2)
	data, err := os.ReadFile(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

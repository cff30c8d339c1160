package estate

import (
	"strings"
	"testing"
	"time"
)

func TestSettingsJSONReadsAndEditsOneProperty(t *testing.T) {
	content := MasterSettingsFile(SettingsJSON, 8391, "AB12", `NODE1\INST`)
	if !strings.HasPrefix(content, utf8BOM+"{") || !strings.Contains(content, `"SqlServerName": "NODE1\\INST"`) {
		t.Fatalf("setup's JSON is not as Json.NET writes it:\n%s", content)
	}
	for name, want := range map[string]string{"SqlServerName": `NODE1\INST`, "PortNumber": "8391", "SSLCertThumbprint": "AB12"} {
		if got, err := SettingGet(content, name); err != nil || got != want {
			t.Errorf("SettingGet(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	next, err := settingSet(content, "SqlServerName", `ssislsn\ag,1433`)
	if err != nil {
		t.Fatal(err)
	}
	if err := settingsEditKept(content, next, "SqlServerName"); err != nil {
		t.Fatal(err)
	}
	if got, _ := SettingGet(next, "SqlServerName"); got != `ssislsn\ag,1433` {
		t.Errorf("after the edit SqlServerName = %q", got)
	}
	want := strings.Replace(content, `"NODE1\\INST"`, `"ssislsn\\ag,1433"`, 1)
	if next != want {
		t.Errorf("the edit changed more than the one value:\n%s\nwant\n%s", next, want)
	}
	port, err := settingSet(content, "PortNumber", "8392")
	if err != nil || !strings.Contains(port, `"PortNumber": 8392,`) {
		t.Errorf("a number stays a number: %v\n%s", err, port)
	}
}

func TestSettingsJSONWithoutBOMStaysWithout(t *testing.T) {
	content := strings.TrimPrefix(WorkerSettingsFile(SettingsJSON, "W1", "https://a:8391", "M", "W", "ID"), utf8BOM)
	next, err := settingSet(content, "MasterEndpoint", "https://ssismaster.contoso.com:8391")
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(next, utf8BOM) {
		t.Error("the edit added a byte order mark")
	}
	if got, _ := SettingGet(next, "ExecutionLogRetryTimeout"); got != "7.00:00:00" {
		t.Errorf("ExecutionLogRetryTimeout = %q", got)
	}
}

func TestSettingsRefusals(t *testing.T) {
	dup := "{\"SqlServerName\": \"a\", \"SqlServerName\": \"b\"}"
	cases := map[string]struct{ content, want string }{
		"missing":   {"{\"PortNumber\": 8391}", "expected 1 SqlServerName property, found 0"},
		"twice":     {dup, "expected 1 SqlServerName property, found 2"},
		"ini":       {"\r\n[Master]\r\nSqlServerName=x\r\n", "its first line is '[Master]'"},
		"truncated": {"{\"SqlServerName\": \"a\"", "invalid JSON"},
		"xml twice": {"<a><SqlServerName>x</SqlServerName><SqlServerName>y</SqlServerName></a>", "expected 1 SqlServerName element, found 2"},
	}
	for name, tc := range cases {
		_, err := SettingGet(tc.content, "SqlServerName")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
		if _, err := settingSet(tc.content, "SqlServerName", "z"); err == nil {
			t.Errorf("%s: the edit went through", name)
		}
	}
}

func TestSettingsEditKeptCatchesOtherChanges(t *testing.T) {
	before := MasterSettingsFile(SettingsJSON, 8391, "AB", "NODE1")
	reordered := strings.Replace(strings.Replace(before, `"PortNumber": 8391,`, "", 1), `"SqlConnectionTimeoutInSecs": 15`, `"SqlConnectionTimeoutInSecs": 15, "PortNumber": 8391`, 1)
	cases := map[string]string{
		"another value": strings.Replace(before, "30000", "60000", 1),
		"order":         reordered,
		"bom":           strings.TrimPrefix(before, utf8BOM),
		"dropped":       strings.Replace(before, "  \"SqlConnectionTimeoutInSecs\": 15\r\n", "", 1),
	}
	for name, after := range cases {
		if err := settingsEditKept(before, after, "SqlServerName"); err == nil {
			t.Errorf("%s: a change beyond SqlServerName passed", name)
		}
	}
}

// settingsRun runs an operation as a script with the given code does: the lab models the
// conversions that code makes.
func settingsRun(t *testing.T, e *Estate, code, op string, p Params) (any, error) {
	t.Helper()
	fn, _ := NewOperations().PowerShell(op)
	c := NewOpContext(e, e.Node("node1.contoso.com"), e.Domain+`\`+AdminAccount, false, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), nil)
	c.Script = code
	return fn(c, p)
}

func TestXMLCastOfAJSONSettingsFileFailsAsPowerShellDoes(t *testing.T) {
	e := NewEstate(SeedOptions{SettingsFormat: SettingsJSON})
	winInstallMaster(t, e, "node1.contoso.com")
	path := binnDir("150") + `\MasterSettings.config`
	p := Params{"service": "SSISScaleOutMaster150", "defaultPath": path}
	_, err := settingsRun(t, e, "[xml]$x = Get-Content -LiteralPath $path -Raw", "settings.master.read", p)
	if err == nil || !strings.Contains(err.Error(), `to type "System.Xml.XmlDocument". Error: "Data at the root level is invalid. Line 1, position 1."`) {
		t.Fatalf("an [xml] cast of JSON: %v", err)
	}
	before, _ := e.Node("node1.contoso.com").File(path)
	both := "if ($first -eq '{') { $j = $text | ConvertFrom-Json } else { [xml]$x = $text }"
	res, err := settingsRun(t, e, both, "settings.master.set", Params{"path": path, "name": "SqlServerName", "value": "ssislsn,1433"})
	if err != nil {
		t.Fatal(err)
	}
	if res.(map[string]any)["changed"] != true {
		t.Fatalf("nothing changed: %v", res)
	}
	after, _ := e.Node("node1.contoso.com").File(path)
	if err := settingsEditKept(before, after, "SqlServerName"); err != nil {
		t.Error(err)
	}
	e.Node("node1.contoso.com").SetFile(path, "SqlServerName=node1\r\n")
	if _, err := settingsRun(t, e, both, "settings.master.read", p); err == nil || !strings.Contains(err.Error(), "its first line is 'SqlServerName=node1'") {
		t.Errorf("a file of neither format: %v", err)
	}
}

func TestSetupWritesTheEstatesSettingsFormat(t *testing.T) {
	for _, format := range []string{SettingsJSON, SettingsXML} {
		e := NewEstate(SeedOptions{SettingsFormat: format})
		winInstallMaster(t, e, "node1.contoso.com")
		content, _ := e.Node("node1.contoso.com").File(binnDir("150") + `\MasterSettings.config`)
		if got, err := settingsFormatOf(content); err != nil || got != format {
			t.Errorf("setup on a %s estate wrote %s (%v)", format, got, err)
		}
	}
}

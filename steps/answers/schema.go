package answers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/sqlversion"
)

// SchemaURL is where the published JSON Schema of the answer file lives
// (docs/answers.schema.json); editors fetch it from the header of an answer file.
const SchemaURL = "https://raw.githubusercontent.com/ssisha/ssisha/main/docs/answers.schema.json"

// SchemaHeader is the first line of every answer file ssisha writes: it tells the YAML
// language server (VS Code and other editors) which schema completes and checks it.
const SchemaHeader = "# yaml-language-server: $schema=" + SchemaURL + "\n"

// Schema returns the JSON Schema (draft 2020-12) of the answer file, indented and
// ending in a newline. Its shape comes from the Go types (the YAML keys), each key's
// title and description from the field registry, and the rules from the same
// validators Validate runs, written as patterns, enums and bounds. Rules across fields
// that a schema cannot state (duplicate names, one subnet, ports that clash, the
// witness outside the cluster, the accounts' domain) stay Validate's.
func Schema() []byte {
	root := schemaOf(reflect.TypeFor[Answers](), "")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = SchemaURL
	root["title"] = "ssisha answer file"
	root["description"] = "What ssisha needs to know about the estate to make an SSIS Scale Out Master highly available. " +
		"It never holds secrets: they come from SSISHA_* environment variables, a --secrets file or prompts. " +
		"`ssisha validate --offline -f FILE` checks what this schema checks and the rules across fields."
	strict := []any{}
	for _, r := range sqlversion.All() {
		if !r.StrictTDS {
			strict = append(strict, r.Year)
		}
	}
	// encrypt: strict is TDS 8.0, which older releases do not speak.
	root["if"] = obj{
		"required": []string{"sqlVersion", "connection"},
		"properties": obj{
			"sqlVersion": obj{"enum": strict},
			"connection": obj{"required": []string{"sql"}, "properties": obj{
				"sql": obj{"required": []string{"encrypt"}, "properties": obj{"encrypt": obj{"const": remote.EncryptStrict}}},
			}},
		},
	}
	root["then"] = false
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		panic("answers: the schema does not encode: " + err.Error())
	}
	return b.Bytes()
}

type obj = map[string]any

// schemaOf is the schema of one Go type at a field path (masters[].host).
func schemaOf(t reflect.Type, path string) obj {
	var s obj
	switch t.Kind() {
	case reflect.Struct:
		props := obj{}
		for i := range t.NumField() {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || key == "" || key == "-" {
				continue
			}
			props[key] = schemaOf(f.Type, join(path, key))
		}
		s = obj{"type": "object", "properties": props, "additionalProperties": false}
	case reflect.Slice:
		s = obj{"type": "array", "items": schemaOf(t.Elem(), path+"[]")}
	case reflect.String:
		s = obj{"type": "string"}
	case reflect.Int:
		s = obj{"type": "integer"}
	case reflect.Bool:
		s = obj{"type": "boolean"}
	default:
		panic(fmt.Sprintf("answers: no schema for %s at %s", t, path))
	}
	describe(s, path)
	for k, v := range schemaRules[path] {
		s[k] = v
	}
	return s
}

// describe gives s the title and description of its path: the registry's words where
// the wizard asks the field, else the file-only description.
func describe(s obj, path string) {
	if path == "" {
		return
	}
	if f, ok := FieldByPath(path); ok {
		s["title"] = f.Label
		desc := strings.TrimSpace(f.Desc + " " + f.Help)
		if desc != "" {
			s["description"] = desc
		}
		if f.Choices != nil && s["type"] == "string" && schemaRules[path]["enum"] == nil {
			var enum []any
			for _, c := range f.Choices {
				if c != "" {
					enum = append(enum, c)
				}
			}
			s["enum"] = enum
		}
	}
	if d, ok := fileOnlyDescriptions[path]; ok {
		s["description"] = d
	}
}

// fileOnlyDescriptions describe the keys the wizard does not ask, or asks with other
// words than the file needs.
var fileOnlyDescriptions = map[string]string{
	"cluster":                                "The Windows Server Failover Cluster of the master nodes.",
	"cluster.create":                         "true: step 1 creates the cluster when it is missing.",
	"cluster.staticAddress":                  "Static IPv4 address with prefix of the cluster's own name, when step 1 creates it, e.g. 10.0.0.40/24.",
	"masters":                                "The master nodes, at least two: SQL Server replicas that can run the master; the first is the initial primary.",
	"masters[]":                              "One master node: a SQL Server replica that can run the master service.",
	"masters[].host":                         "Fully qualified host name of the node; it must run SQL Server and answer WinRM.",
	"masters[].sqlInstance":                  "The SQL Server instance on the node; MSSQLSERVER (the default) for the default instance.",
	"masters[].winrm":                        "Where ssisha connects to the node's WinRM, when not at the host name's default port.",
	"masters[].sql":                          "Where ssisha connects to the node's SQL Server, when not at the host name's port 1433.",
	"setupMedia":                             `Full Windows path of SQL Server setup.exe on the nodes (C:\SQLMedia\setup.exe), to install Scale Out Master where it is missing.`,
	"masterService":                          "The Scale Out Master service and the client access point of its cluster role.",
	"masterService.certificate":              "The master certificate: generate: true for a new one, or the thumbprint of an existing one (exactly one of the two).",
	"masterService.certificate.generate":     "true: ssisha generates a certificate for the master DNS name.",
	"masterService.certificate.extraNames":   "More DNS names the generated certificate carries, such as the short name of the access point.",
	"masterService.certificate.extraNames[]": "A DNS name the certificate carries besides the master DNS name.",
	"availabilityGroup":                      "The Always On availability group that holds SSISDB.",
	"availabilityGroup.listener":             "The availability group listener the master and the workers reach SSISDB through.",
	"availabilityGroup.listener.connect":     "Where ssisha itself connects to the listener, when not at its DNS name and port.",
	"logging":                                "How workers write execution logs into SSISDB.",
	"logging.login":                          "The SQL login workers log with; default ##MS_SSISLogDBWorkerAgentLogin##.",
	"workers":                                "The Scale Out Worker machines; leave it out for none.",
	"workers[]":                              "One Scale Out Worker machine.",
	"workers[].host":                         "Fully qualified host name of the worker.",
	"workers[].account":                      `Domain account (DOMAIN\user) the Scale Out Worker service runs as; one account for every worker.`,
	"workers[].winrm":                        "Where ssisha connects to the worker's WinRM, when not at the host name's default port.",
	"connection":                             "How ssisha reaches the nodes.",
	"connection.winrm":                       "WinRM: how ssisha runs PowerShell on the nodes.",
	"connection.winrm.caFile":                "PEM file of the CA that signed the nodes' WinRM certificates (HTTPS).",
	"connection.winrm.certFile":              "Certificate authentication: the client certificate (PEM).",
	"connection.winrm.keyFile":               "Certificate authentication: the client certificate's private key (PEM).",
	"connection.winrm.insecure":              "true: do not verify the nodes' WinRM certificates (test estates only).",
	"connection.winrm.allowBasicOverHttp":    "true: accept basic authentication over plain HTTP, which sends the password readable.",
	"connection.sql":                         "TDS: how ssisha runs T-SQL on the replicas.",
	"connection.sql.caFile":                  "PEM file of the CA that signed the SQL Server certificates.",
	"connection.sql.trustServerCertificate":  "true: do not verify the SQL Server certificates (test estates only).",
	"connection.sql.user":                    "The login ssisha connects as; a Windows login for windows, a SQL login for sql (SSISHA_SQL_USER overrides it).",
}

// Patterns of the validators, in the syntax both Go's regexp and ECMA-262 read, so the
// schema checks the same in ssisha's tests and in an editor.
const (
	dnsLabel     = `[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`
	netbiosLabel = `[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?`
	octet        = `(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`
	ipv4         = octet + `(?:\.` + octet + `){3}`
	// accountChar is a character Active Directory allows in an account name.
	accountChar = `[^\\"/\[\]:;|=,+*?<>@\x00-\x1f\x7f-\x9f]`
	// accountEnd is one that may end the name: not a dot, and not the $ of a gMSA.
	accountEnd  = `[^\\"/\[\]:;|=,+*?<>@\x00-\x1f\x7f-\x9f.$]`
	accountTail = `[^\\"/\[\]:;|=,+*?<>@\x00-\x1f\x7f-\x9f.]`
	windowsChar = `[^\\/:*?"<>|\x00-\x1f\x7f-\x9f]`
)

// hostName is ValidateHostName: RFC 1123 labels, at most 253 characters, not an IP.
func hostName() obj {
	return obj{"pattern": `^` + dnsLabel + `(?:\.` + dnsLabel + `)*\.?$`, "maxLength": 253,
		"not": obj{"pattern": `^` + ipv4 + `$`}}
}

// virtualName is a cluster network name given as a DNS name: its first label is also
// a NetBIOS name (at most 15 characters, not all digits).
func virtualName() obj {
	return obj{"pattern": `^` + netbiosLabel + `(?:\.` + dnsLabel + `)*\.?$`, "maxLength": 253,
		"not": obj{"pattern": `^[0-9]+(?:\.|$)`}}
}

// caseless writes word as a pattern that matches it in any case; ECMA-262 has no (?i).
func caseless(word string) string {
	var b strings.Builder
	for _, r := range word {
		lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
		if lo == up {
			b.WriteString(lo)
			continue
		}
		b.WriteString("[" + up + lo + "]")
	}
	return b.String()
}

// domainAccount is ValidateDomainAccount: DOMAIN\user with a NetBIOS domain, a user
// name of at most 20 characters (a gMSA's $ counted) that does not end with a dot, and
// not a built-in or local account.
func domainAccount() obj {
	user := `(?:` + accountChar + `{0,19}` + accountEnd + `|` + accountChar + `{0,18}` + accountTail + `\$)`
	return obj{"pattern": `^[A-Za-z0-9_-]{1,15}\\` + user + `$`,
		"not": obj{"pattern": `^(?:[0-9]+|` + caseless("builtin") + `|` + caseless("localhost") + `)\\`}}
}

// ipv4Prefix is ValidateIPv4Prefix as far as a pattern goes: an IPv4 address with a
// prefix length of 8 to 32 or a dotted mask, not loopback, link-local, multicast,
// unspecified or broadcast. That it is not its subnet's network or broadcast address,
// and that the mask is contiguous, only Validate checks.
func ipv4Prefix() obj {
	return obj{"pattern": `^` + ipv4 + `/(?:0?[89]|[12][0-9]|3[0-2]|` + ipv4 + `)$`,
		"not": obj{"pattern": `^(?:0\.0\.0\.0|127\.[0-9.]+|169\.254\.[0-9.]+|(?:22[4-9]|23[0-9])\.[0-9.]+|255\.255\.255\.255)/`}}
}

func port(def int) obj {
	s := obj{"minimum": 0, "maximum": 65535}
	if def != 0 {
		s["default"] = def
	}
	return s
}

// override is the where-to-connect of a node: any field left empty or 0 keeps the
// default. Its properties replace the reflected ones (the same two keys) to carry their
// rules and descriptions, which no registry field holds.
func override() obj {
	return obj{"properties": obj{
		"address": obj{"type": "string", "description": "A host name or an IP address; empty: the node's host name.",
			"anyOf": []any{obj{"maxLength": 0}, obj{"pattern": `^` + ipv4 + `$`}, obj{"pattern": `^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$`}, hostName()}},
		"port": obj{"type": "integer", "description": "The TCP port; 0: the default port.", "minimum": 0, "maximum": 65535},
	}}
}

// schemaRules are the rules of each path beyond its type: what Validate checks of the
// value alone, and which keys must be there.
var schemaRules = map[string]obj{
	"": {"required": []string{"domain", "cluster", "masters", "masterService", "availabilityGroup"}},
	"sqlVersion": {"enum": sqlVersionEnum(), "default": 0,
		"description": "The SQL Server release: " + sqlversion.NameList() + "; 0 or absent: detected from the nodes. It names the Scale Out services and folders."},
	"domain":                      {"pattern": `^[A-Za-z0-9_-]{1,15}$`, "not": obj{"pattern": `^[0-9]+$`}},
	"cluster":                     {"required": []string{"name"}},
	"cluster.name":                {"pattern": `^` + netbiosLabel + `$`, "not": obj{"pattern": `^[0-9]+$`}},
	"cluster.staticAddress":       {"anyOf": []any{obj{"maxLength": 0}, ipv4Prefix()}},
	"cluster.witness":             {"anyOf": []any{obj{"maxLength": 0}, obj{"pattern": `^\\\\` + dnsLabel + `(?:\.` + dnsLabel + `)*\.?(?:\\` + windowsChar + `+)+$`}}},
	"masters":                     {"minItems": 2},
	"masters[]":                   {"required": []string{"host"}},
	"masters[].host":              hostName(),
	"masters[].sqlInstance":       {"pattern": `^(?:[A-Za-z_&][A-Za-z0-9_$]{0,15})?$`, "default": DefaultSQLInstance, "not": obj{"pattern": `^(?:` + reservedInstancePattern() + `)$`}},
	"masters[].winrm":             override(),
	"masters[].sql":               override(),
	"setupMedia":                  {"pattern": `^(?:\\\\.+|[A-Za-z0-9]:[\\/].*)?$`},
	"masterService":               {"required": []string{"account", "dnsName", "staticAddress", "certificate"}},
	"masterService.account":       domainAccount(),
	"masterService.dnsName":       virtualName(),
	"masterService.staticAddress": ipv4Prefix(),
	"masterService.port":          port(DefaultMasterPort),
	"masterService.certificate": {"oneOf": []any{
		obj{"required": []string{"generate"}, "properties": obj{"generate": obj{"const": true}}},
		obj{"required": []string{"thumbprint"}, "properties": obj{"thumbprint": obj{"minLength": 1}}},
	}},
	"masterService.certificate.thumbprint":     {"pattern": `^(?:[\s:]*(?:[0-9A-Fa-f][\s:]*){40})?$`},
	"masterService.certificate.extraNames[]":   hostName(),
	"availabilityGroup":                        {"required": []string{"name", "listener"}},
	"availabilityGroup.name":                   {"pattern": `^[^\[\]\\]*[^\[\]\\\s][^\[\]\\]*$`, "maxLength": 128},
	"availabilityGroup.endpointPort":           port(DefaultEndpointPort),
	"availabilityGroup.listener":               {"required": []string{"dnsName", "staticAddress"}},
	"availabilityGroup.listener.dnsName":       virtualName(),
	"availabilityGroup.listener.port":          port(DefaultListenerPort),
	"availabilityGroup.listener.staticAddress": ipv4Prefix(),
	"availabilityGroup.listener.connect":       override(),
	"logging.login":                            {"pattern": `^[^\\\[\]]*$`, "maxLength": 128},
	"workers[]":                                {"required": []string{"host", "account"}},
	"workers[].host":                           hostName(),
	"workers[].account":                        domainAccount(),
	"workers[].winrm":                          override(),
	"connection.winrm": {"allOf": []any{
		// basic sends the password readable over plain HTTP unless the file accepts it.
		obj{"if": obj{"required": []string{"auth"}, "properties": obj{"auth": obj{"const": remote.WinRMAuthBasic}}},
			"then": obj{"anyOf": []any{httpsOn(), obj{"required": []string{"allowBasicOverHttp"}, "properties": obj{"allowBasicOverHttp": obj{"const": true}}}}}},
		// certificate authentication works over HTTPS only, with the certificate and its key.
		obj{"if": obj{"required": []string{"auth"}, "properties": obj{"auth": obj{"const": remote.WinRMAuthCertificate}}},
			"then": obj{"allOf": []any{httpsOn(), obj{"required": []string{"certFile", "keyFile"},
				"properties": obj{"certFile": obj{"minLength": 1}, "keyFile": obj{"minLength": 1}}}}}},
	}},
	"connection.winrm.auth":  {"default": DefaultWinRMAuth},
	"connection.winrm.https": {"default": true},
	"connection.sql.auth":    {"default": DefaultSQLAuth},
	"connection.sql.encrypt": {"default": DefaultEncrypt, "description": "TDS encryption: strict (TDS 8.0, SQL Server 2022 and later), true (TLS inside TDS), false (the login only) or disable."},
}

// httpsOn holds when https is true or absent (an answer file's default).
func httpsOn() obj {
	return obj{"anyOf": []any{obj{"not": obj{"required": []string{"https"}}}, obj{"properties": obj{"https": obj{"const": true}}}}}
}

func sqlVersionEnum() []any {
	out := []any{0}
	for _, r := range sqlversion.All() {
		out = append(out, r.Year)
	}
	return out
}

func reservedInstancePattern() string {
	var words []string
	for w := range reservedInstanceNames {
		words = append(words, caseless(w))
	}
	slices.Sort(words)
	return strings.Join(words, "|")
}

package estate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The Scale Out settings files. Setup writes them as a JSON object with one property
// per setting, as Json.NET does (the documented defaults 00:01:00 and 7.00:00:00 are
// TimeSpan text, and SqlServerName's backslash is escaped); nobody has seen a real
// file, so the lab can also write them as an XmlSerializer document (SettingsXML) and
// keeps both as real text, so that a script's reading and its targeted edit are
// exercised for real.

// Settings file formats.
const (
	SettingsJSON = "json"
	SettingsXML  = "xml"
)

// utf8BOM is the byte order mark as the lab's file text holds it.
const utf8BOM = "\ufeff"

// settingsFormatOf tells the format from the first non-blank character, as the
// scripts do: '{' is JSON, '<' is XML. Anything else is an error naming the first line.
func settingsFormatOf(content string) (string, error) {
	t := strings.TrimLeft(strings.TrimPrefix(content, utf8BOM), " \t\r\n")
	switch {
	case strings.HasPrefix(t, "{"):
		return SettingsJSON, nil
	case strings.HasPrefix(t, "<"):
		return SettingsXML, nil
	}
	return "", fmt.Errorf("neither JSON nor XML; its first line is '%s'", firstLine(content))
}

// firstLine is a file's first non-blank line, as an error quotes it.
func firstLine(content string) string {
	for _, l := range strings.Split(strings.TrimPrefix(content, utf8BOM), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 120 {
				l = l[:120] + "…"
			}
			return l
		}
	}
	return ""
}

// masterSettings are the documented settings of MasterSettings.config, in setup's order.
func masterSettings(port int, thumbprint, sqlServerName string) []setting {
	return []setting{
		{"PortNumber", fmt.Sprint(port), true},
		{"SSLCertThumbprint", thumbprint, false},
		{"SqlServerName", sqlServerName, false},
		{"CleanupCompletedJobsIntervalInMs", "43200000", true},
		{"DealWithExpiredTasksIntervalInMs", "300000", true},
		{"MasterHeartbeatIntervalInMs", "30000", true},
		{"SqlConnectionTimeoutInSecs", "15", true},
	}
}

// workerSettings are the documented settings of WorkerSettings.config, in setup's order.
func workerSettings(displayName, masterEndpoint, masterThumb, workerThumb, agentID string) []setting {
	return []setting{
		{"DisplayName", displayName, false},
		{"Description", "", false},
		{"MasterEndpoint", masterEndpoint, false},
		{"MasterHttpsCertThumbprint", masterThumb, false},
		{"WorkerHttpsCertThumbprint", workerThumb, false},
		{"StoreLocation", "LocalMachine", false},
		{"StoreName", "My", false},
		{"AgentHeartbeatInterval", "00:01:00", false},
		{"TaskHeartbeatInterval", "00:00:10", false},
		{"HeartbeatErrorTollerance", "00:10:00", false},
		{"TaskRequestMaxCPU", "70.0", true},
		{"TaskRequestMinMemory", "100.0", true},
		{"MaxTaskCount", "10", true},
		{"LeaseInternval", "00:01:00", false},
		{"TasksRootFolder", "", false},
		{"TaskLogLevel", "126", true},
		{"TaskLogSegment", "00:00:00", false},
		{"TaskLogEnabled", "false", true},
		{"ExecutionLogCacheFolder", "", false},
		{"ExecutionLogMaxBufferLogCount", "10000", true},
		{"ExecutionLogMaxInMemoryBufferCount", "10000", true},
		{"ExecutionLogRetryCount", "3", true},
		{"ExecutionLogRetryTimeout", "7.00:00:00", false},
		{"AgentId", agentID, false},
	}
}

// setting is one property: its name, its value as text, and whether JSON writes it
// bare (a number or a boolean) rather than as a string.
type setting struct {
	name, value string
	bare        bool
}

// MasterSettingsFile renders a MasterSettings.config as Scale Out Master setup writes
// it, in the given format.
func MasterSettingsFile(format string, port int, thumbprint, sqlServerName string) string {
	return renderSettings(format, "MasterSettings", masterSettings(port, thumbprint, sqlServerName))
}

// WorkerSettingsFile renders a WorkerSettings.config as Scale Out Worker setup writes
// it, in the given format.
func WorkerSettingsFile(format, displayName, masterEndpoint, masterThumb, workerThumb, agentID string) string {
	return renderSettings(format, "WorkerSettings", workerSettings(displayName, masterEndpoint, masterThumb, workerThumb, agentID))
}

// MasterSettingsXML renders a MasterSettings.config as an XmlSerializer document.
func MasterSettingsXML(port int, thumbprint, sqlServerName string) string {
	return MasterSettingsFile(SettingsXML, port, thumbprint, sqlServerName)
}

// WorkerSettingsXML renders a WorkerSettings.config as an XmlSerializer document.
func WorkerSettingsXML(displayName, masterEndpoint, masterThumb, workerThumb, agentID string) string {
	return WorkerSettingsFile(SettingsXML, displayName, masterEndpoint, masterThumb, workerThumb, agentID)
}

func renderSettings(format, root string, kv []setting) string {
	var b strings.Builder
	if format == SettingsXML {
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\r\n")
		fmt.Fprintf(&b, `<%s xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`+"\r\n", root)
		for _, p := range kv {
			fmt.Fprintf(&b, "  <%s>%s</%s>\r\n", p.name, xmlEscape(p.value), p.name)
		}
		fmt.Fprintf(&b, "</%s>\r\n", root)
		return b.String()
	}
	// Json.NET's indented output, written by .NET's File.WriteAllText with a UTF-8
	// encoder that emits the byte order mark.
	b.WriteString(utf8BOM + "{\r\n")
	for i, p := range kv {
		v := p.value
		if !p.bare {
			v = jsonString(v)
		}
		sep := ","
		if i == len(kv)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s: %s%s\r\n", jsonString(p.name), v, sep)
	}
	b.WriteString("}")
	return b.String()
}

// jsonString writes s as a JSON string the way Json.NET does: only quotes,
// backslashes and control characters escaped.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimRight(buf.String(), "\n")
}

// SettingGet returns the value of one setting of a settings file in either format.
// It fails, as the scripts do, when the name occurs other than exactly once or the
// file is neither JSON nor XML.
func SettingGet(content, name string) (string, error) {
	p, _, err := findSetting(content, name)
	if err != nil {
		return "", err
	}
	return p.text(), nil
}

// settingSet changes one setting, keeping everything else of the file as it was:
// the other settings, their order and text, the layout and the byte order mark.
func settingSet(content, name, value string) (string, error) {
	p, isXML, err := findSetting(content, name)
	if err != nil {
		return "", err
	}
	if isXML {
		return xmlSet(content, name, value)
	}
	v := jsonString(value)
	if !strings.HasPrefix(p.raw, `"`) && json.Valid([]byte(value)) && !strings.HasPrefix(value, `"`) {
		v = value // a number or boolean stays bare
	}
	return content[:p.start] + v + content[p.end:], nil
}

// findSetting finds the one occurrence of a setting: in a JSON file its property;
// in an XML file its element's text (as the property's raw value, a JSON string).
func findSetting(content, name string) (p jsonProp, isXML bool, err error) {
	format, err := settingsFormatOf(content)
	if err != nil {
		return jsonProp{}, false, err
	}
	if format == SettingsXML {
		v, err := XMLGet(content, name)
		return jsonProp{name: name, raw: jsonString(v)}, true, err
	}
	props, err := jsonProps(content)
	if err != nil {
		return jsonProp{}, false, err
	}
	p, err = oneProp(props, name)
	return p, false, err
}

// jsonProp is one top-level property of a JSON settings file: its name and where its
// value's text sits in the file.
type jsonProp struct {
	name       string
	raw        string
	start, end int
}

// text is the value as the scripts report it: a string's content, or a number's text.
func (p jsonProp) text() string {
	var s string
	if json.Unmarshal([]byte(p.raw), &s) == nil {
		return s
	}
	if p.raw == "null" {
		return ""
	}
	return p.raw
}

func oneProp(props []jsonProp, name string) (jsonProp, error) {
	var found []jsonProp
	for _, p := range props {
		if p.name == name {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return jsonProp{}, fmt.Errorf("expected 1 %s property, found %d", name, len(found))
	}
	return found[0], nil
}

// jsonProps reads the top-level properties of a JSON object, in order, with the
// offsets of their values in content.
func jsonProps(content string) ([]jsonProp, error) {
	body := strings.TrimPrefix(content, utf8BOM)
	base := len(content) - len(body)
	dec := json.NewDecoder(strings.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var props []jsonProp
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		name, _ := t.(string)
		start := int(dec.InputOffset())
		for start < len(body) && strings.ContainsRune(" \t\r\n:", rune(body[start])) {
			start++
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("invalid JSON after %s: %v", name, err)
		}
		end := int(dec.InputOffset())
		props = append(props, jsonProp{name: name, raw: body[start:end], start: base + start, end: base + end})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	return props, nil
}

// settingsEditKept checks that an edit of one setting changed nothing else: the same
// format and byte order mark, the same settings in the same order, every other value
// as it was written.
func settingsEditKept(before, after, name string) error {
	if strings.HasPrefix(before, utf8BOM) != strings.HasPrefix(after, utf8BOM) {
		return fmt.Errorf("the edit of %s changed the file's byte order mark", name)
	}
	fb, err := settingsFormatOf(before)
	if err != nil {
		return err
	}
	if fa, err := settingsFormatOf(after); err != nil || fa != fb {
		return fmt.Errorf("the edit of %s changed the file's format", name)
	}
	if fb == SettingsXML {
		return nil
	}
	pb, err := jsonProps(before)
	if err != nil {
		return err
	}
	pa, err := jsonProps(after)
	if err != nil {
		return fmt.Errorf("the edit of %s left the file unreadable: %v", name, err)
	}
	if len(pa) != len(pb) {
		return fmt.Errorf("the edit of %s left %d settings where there were %d", name, len(pa), len(pb))
	}
	for i := range pb {
		if pa[i].name != pb[i].name {
			return fmt.Errorf("the edit of %s moved %s", name, pb[i].name)
		}
		if pa[i].name != name && pa[i].raw != pb[i].raw {
			return fmt.Errorf("the edit of %s changed %s from %s to %s", name, pb[i].name, pb[i].raw, pa[i].raw)
		}
	}
	return nil
}

func elementRE(name string) *regexp.Regexp {
	return regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?` + regexp.QuoteMeta(name) + `(?:\s[^>]*)?>([^<]*)</(?:[A-Za-z_][\w.-]*:)?` + regexp.QuoteMeta(name) + `>`)
}

// XMLGet returns the text of the one element with that local name. It fails, as the
// client's script does, when there is not exactly one.
func XMLGet(content, name string) (string, error) {
	m := elementRE(name).FindAllStringSubmatch(content, -1)
	if len(m) != 1 {
		return "", fmt.Errorf("expected 1 %s element, found %d", name, len(m))
	}
	return xmlUnescape(m[0][1]), nil
}

// xmlSet replaces the text of the one element with that local name.
func xmlSet(content, name, value string) (string, error) {
	re := elementRE(name)
	if n := len(re.FindAllStringIndex(content, -1)); n != 1 {
		return "", fmt.Errorf("expected 1 %s element, found %d", name, n)
	}
	loc := re.FindStringSubmatchIndex(content)
	return content[:loc[2]] + xmlEscape(value) + content[loc[3]:], nil
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

func xmlUnescape(s string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&amp;", "&")
	return r.Replace(s)
}

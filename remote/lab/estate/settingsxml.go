package estate

import (
	"fmt"
	"regexp"
	"strings"
)

// The settings files are XmlSerializer documents: a root element with one child
// element per setting. The lab keeps them as real XML text so that the client's edits
// (select the element by local name, change its text) are exercised for real.

// MasterSettingsXML renders a MasterSettings.config as Scale Out Master setup writes it.
func MasterSettingsXML(port int, thumbprint, sqlServerName string) string {
	return settingsXML("MasterSettings", [][2]string{
		{"PortNumber", fmt.Sprint(port)},
		{"SSLCertThumbprint", thumbprint},
		{"SqlServerName", sqlServerName},
		{"CleanupCompletedJobsIntervalInMs", "43200000"},
		{"DealWithExpiredTasksIntervalInMs", "300000"},
		{"MasterHeartbeatIntervalInMs", "30000"},
		{"SqlConnectionTimeoutInSecs", "15"},
	})
}

// WorkerSettingsXML renders a WorkerSettings.config as Scale Out Worker setup writes it.
func WorkerSettingsXML(displayName, masterEndpoint, masterThumb, workerThumb, agentID string) string {
	return settingsXML("WorkerSettings", [][2]string{
		{"DisplayName", displayName},
		{"Description", ""},
		{"MasterEndpoint", masterEndpoint},
		{"MasterHttpsCertThumbprint", masterThumb},
		{"WorkerHttpsCertThumbprint", workerThumb},
		{"StoreLocation", "LocalMachine"},
		{"StoreName", "My"},
		{"AgentHeartbeatInterval", "00:01:00"},
		{"TaskHeartbeatInterval", "00:00:10"},
		{"HeartbeatErrorTollerance", "00:10:00"},
		{"MaxTaskCount", "10"},
		{"AgentId", agentID},
	})
}

func settingsXML(root string, kv [][2]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\r\n")
	fmt.Fprintf(&b, `<%s xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">`+"\r\n", root)
	for _, p := range kv {
		fmt.Fprintf(&b, "  <%s>%s</%s>\r\n", p[0], xmlEscape(p[1]), p[0])
	}
	fmt.Fprintf(&b, "</%s>\r\n", root)
	return b.String()
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

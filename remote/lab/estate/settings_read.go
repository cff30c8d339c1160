package estate

import (
	"fmt"
	"strings"
)

// How a script's reading of a settings file fares on a real node: PowerShell converts
// the file's text to what the script asks for, and fails as it does when the text is
// not of that kind. The lab cannot run PowerShell; it looks at which conversions the
// script's code makes and applies the one PowerShell would.

// DefaultSettingsFormat is the format setup writes when the estate names none.
const DefaultSettingsFormat = SettingsJSON

// settingsFormat is the format setup writes on this estate.
func (e *Estate) settingsFormat() string {
	if e.SettingsFormat == "" {
		return DefaultSettingsFormat
	}
	return e.SettingsFormat
}

// readsXML and readsJSON tell which conversions the script's code makes.
func (c *OpContext) readsXML() bool  { return strings.Contains(c.Script, "[xml]") }
func (c *OpContext) readsJSON() bool { return strings.Contains(c.Script, "ConvertFrom-Json") }

// readSettings returns the value of each named setting of a settings file, read as
// the running script reads it, or the error the node would give. Without a script
// (the lab's own calls) the file is read by its format.
func (c *OpContext) readSettings(file, content string, names ...string) (map[string]string, error) {
	if err := c.convertSettings(file, content); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, k := range names {
		v, err := SettingGet(content, k)
		if err != nil {
			return nil, errorf("%s: %v", file, err)
		}
		out[k] = v
	}
	return out, nil
}

// convertSettings is the conversion of the file's text the script makes.
func (c *OpContext) convertSettings(file, content string) error {
	if c.Script == "" {
		return nil
	}
	format, ferr := settingsFormatOf(content)
	xml, js := c.readsXML(), c.readsJSON()
	text := strings.TrimPrefix(content, utf8BOM) // Get-Content drops the byte order mark
	switch {
	case xml && !js && format != SettingsXML:
		// [xml]$x = Get-Content -Raw on anything but XML.
		return &PSError{
			Message: fmt.Sprintf(`Cannot convert value "%s" to type "System.Xml.XmlDocument". Error: "Data at the root level is invalid. Line 1, position 1."`, text),
			ErrorID: "RuntimeException",
		}
	case js && !xml && format != SettingsJSON:
		return &PSError{Message: fmt.Sprintf("Invalid JSON primitive: %s.", firstLine(content)),
			ErrorID: "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand"}
	case !xml && !js:
		return errorf("ssisha lab: the script reads %s without converting it from JSON or XML", file)
	case ferr != nil:
		// The script's own refusal of a file it cannot edit safely.
		return errorf("%s is %v", file, ferr)
	}
	return nil
}

// writeSetting changes settings of a file as the running script does and checks that
// the edit kept everything else of the file; it returns the previous values and the
// new content.
func (c *OpContext) writeSettings(file, content string, values map[string]string) (map[string]string, string, error) {
	names := sortedKeys(values)
	prev, err := c.readSettings(file, content, names...)
	if err != nil {
		return nil, "", err
	}
	next := content
	for _, k := range names {
		if prev[k] == values[k] {
			continue
		}
		edited, err := settingSet(next, k, values[k])
		if err != nil {
			return nil, "", errorf("%s: %v", file, err)
		}
		if err := settingsEditKept(next, edited, k); err != nil {
			return nil, "", errorf("ssisha lab: %s: %v", file, err)
		}
		next = edited
	}
	return prev, next, nil
}

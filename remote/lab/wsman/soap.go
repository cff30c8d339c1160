package wsman

import (
	"encoding/xml"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
)

// The namespaces of the WS-Management messages the WinRS shell uses.
const (
	nsEnvelope   = "http://www.w3.org/2003/05/soap-envelope"
	nsAddressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsShell      = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsTransfer   = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsFault      = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
	nsIdentity   = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"

	resourceCmd  = nsShell + "/cmd"
	stateDone    = nsShell + "/CommandState/Done"
	stateRunning = nsShell + "/CommandState/Running"
)

// actions maps each request's a:Action to the short name RequestInfo carries.
var actions = map[string]string{
	nsTransfer + "/Create": "Create",
	nsShell + "/Command":   "Command",
	nsShell + "/Send":      "Send",
	nsShell + "/Receive":   "Receive",
	nsShell + "/Signal":    "Signal",
	nsTransfer + "/Delete": "Delete",
}

// responseActions are the a:Action values Windows puts on each reply.
var responseActions = map[string]string{
	"Create":  nsTransfer + "/CreateResponse",
	"Command": nsShell + "/CommandResponse",
	"Send":    nsShell + "/SendResponse",
	"Receive": nsShell + "/ReceiveResponse",
	"Signal":  nsShell + "/SignalResponse",
	"Delete":  nsTransfer + "/DeleteResponse",
}

type selector struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

type stream struct {
	Name      string `xml:"Name,attr"`
	CommandID string `xml:"CommandId,attr"`
	End       string `xml:"End,attr"`
	Data      string `xml:",chardata"`
}

// request is the part of an incoming envelope the server acts on.
type request struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  struct {
		Action           string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing Action"`
		MessageID        string `xml:"http://schemas.xmlsoap.org/ws/2004/08/addressing MessageID"`
		OperationTimeout string `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OperationTimeout"`
		SelectorSet      struct {
			Selectors []selector `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Selector"`
		} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd SelectorSet"`
		OptionSet struct {
			Options []selector `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd Option"`
		} `xml:"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd OptionSet"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body struct {
		Identify    *struct{} `xml:"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd Identify"`
		CommandLine *struct {
			Command   string   `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Command"`
			Arguments []string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Arguments"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandLine"`
		Send *struct {
			Streams []stream `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Stream"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Send"`
		Receive *struct {
			DesiredStream struct {
				CommandID string `xml:"CommandId,attr"`
			} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell DesiredStream"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Receive"`
		Signal *struct {
			CommandID string `xml:"CommandId,attr"`
			Code      string `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Code"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Signal"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

// parseRequest decodes an envelope and names its action.
func parseRequest(body []byte) (*request, string, error) {
	var r request
	if err := xml.Unmarshal(body, &r); err != nil {
		return nil, "", fmt.Errorf("request is not a SOAP envelope: %w", err)
	}
	if r.Body.Identify != nil && strings.TrimSpace(r.Header.Action) == "" {
		return &r, "Identify", nil
	}
	action, ok := actions[strings.TrimSpace(r.Header.Action)]
	if !ok {
		return &r, "", fmt.Errorf("action %q is not supported", r.Header.Action)
	}
	return &r, action, nil
}

// shellID is the ShellId selector of a request, "" on Create.
func (r *request) shellID() string {
	for _, s := range r.Header.SelectorSet.Selectors {
		if s.Name == "ShellId" {
			return strings.TrimSpace(s.Value)
		}
	}
	return ""
}

// consoleStdin reports whether a Command asks for console-mode stdin
// (WINRS_CONSOLEMODE_STDIN). A request that does not say is taken as asking for
// it: the strict reading, under which only a client that turns it off may feed a
// script's stdin.
func (r *request) consoleStdin() bool {
	for _, o := range r.Header.OptionSet.Options {
		if o.Name == "WINRS_CONSOLEMODE_STDIN" {
			return !strings.EqualFold(strings.TrimSpace(o.Value), "FALSE")
		}
	}
	return true
}

func esc(s string) string { return html.EscapeString(s) }

// envelope wraps a body in the reply envelope Windows sends.
func envelope(action, relatesTo, body string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<s:Envelope xml:lang="en-US" xmlns:s="` + nsEnvelope + `" xmlns:a="` + nsAddressing +
		`" xmlns:x="` + nsTransfer + `" xmlns:w="` + nsWSMan + `" xmlns:rsp="` + nsShell + `">`)
	b.WriteString(`<s:Header><a:Action>` + esc(action) + `</a:Action><a:MessageID>uuid:` + newID() +
		`</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>`)
	if relatesTo != "" {
		b.WriteString(`<a:RelatesTo>` + esc(relatesTo) + `</a:RelatesTo>`)
	}
	b.WriteString(`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return []byte(b.String())
}

// soapFault is a WS-Management fault as Windows shapes it.
type soapFault struct {
	Subcode string // e.g. w:TimedOut
	Reason  string
	Code    uint32 // WSManFault Code
}

// Faults Windows answers with, by the situation that causes them.
var (
	faultTimedOut = soapFault{"w:TimedOut",
		"The WS-Management service cannot complete the operation within the time specified in OperationTimeout.", 2150858793}
	faultTooLong      = soapFault{"w:InternalError", "The filename or extension is too long. ", 2147942606}
	faultNoShell      = soapFault{"w:InvalidSelectors", "The request for the Windows Remote Shell with the given ShellId failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and try again.", 2150858843}
	faultQuota        = soapFault{"w:QuotaLimit", fmt.Sprintf("The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.", MaxShellsPerUser), 2150859173}
	faultBadRequest   = soapFault{"w:SchemaValidationError", "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry.", 2150858817}
	faultInternal     = soapFault{"w:InternalError", "The WS-Management service encountered an internal error.", 2150858752}
	faultNoSuchAction = soapFault{"a:ActionNotSupported", "The action is not supported by the service.", 2150858797}
)

// senderFaults are the subcodes Windows blames on the client (s:Sender); the
// others are the service's own failures (s:Receiver).
var senderFaults = map[string]bool{
	faultNoShell.Subcode:      true,
	faultQuota.Subcode:        true,
	faultBadRequest.Subcode:   true,
	faultNoSuchAction.Subcode: true,
}

func (f soapFault) body(machine string) string {
	code := "s:Receiver"
	if senderFaults[f.Subcode] {
		code = "s:Sender"
	}
	return `<s:Fault><s:Code><s:Value>` + code + `</s:Value><s:Subcode><s:Value>` + esc(f.Subcode) +
		`</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">` + esc(f.Reason) +
		`</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="` + nsFault + `" Code="` + fmt.Sprint(f.Code) +
		`" Machine="` + esc(machine) + `"><f:Message>` + esc(f.Reason) + `</f:Message></f:WSManFault></s:Detail></s:Fault>`
}

func faultEnvelope(f soapFault, relatesTo, machine string) []byte {
	return envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relatesTo, f.body(machine))
}

// identifyResponse is what Windows answers WS-Management Identify with. Asked
// without credentials it names no operating system, as Windows does.
func identifyResponse(authenticated bool) []byte {
	product := "OS: 0.0.0 SP: 0.0 Stack: 3.0"
	if authenticated {
		product = "OS: 10.0.17763 SP: 0.0 Stack: 3.0"
	}
	return []byte(`<s:Envelope xmlns:s="` + nsEnvelope + `" xml:lang="en-US"><s:Header/><s:Body><wsmid:IdentifyResponse xmlns:wsmid="` + nsIdentity +
		`"><wsmid:ProtocolVersion>` + nsWSMan + `</wsmid:ProtocolVersion><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor><wsmid:ProductVersion>` +
		product + `</wsmid:ProductVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>`)
}

// operationTimeout reads a w:OperationTimeout (an xs:duration such as PT60.000S);
// ok is false when there is none or it cannot be read.
func operationTimeout(v string) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	rest, found := strings.CutPrefix(v, "PT")
	if !found || rest == "" {
		return 0, false
	}
	for rest != "" {
		i := strings.IndexAny(rest, "HMS")
		if i <= 0 {
			return 0, false
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n < 0 {
			return 0, false
		}
		unit := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}[rest[i]]
		d += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	return d, d > 0
}

package winrm

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mz "github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// transport is the Transporter every node's masterzen client uses. Unlike the
// library's own, it reports every non-200 answer as an error, so a fault on Receive
// ends the command instead of spinning; and it bounds every request by the running
// call's context.
type transport struct {
	host string
	url  string
	// do sends one authenticated HTTP request; side sends the Signals and the
	// stdin Sends, on a connection of its own (see Post).
	do, side func(*http.Request) (*http.Response, error)
	requests *atomic.Int64

	// pipeStdin, set while a command whose stdin the client feeds is being started,
	// makes that Command ask for a pipe as its stdin (see Post).
	pipeStdin atomic.Bool
	// heldSend is the last Send of stdin data, held back so that it goes out with
	// the End that follows it as one request (see coalesceSend).
	sendMu   sync.Mutex
	heldSend string

	mu  sync.Mutex
	ctx context.Context // the running call; Signal and Delete get their own
	// cleanupTimeout bounds Signal and Delete, which must reach the node even after
	// the call's context ended.
	cleanupTimeout time.Duration
}

var _ mz.Transporter = (*transport)(nil)

// Transport is part of mz.Transporter; the HTTP client is built in New.
func (t *transport) Transport(*mz.Endpoint) error { return nil }

func (t *transport) setContext(ctx context.Context) {
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
}

// Post sends one SOAP message and returns the reply body.
func (t *transport) Post(_ *mz.Client, msg *soap.SoapMessage) (string, error) {
	text := msg.String()
	action := soapAction(text)
	t.mu.Lock()
	ctx := t.ctx
	t.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	if action == "Signal" || action == "Delete" {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), t.cleanupTimeout)
		defer cancel()
	}
	if action == "Command" && t.pipeStdin.Load() {
		// The library always asks for console-mode stdin, where what Send delivers
		// goes to a console's input buffer and End is no end of file: a script that
		// reads its stdin to the end would wait until stopped. A fed stdin must be a
		// pipe, as other WinRM clients ask for when they send input.
		text = consoleStdinOption.ReplaceAllString(text, "${1}FALSE${2}")
	}
	switch action {
	case "Command":
		// Whatever a failed command left held is not this command's input.
		t.sendMu.Lock()
		t.heldSend = ""
		t.sendMu.Unlock()
	case "Send":
		out, held, err := t.coalesceSend(ctx, text)
		if err != nil || held {
			return sendResponse, err
		}
		text = out
	}
	return t.post(ctx, action, text)
}

// sendResponse is what a held Send gets: the library reads nothing from it.
const sendResponse = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:SendResponse xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"/></s:Body></s:Envelope>`

// streamEnd is the End attribute of a Send's stdin Stream, and streamOpen the
// Stream's start tag.
var (
	streamEnd  = regexp.MustCompile(`\sEnd="true"`)
	streamOpen = regexp.MustCompile(`(<(?:\w+:)?Stream\b[^>]*?)(/?>)`)
)

// coalesceSend saves a request per command whose stdin the client feeds: the
// library sends the data, then End in a Send of its own. A Send of data is held
// (held true) until the next Send: an End goes out as the held data marked End
// (out), more data sends the held Send first. Nothing waits for held data but its
// End: the client writes its whole input, then closes it.
func (t *transport) coalesceSend(ctx context.Context, text string) (out string, held bool, err error) {
	t.sendMu.Lock()
	defer t.sendMu.Unlock()
	prev := t.heldSend
	t.heldSend = ""
	if !streamEnd.MatchString(text) {
		if prev != "" {
			if _, err := t.post(ctx, "Send", prev); err != nil {
				return "", false, err
			}
		}
		t.heldSend = text
		return "", true, nil
	}
	if m := streamOpen.FindStringSubmatchIndex(prev); prev != "" && m != nil {
		return prev[:m[3]] + ` End="true"` + prev[m[4]:], false, nil
	}
	if prev != "" {
		if _, err := t.post(ctx, "Send", prev); err != nil {
			return "", false, err
		}
	}
	return text, false, nil
}

// post sends the SOAP message text, of the given action, and returns the reply body.
func (t *transport) post(ctx context.Context, action, text string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(text))
	if err != nil {
		return "", &ProtocolError{Host: t.host, Err: err}
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	do := t.do
	if action == "Signal" || action == "Send" {
		// The library starts a command's first Receive as soon as the node accepts
		// the command, and a Receive is held by the node until the command ends or
		// the operation timeout passes. A script that reads its stdin ends only
		// after the Send that closes it: queued behind that Receive on the one
		// connection, the Send would wait out the timeout on every such command.
		do = t.side
	}
	resp, err := do(req)
	if err != nil {
		return "", &ProtocolError{Host: t.host, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", &ProtocolError{Host: t.host, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return "", &ProtocolError{Host: t.host, Status: resp.StatusCode, Fault: parseFault(body)}
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "application/soap+xml") {
		return "", &ProtocolError{Host: t.host, Status: resp.StatusCode,
			Err: fmt.Errorf("the answer is %q, not SOAP: is this port a WinRM listener?", resp.Header.Get("Content-Type"))}
	}
	if action == "Create" && !bytes.Contains(body, []byte(`Name="ShellId"`)) {
		// The library would go on with an empty shell ID and fail obscurely later.
		return "", &ProtocolError{Host: t.host, Status: resp.StatusCode, Err: fmt.Errorf("the node created a shell but named no ShellId")}
	}
	return string(body), nil
}

// consoleStdinOption is the WINRS_CONSOLEMODE_STDIN option of a Command message.
var consoleStdinOption = regexp.MustCompile(`(Name="WINRS_CONSOLEMODE_STDIN"[^>]*>)\s*TRUE\s*(<)`)

// soapAction names the action of an outgoing message.
func soapAction(text string) string {
	i := strings.Index(text, "Action")
	if i < 0 {
		return ""
	}
	rest := text[i:]
	if j := strings.Index(rest, "</"); j >= 0 {
		rest = rest[:j]
	}
	for _, a := range []string{"transfer/Create", "shell/Command", "shell/Send", "shell/Receive", "shell/Signal", "transfer/Delete"} {
		if strings.HasSuffix(rest, a) {
			return a[strings.Index(a, "/")+1:]
		}
	}
	return ""
}

// parseFault reads the subcode and reason of a SOAP fault; the timeout fault's
// reason names OperationTimeout, which the library's receive loop looks for.
func parseFault(body []byte) string {
	var env struct {
		Fault struct {
			Subcode string `xml:"Code>Subcode>Value"`
			Reason  string `xml:"Reason>Text"`
			Message string `xml:"Detail>WSManFault>Message"`
		} `xml:"Body>Fault"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return ""
	}
	f := env.Fault
	reason := strings.TrimSpace(f.Reason)
	if reason == "" {
		reason = strings.TrimSpace(f.Message)
	}
	out := strings.TrimSpace(f.Subcode)
	if strings.HasSuffix(out, "TimedOut") && !strings.Contains(reason, "OperationTimeout") {
		reason += " (OperationTimeout)"
	}
	if reason != "" {
		if out != "" {
			out += " "
		}
		out += reason
	}
	return out
}

// countingRoundTripper counts every HTTP request, handshakes included.
type countingRoundTripper struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (c countingRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.rt.RoundTrip(r)
}

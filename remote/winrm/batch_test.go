package winrm

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/wsman"
	"github.com/ssisha/ssisha/remote/script"
)

// fakeNode plays a node that runs ssisha's scripts and batches of them. An
// operation named "hold" waits for release, one named "gate" for openGate; one
// whose name starts with "fail" fails with the message in its parameters; any other
// prints {"op":"<op>"}. A batch runs each of its scripts so and prints what the
// batch script prints on a node.
type fakeNode struct {
	release, openGate chan struct{}
	started           chan string // the op of each hold or gate that began
	mu                sync.Mutex
	cmds              []wsman.Command
	batches           [][]string // the ops of each batch, in order
	cancelled         int        // holds and gates whose command was stopped
	// batchAnswer, when set, answers every batch instead.
	batchAnswer func() wsman.Result
}

func newFakeNode() *fakeNode {
	return &fakeNode{release: make(chan struct{}), openGate: make(chan struct{}), started: make(chan string, 64)}
}

func (f *fakeNode) handle(ctx context.Context, _ string, cmd wsman.Command) wsman.Result {
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	answer := f.batchAnswer
	f.mu.Unlock()
	if !strings.HasPrefix(cmd.Script, batchMarker) {
		return f.one(ctx, cmd.Script)
	}
	scripts, err := testParseBatch(cmd.Script)
	if err != nil {
		return wsman.Result{Stderr: wsman.CLIXMLError("bad batch: " + err.Error()), ExitCode: 1}
	}
	var ops []string
	var results []batchResult
	for _, s := range scripts {
		op, _, _ := script.ParsePowerShell(s)
		ops = append(ops, op)
		r := f.one(ctx, s)
		if r.ExitCode == 0 {
			results = append(results, batchResult{OK: true, Out: string(r.Stdout)})
			continue
		}
		// A thrown string's FullyQualifiedErrorId is the string itself.
		msg := DecodeCLIXML(string(r.Stderr))
		results = append(results, batchResult{Error: msg, ErrorID: msg})
	}
	f.mu.Lock()
	f.batches = append(f.batches, ops)
	f.mu.Unlock()
	if answer != nil {
		return answer()
	}
	out, _ := json.Marshal(map[string]any{"results": results})
	return wsman.Result{Stdout: append(out, '\r', '\n')}
}

func (f *fakeNode) one(ctx context.Context, text string) wsman.Result {
	op, params, err := script.ParsePowerShell(text)
	if err != nil {
		return wsman.Result{Stderr: wsman.CLIXMLError("unknown command: " + err.Error()), ExitCode: 1}
	}
	wait := map[string]chan struct{}{"hold": f.release, "gate": f.openGate}[op]
	if wait != nil {
		f.started <- op
		select {
		case <-wait:
		case <-ctx.Done():
			f.mu.Lock()
			f.cancelled++
			f.mu.Unlock()
			return wsman.Result{ExitCode: 1}
		}
	}
	if strings.HasPrefix(op, "fail") {
		return wsman.Result{Stderr: wsman.CLIXMLError(fmt.Sprint(params["message"])), ExitCode: 1}
	}
	return wsman.Result{Stdout: []byte(`{"op":"` + op + `"}` + "\r\n")}
}

func (f *fakeNode) seen() ([]wsman.Command, [][]string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cmds), slices.Clone(f.batches), f.cancelled
}

// testParseBatch reads the scripts out of a batch as the lab does.
func testParseBatch(text string) ([]string, error) {
	const start = "\n$private:scripts = @(\n"
	if !strings.HasPrefix(text, batchMarker+"\n") {
		return nil, errors.New("no marker")
	}
	i := strings.Index(text, start)
	if i < 0 {
		return nil, errors.New("no array")
	}
	rest := text[i+len(start):]
	var scripts []string
	for {
		s, after, err := script.CutPSLiteral(rest)
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, s)
		if r, ok := strings.CutPrefix(after, ",\n"); ok {
			rest = r
			continue
		}
		if !strings.HasPrefix(after, "\n)\n") || !strings.HasSuffix(after, batchRunner) {
			return nil, fmt.Errorf("unexpected %.40q", after)
		}
		return scripts, nil
	}
}

func read(op string) script.PowerShell {
	s := ps(op)
	s.ReadOnly = true
	return s
}

func failingRead(op, message string) script.PowerShell {
	s := read(op)
	s.Params = map[string]any{"message": message}
	return s
}

type outcome struct {
	out json.RawMessage
	err error
}

// start runs s on the test host in the background.
func start(ctx context.Context, c *Client, s script.PowerShell) <-chan outcome {
	return startOn(ctx, c, testHost, s)
}

func startOn(ctx context.Context, c *Client, host string, s script.PowerShell) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		out, err := c.PowerShell(ctx, host, s)
		ch <- outcome{out, err}
	}()
	return ch
}

// holdShell starts a read that keeps the test host's shell of reads busy until
// f.release is closed, and waits until it runs.
func holdShell(t *testing.T, c *Client, f *fakeNode) <-chan outcome {
	t.Helper()
	ch := start(context.Background(), c, read("hold"))
	if op := <-f.started; op != "hold" {
		t.Fatalf("started %q, want hold", op)
	}
	return ch
}

// waitQueued waits until want read-only scripts wait in the test host's queue.
func waitQueued(t *testing.T, c *Client, want int) {
	t.Helper()
	waitQueuedOn(t, c, testHost, want)
}

func waitQueuedOn(t *testing.T, c *Client, host string, want int) {
	t.Helper()
	n, err := c.node(host)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n.qmu.Lock()
		got := len(n.queue)
		n.qmu.Unlock()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d scripts queued, want %d", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func wantOp(t *testing.T, o outcome, op string) {
	t.Helper()
	if o.err != nil || string(o.out) != `{"op":"`+op+`"}` {
		t.Errorf("%s: got %s, %v", op, o.out, o.err)
	}
}

func TestConcurrentReadsShareOneCommand(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	var ops []string
	var reads []<-chan outcome
	for i := range 5 {
		ops = append(ops, fmt.Sprintf("read.%d", i))
		reads = append(reads, start(context.Background(), c, read(ops[i])))
	}
	waitQueued(t, c, 5)
	close(f.release)
	wantOp(t, <-hold, "hold")
	for i, ch := range reads {
		wantOp(t, <-ch, ops[i])
	}
	cmds, batches, _ := f.seen()
	if len(cmds) != 2 || len(batches) != 1 {
		t.Fatalf("%d commands, %d batches; want the hold and one batch", len(cmds), len(batches))
	}
	got := slices.Sorted(slices.Values(batches[0]))
	if !slices.Equal(got, ops) {
		t.Errorf("the batch ran %v, want %v", got, ops)
	}
	if n := c.Commands(testHost); n != 2 {
		t.Errorf("Commands = %d, want 2 (a batch counts once)", n)
	}
}

func TestFailingMemberFailsOnlyItsCaller(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	good := start(context.Background(), c, read("read.good"))
	bad := start(context.Background(), c, failingRead("fail.read", "Cluster service is not running.\nStart it with Start-Service ClusSvc."))
	waitQueued(t, c, 2)
	close(f.release)
	wantOp(t, <-hold, "hold")
	wantOp(t, <-good, "read.good")
	batched := (<-bad).err
	if _, batches, _ := f.seen(); len(batches) != 1 {
		t.Fatalf("%d batches, want 1", len(batches))
	}
	// The same script alone, on an idle node, fails the same way.
	_, alone := c.PowerShell(context.Background(), testHost, failingRead("fail.read", "Cluster service is not running.\nStart it with Start-Service ClusSvc."))
	for _, err := range []error{batched, alone} {
		var ce *CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("error = %v, want a CommandError", err)
		}
		want := CommandError{Host: testHost, Op: "fail.read", ExitCode: 1, Stderr: "Cluster service is not running.\nStart it with Start-Service ClusSvc."}
		if *ce != want {
			t.Errorf("CommandError = %+v, want %+v", *ce, want)
		}
	}
	if batched.Error() != alone.Error() {
		t.Errorf("batched %q, alone %q", batched, alone)
	}
}

func TestBatchResultStderr(t *testing.T) {
	for _, tt := range []struct {
		r    batchResult
		want string
	}{
		{batchResult{Error: "boom", ErrorID: "boom"}, "boom"},
		{batchResult{Error: "two\r\nlines\r\n", ErrorID: "two\r\nlines"}, "two\nlines"},
		{batchResult{Error: "Cannot find path 'C:\\x'.", ErrorID: "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"},
			"Cannot find path 'C:\\x'.\n    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"},
		{batchResult{Error: "no id"}, "no id"},
	} {
		if got := tt.r.stderr(); got != tt.want {
			t.Errorf("stderr of %+v = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestWritesAreNeverBatched(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	var writes []<-chan outcome
	for i := range 4 {
		s := ps(fmt.Sprintf("write.%d", i))
		s.Idempotent = i%2 == 0
		writes = append(writes, start(context.Background(), c, s))
	}
	// A read-only script that could only run alone: exit would end a batch.
	exiting := read("read.exit")
	exiting.Body = "if ($false) { exit 3 }\n" + exiting.Body
	writes = append(writes, start(context.Background(), c, exiting))
	close(f.release)
	wantOp(t, <-hold, "hold")
	for i, ch := range writes[:4] {
		wantOp(t, <-ch, fmt.Sprintf("write.%d", i))
	}
	wantOp(t, <-writes[4], "read.exit")
	cmds, batches, _ := f.seen()
	if len(batches) != 0 || len(cmds) != 6 {
		t.Fatalf("%d commands, %d batches; want 6 commands run alone", len(cmds), len(batches))
	}
}

func TestBatchable(t *testing.T) {
	for _, tt := range []struct {
		body     string
		readOnly bool
		want     bool
	}{
		{"'{}'", true, true},
		{"'{}'", false, false},
		{"exit 1", true, false},
		{"  Exit", true, false},
		{"if ($x) { exit }", true, false},
		{"foreach ($n in 1..3) { if ($n) { break } }", true, false},
		{"$a = 1; continue", true, false},
		{"$exitCode = 0\n'exit code'", true, true},
		{"Write-Output 'we exit here'", true, true},
	} {
		s := script.PowerShell{Op: "x", Body: tt.body, ReadOnly: tt.readOnly}
		if got := batchable(s, s.Render()); got != tt.want {
			t.Errorf("batchable(%q, read-only %v) = %v, want %v", tt.body, tt.readOnly, got, tt.want)
		}
	}
}

func TestLoneReadIsNotWrapped(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	short := read("read.short")
	long := compressibleScript()
	long.ReadOnly = true
	for _, s := range []script.PowerShell{short, long} {
		if _, err := c.PowerShell(context.Background(), testHost, s); err != nil {
			t.Fatal(err)
		}
	}
	cmds, batches, _ := f.seen()
	if len(cmds) != 2 || len(batches) != 0 {
		t.Fatalf("%d commands, %d batches", len(cmds), len(batches))
	}
	if want := encodedCommand(short.Render()); cmds[0].CommandLine != want {
		t.Errorf("short read ran as %.80q…, want its own command line", cmds[0].CommandLine)
	}
	want, ok := compressedCommand(long.Render())
	if !ok || cmds[1].CommandLine != want {
		t.Errorf("long read ran as %.80q…, want its own compressed command line", cmds[1].CommandLine)
	}
}

func TestCallerCancelledWhileQueued(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	first := start(context.Background(), c, read("read.first"))
	waitQueued(t, c, 1)
	ctx, cancel := context.WithCancel(context.Background())
	impatient := start(ctx, c, read("read.impatient"))
	waitQueued(t, c, 2)
	last := start(context.Background(), c, read("read.last"))
	waitQueued(t, c, 3)
	cancel()
	// It returns while the shell is still busy.
	o := <-impatient
	if !errors.Is(o.err, context.Canceled) || !strings.Contains(o.err.Error(), "read.impatient on "+testHost) {
		t.Fatalf("error = %v, want context.Canceled naming op and host", o.err)
	}
	waitQueued(t, c, 2)
	close(f.release)
	wantOp(t, <-hold, "hold")
	wantOp(t, <-first, "read.first")
	wantOp(t, <-last, "read.last")
	_, batches, _ := f.seen()
	if len(batches) != 1 || len(batches[0]) != 2 || slices.Contains(batches[0], "read.impatient") {
		t.Fatalf("batches %v, want one of read.first and read.last", batches)
	}
}

func TestBatchOutlivesImpatientCallers(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))

	// One member gives up while the batch runs: the others still get their results.
	hold := holdShell(t, c, f)
	ctx, cancel := context.WithCancel(context.Background())
	impatient := start(ctx, c, read("gate"))
	waitQueued(t, c, 1)
	patient := start(context.Background(), c, read("read.patient"))
	waitQueued(t, c, 2)
	close(f.release)
	wantOp(t, <-hold, "hold")
	if op := <-f.started; op != "gate" {
		t.Fatalf("started %q, want the gate", op)
	}
	cancel()
	if o := <-impatient; !errors.Is(o.err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", o.err)
	}
	close(f.openGate)
	wantOp(t, <-patient, "read.patient")
	if _, batches, cancelled := f.seen(); len(batches) != 1 || cancelled != 0 {
		t.Fatalf("%d batches, %d stopped; want one batch that ran to its end", len(batches), cancelled)
	}

	// When every member gives up, the command is stopped.
	f2 := newFakeNode()
	p2 := startPeer(t, false, f2.handle)
	c2 := newClient(t, p2.config(t, nil))
	hold = holdShell(t, c2, f2)
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	a := start(ctx1, c2, read("gate"))
	waitQueued(t, c2, 1)
	b := start(ctx2, c2, read("read.b"))
	waitQueued(t, c2, 2)
	close(f2.release)
	wantOp(t, <-hold, "hold")
	<-f2.started
	cancel1()
	cancel2()
	for _, ch := range []<-chan outcome{a, b} {
		if o := <-ch; !errors.Is(o.err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", o.err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, cancelled := f2.seen(); cancelled == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the batch was not stopped once all its callers gave up")
		}
		time.Sleep(time.Millisecond)
	}
	// The shell is free again.
	wantOp(t, <-start(context.Background(), c2, read("read.after")), "read.after")
}

// blobRead is a read-only script carrying size random bytes, which do not compress.
func blobRead(t *testing.T, op string, size int) script.PowerShell {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s := read(op)
	s.Params = map[string]any{"blob": base64.StdEncoding.EncodeToString(b)}
	return s
}

func TestBatchIsSplitToFit(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	const n = 8
	var reads []<-chan outcome
	for i := range n {
		reads = append(reads, start(context.Background(), c, blobRead(t, fmt.Sprintf("read.%d", i), 300)))
		waitQueued(t, c, i+1)
	}
	close(f.release)
	wantOp(t, <-hold, "hold")
	for i, ch := range reads {
		wantOp(t, <-ch, fmt.Sprintf("read.%d", i))
	}
	cmds, batches, _ := f.seen()
	ran := map[string]int{}
	for _, b := range batches {
		for _, op := range b {
			ran[op]++
		}
	}
	for _, cmd := range cmds {
		if len(cmd.CommandLine) > maxCommandLine || !strings.HasPrefix(cmd.CommandLine, "powershell.exe -EncodedCommand ") {
			t.Errorf("a command line of %d characters: %.60q", len(cmd.CommandLine), cmd.CommandLine)
		}
	}
	if len(batches) < 2 || len(cmds) >= n+1 {
		t.Fatalf("%d commands, batches %v; want several batches, fewer commands than scripts", len(cmds), batches)
	}
	for i := range n {
		if op := fmt.Sprintf("read.%d", i); ran[op] > 1 {
			t.Errorf("%s ran %d times in batches", op, ran[op])
		}
	}
}

func TestBatchIsCapped(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	const n = maxBatch + 4
	var reads []<-chan outcome
	for i := range n {
		reads = append(reads, start(context.Background(), c, read(fmt.Sprintf("r%d", i))))
	}
	waitQueued(t, c, n)
	close(f.release)
	wantOp(t, <-hold, "hold")
	for i, ch := range reads {
		wantOp(t, <-ch, fmt.Sprintf("r%d", i))
	}
	_, batches, _ := f.seen()
	total := 0
	for _, b := range batches {
		if len(b) > maxBatch {
			t.Errorf("a batch of %d scripts", len(b))
		}
		total += len(b)
	}
	if len(batches) != 2 || total != n {
		t.Fatalf("batches %v, want two holding the %d scripts", batches, n)
	}
}

func TestBatchFailureReachesEveryMember(t *testing.T) {
	const canary = "Canary-b4tch-PASS"
	for _, tt := range []struct {
		name   string
		answer wsman.Result
		check  func(t *testing.T, op string, err error)
	}{
		{"exit code", wsman.Result{Stderr: wsman.CLIXMLError("The term 'x' is not recognized " + canary), ExitCode: 3}, func(t *testing.T, op string, err error) {
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Op != op || ce.Host != testHost || ce.ExitCode != 3 || !strings.Contains(ce.Stderr, "is not recognized") {
				t.Errorf("error = %v, want a CommandError of %s with exit code 3", err, op)
			}
		}},
		{"not JSON", wsman.Result{Stdout: []byte("WARNING: " + canary + "\r\n{}")}, func(t *testing.T, op string, err error) {
			if err == nil || !strings.Contains(err.Error(), op+" on "+testHost) || !strings.Contains(err.Error(), "not the batch's result") {
				t.Errorf("error = %v, want the batch's output refused, naming %s", err, op)
			}
		}},
		{"too few results", wsman.Result{Stdout: []byte(`{"results":[{"ok":true,"out":"{}"}]}`)}, func(t *testing.T, op string, err error) {
			if err == nil || !strings.Contains(err.Error(), "1 results for 2 scripts") {
				t.Errorf("error = %v", err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeNode()
			answer := tt.answer
			f.batchAnswer = func() wsman.Result { return answer }
			p := startPeer(t, false, f.handle)
			cfg := p.config(t, nil)
			cfg.Redactor = script.NewRedactor(script.NewSecret("canary", canary))
			c := newClient(t, cfg)
			hold := holdShell(t, c, f)
			a := start(context.Background(), c, read("read.a"))
			b := start(context.Background(), c, read("read.b"))
			waitQueued(t, c, 2)
			close(f.release)
			wantOp(t, <-hold, "hold")
			for op, ch := range map[string]<-chan outcome{"read.a": a, "read.b": b} {
				err := (<-ch).err
				tt.check(t, op, err)
				if err != nil && strings.Contains(err.Error(), canary) {
					t.Errorf("the secret leaked: %v", err)
				}
			}
		})
	}
}

func TestBatchRetriesAfterATransientFault(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	a := start(context.Background(), c, read("read.a"))
	b := start(context.Background(), c, read("read.b"))
	waitQueued(t, c, 2)
	var once sync.Once
	p.setFault(func(ri wsman.RequestInfo) *wsman.Fault {
		var f *wsman.Fault
		if ri.Action == "Command" {
			once.Do(func() { f = &wsman.Fault{Status: 503, Subcode: "w:InternalError", Reason: "busy"} })
		}
		return f
	})
	close(f.release)
	wantOp(t, <-hold, "hold")
	wantOp(t, <-a, "read.a")
	wantOp(t, <-b, "read.b")
	// The hold, the refused batch and the retries, alone or together.
	if n := c.Commands(testHost); n < 3 || n > 4 {
		t.Errorf("Commands = %d, want 3 or 4", n)
	}
}

func TestSecretNeverInBatchErrors(t *testing.T) {
	const canary = "Canary-9c1e-PASS"
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	red := script.NewRedactor()
	red.Add(script.NewSecret("key", canary))
	cfg := p.config(t, nil)
	cfg.Redactor = red
	c := newClient(t, cfg)
	hold := holdShell(t, c, f)
	bad := start(context.Background(), c, failingRead("fail.read", "wrong key "+canary+" it's \"quoted\""))
	good := start(context.Background(), c, read("read.good"))
	waitQueued(t, c, 2)
	close(f.release)
	wantOp(t, <-hold, "hold")
	wantOp(t, <-good, "read.good")
	err := (<-bad).err
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.Contains(ce.Stderr, "<secret:key>") {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), canary) || strings.Contains(ce.Stderr, canary) {
		t.Fatalf("the secret leaked: %v", err)
	}
	// The node received the script with its secret, inside the batch.
	cmds, _, _ := f.seen()
	if !strings.Contains(cmds[1].Script, canary) {
		t.Fatal("the batch did not carry the script's parameters")
	}
}

func TestBatchScriptCarriesEachScriptWhole(t *testing.T) {
	texts := []string{
		script.PowerShell{Op: "a", Params: map[string]any{"v": "it's ‘typographic’"}, Body: "'{}'"}.Render(),
		script.PowerShell{Op: "b", Body: "$x = 'one'\n\"two\"\n@'\nhere-string\n'@\n'{}'"}.Render(),
	}
	text := batchScript(texts)
	if !strings.HasPrefix(text, batchMarker+"\n") {
		t.Fatalf("first line of %q", text)
	}
	got, err := testParseBatch(text)
	if err != nil || !slices.Equal(got, texts) {
		t.Fatalf("parsed back %q, %v", got, err)
	}
	one, err := testParseBatch(batchScript(texts[:1]))
	if err != nil || len(one) != 1 {
		t.Fatalf("a batch of one: %q, %v", one, err)
	}
}

func TestTwinReadsRunOnce(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))

	// The same read asked three times while the shell is busy runs once, alone (it
	// is the only script), and each caller gets the result.
	hold := holdShell(t, c, f)
	var twins []<-chan outcome
	for range 3 {
		twins = append(twins, start(context.Background(), c, read("read.same")))
	}
	waitQueued(t, c, 3)
	close(f.release)
	wantOp(t, <-hold, "hold")
	for _, ch := range twins {
		wantOp(t, <-ch, "read.same")
	}
	cmds, batches, _ := f.seen()
	if len(cmds) != 2 || len(batches) != 0 {
		t.Fatalf("%d commands, %d batches; want the hold and the read run once, alone", len(cmds), len(batches))
	}

	// Beside another read, the twins take one place in the batch.
	f.release = make(chan struct{})
	hold = holdShell(t, c, f)
	a1 := start(context.Background(), c, read("read.a"))
	waitQueued(t, c, 1)
	other := start(context.Background(), c, read("read.b"))
	waitQueued(t, c, 2)
	a2 := start(context.Background(), c, read("read.a"))
	waitQueued(t, c, 3)
	close(f.release)
	wantOp(t, <-hold, "hold")
	wantOp(t, <-a1, "read.a")
	wantOp(t, <-a2, "read.a")
	wantOp(t, <-other, "read.b")
	_, batches, _ = f.seen()
	if len(batches) != 1 || !slices.Equal(batches[0], []string{"read.a", "read.b"}) {
		t.Fatalf("batches %v, want one of read.a and read.b", batches)
	}
}

func TestTwinOutlivesTheCallerItRidesWith(t *testing.T) {
	f := newFakeNode()
	p := startPeer(t, false, f.handle)
	c := newClient(t, p.config(t, nil))
	hold := holdShell(t, c, f)
	ctx, cancel := context.WithCancel(context.Background())
	first := start(ctx, c, read("gate"))
	waitQueued(t, c, 1)
	second := start(context.Background(), c, read("gate"))
	waitQueued(t, c, 2)
	close(f.release)
	wantOp(t, <-hold, "hold")
	if op := <-f.started; op != "gate" {
		t.Fatalf("started %q, want gate", op)
	}
	// The caller whose script runs gives up; its twin still gets the result.
	cancel()
	if o := <-first; !errors.Is(o.err, context.Canceled) {
		t.Errorf("the impatient caller got %s, %v; want its context's error", o.out, o.err)
	}
	close(f.openGate)
	wantOp(t, <-second, "gate")
	if _, _, cancelled := f.seen(); cancelled != 0 {
		t.Errorf("%d commands were stopped; the twin still waited", cancelled)
	}
}

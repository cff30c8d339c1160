package tds

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ssisha/ssisha/remote/script"
)

// TransMgrReq request types (MS-TDS 2.2.6.9).
const (
	tmBegin    = 5
	tmCommit   = 7
	tmRollback = 8
)

// requests serves the connection after login. A goroutine reads messages so that
// an ATTENTION arriving while a handler runs cancels it.
func (c *conn) requests() error {
	in := make(chan read)
	go func() {
		for {
			m, err := readMessage(c.rw)
			select {
			case in <- read{m, err}:
			case <-c.closed:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var tran uint64
	for {
		r := <-in
		if r.err != nil {
			return r.err
		}
		t := c.tokens()
		switch r.m.typ {
		case pktAttention:
			// The request it meant to cancel already finished: just confirm.
			t.done(tokDone, doneAttn, 0, 0)
		case pktSQLBatch, pktRPC:
			if f := c.srv.opts.OnRoundTrip; f != nil {
				f()
			}
			if c.srv.fault("request", c.closed) {
				return errors.New("tds: connection reset by an injected fault")
			}
			if err := c.request(t, r.m, in); err != nil {
				return err
			}
		case pktTransMgr:
			if f := c.srv.opts.OnRoundTrip; f != nil {
				f()
			}
			rd := &reader{b: r.m.data}
			if !t.before72() {
				rd.skipAllHeaders()
			}
			kind := rd.u16()
			if rd.err != nil {
				return rd.err
			}
			desc := binary.LittleEndian.AppendUint64(nil, tran)
			switch kind {
			case tmBegin:
				tran = rand.Uint64() | 1
				t.envChangeBytes(envBeginTran, binary.LittleEndian.AppendUint64(nil, tran), nil)
			case tmCommit:
				t.envChangeBytes(envCommit, nil, desc)
				tran = 0
			case tmRollback:
				t.envChangeBytes(envRollback, nil, desc)
				tran = 0
			default:
				t.message(tokError, 50000, 1, 16, fmt.Sprintf("Transaction request %d is not supported by the lab.", kind), c.srv.opts.ServerName)
				t.done(tokDone, doneError, 0, 0)
			}
			if kind == tmBegin || kind == tmCommit || kind == tmRollback {
				t.done(tokDone, doneFinal, 0, 0)
			}
		default:
			return fmt.Errorf("tds: packet type %#x is not a request", r.m.typ)
		}
		if err := c.write(t); err != nil {
			return err
		}
	}
}

// request serves one SQLBatch or RPC into t. A stream it cannot read is answered
// with an error and the session goes on, as SQL Server does. It reports whether
// the connection must end, and why.
func (c *conn) request(t *tokens, m message, in <-chan read) error {
	var call rpcCall
	var err error
	if m.typ == pktRPC {
		call, err = parseRPC(m.data, !t.before72())
	} else {
		call.Request, err = parseSQLBatch(m.data, !t.before72())
		if err == nil && harmless(t, call.Text) {
			return nil
		}
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = &Error{Number: 4002, State: 1, Class: 16, Message: "The incoming tabular data stream (TDS) protocol stream is incorrect. The stream ended unexpectedly."}
		}
		c.reply(t, m.typ == pktRPC, result{err: err})
		return nil
	}
	switch call.proc {
	case procPrepare:
		h := c.prepare(call.Text)
		t.returnInt(0, "@handle", h)
		c.reply(t, true, result{})
		return nil
	case procUnprepare:
		delete(c.prepared, call.handle)
		c.reply(t, true, result{})
		return nil
	case procExecute:
		stmt, ok := c.prepared[call.handle]
		if !ok {
			c.reply(t, true, result{err: &Error{Number: 8179, State: 4, Class: 16, Message: fmt.Sprintf("Could not find prepared statement with handle %d.", call.handle)}})
			return nil
		}
		call.Text = stmt
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan result, 1)
	go func() { res <- c.run(ctx, call.Request) }()
	var out result
	select {
	case out = <-res:
	case r2 := <-in:
		cancel()
		<-res
		switch {
		case r2.err != nil:
			return r2.err
		case r2.m.typ != pktAttention:
			return fmt.Errorf("tds: packet type %#x while a request was running", r2.m.typ)
		}
		t.done(tokDone, doneAttn, 0, 0)
		return nil
	}
	if call.proc == procPrepExec {
		c.replyPrepExec(t, c.prepare(call.Text), out)
		return nil
	}
	c.reply(t, call.RPC, out)
	return nil
}

// prepare keeps a statement for sp_execute and returns its handle.
func (c *conn) prepare(stmt string) int32 {
	if c.prepared == nil {
		c.prepared = map[int32]string{}
	}
	h := int32(len(c.prepared) + 1)
	for {
		if _, taken := c.prepared[h]; !taken {
			break
		}
		h++
	}
	c.prepared[h] = stmt
	return h
}

// replyPrepExec answers sp_prepexec: the statement's outcome, then its handle.
func (c *conn) replyPrepExec(t *tokens, handle int32, out result) {
	var body tokens
	body.tds = t.tds
	c.reply(&body, true, out)
	b := body.Bytes()
	// The handle goes between RETURNSTATUS and the final DONEPROC.
	doneLen := 1 + 2 + 2 + 8
	if t.before72() {
		doneLen = 1 + 2 + 2 + 4
	}
	t.Write(b[:len(b)-doneLen])
	t.returnInt(0, "@handle", handle)
	t.Write(b[len(b)-doneLen:])
}

type read struct {
	m   message
	err error
}

type result struct {
	rs  *script.ResultSet
	err error
}

// run calls the handler, turning a panic into an error so one bad operation does
// not take the lab's instance down.
func (c *conn) run(ctx context.Context, req Request) (out result) {
	defer func() {
		if p := recover(); p != nil {
			out = result{err: fmt.Errorf("the lab's handler failed: %v", p)}
		}
	}()
	h := c.srv.currentHandler()
	if h == nil {
		return result{err: errors.New("the lab instance has no handler")}
	}
	sess := c.sess
	rs, err := h(ctx, &sess, req)
	return result{rs, err}
}

// reply writes a request's outcome: a result set or an error, then the DONE
// tokens go-mssqldb expects (every DONE but the last carries DONE_MORE).
func (c *conn) reply(t *tokens, rpc bool, out result) {
	final := byte(tokDone)
	if rpc {
		final = tokDoneProc
	}
	if out.err != nil {
		e := &Error{Number: 50000, State: 1, Class: 16, Message: out.err.Error()}
		var he *Error
		if errors.As(out.err, &he) {
			e = he
		}
		t.message(tokError, e.Number, e.State, e.Class, e.Message, c.srv.opts.ServerName)
		t.done(final, doneError, 0, 0)
		return
	}
	var rows uint64
	if out.rs != nil && len(out.rs.Columns) > 0 {
		writeResult(t, out.rs)
		rows = uint64(len(out.rs.Rows))
		if rpc {
			t.done(tokDoneInProc, doneMore|doneCount, curCmdSelect, rows)
		} else {
			t.done(tokDone, doneCount, curCmdSelect, rows)
			return
		}
	}
	if rpc {
		t.u8(tokReturnStatus)
		t.u32(0)
		t.done(tokDoneProc, doneFinal, 0, 0)
		return
	}
	t.done(tokDone, doneFinal, 0, 0)
}

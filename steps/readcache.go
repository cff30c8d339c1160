package steps

import (
	"strings"
	"sync"
)

// ReadCache shares read-only results among the detections of one round. Env.PS and
// Env.SQL share every read-only script by host and text (several steps read the same
// facts of a node), and step 9 shares the facts of the primary each worker's Detect
// derives from several reads: read once per round, they cost one command on the
// primary instead of one per worker. The engine gives each detection round a new
// cache, so nothing read before a change is reused after it. Apply always reads
// afresh; so does Verify, except between the end of a step's actions and its
// barrier, when the estate holds still: the verifications that start then share a
// round with the next step's detection.
type ReadCache struct {
	mu sync.Mutex
	m  map[string]*cachedRead
}

type cachedRead struct {
	once sync.Once
	val  any
	err  error
}

// NewReadCache returns an empty cache for one detection round.
func NewReadCache() *ReadCache { return &ReadCache{m: map[string]*cachedRead{}} }

// sharedRead returns read's result for key, reading at most once per round when env
// has a cache and every time when it has none. Concurrent callers of the same key
// wait for the first one's read, and share its error too: they would have seen the
// same estate.
func sharedRead[T any](env *Env, key string, read func() (T, error)) (T, error) {
	c := env.Reads
	if c == nil {
		return read()
	}
	if env.Projection != nil && !strings.HasPrefix(key, "ps ") && !strings.HasPrefix(key, "sql ") {
		// Facts derived from reads are seen through the projection; the reads
		// themselves are the estate's and stay shared.
		key = "projected " + key
	}
	c.mu.Lock()
	e := c.m[key]
	if e == nil {
		e = &cachedRead{}
		c.m[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.val, e.err = read() })
	v, _ := e.val.(T)
	return v, e.err
}

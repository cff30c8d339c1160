package estate

import (
	"encoding/json"
	"strconv"
)

// The estate lock marker: a JSON file on the node that says which ssisha is changing
// the estate, created only when absent, as File.Open with CreateNew does.

func lockOps(t *Operations) {
	t.AddPS("win.lock.take", winLockTake)
	t.AddPS("win.lock.get", winLockGet)
	t.AddPS("win.lock.release", winLockRelease)
}

// lockHolder reads the marker at path: nil when there is none.
func lockHolder(n *Node, path string) (map[string]any, error) {
	content, ok := n.File(path)
	if !ok {
		return nil, nil
	}
	var h map[string]any
	if err := json.Unmarshal([]byte(content), &h); err != nil {
		return nil, errorf("ConvertFrom-Json : Invalid JSON primitive in %s.", path)
	}
	return h, nil
}

func winLockTake(c *OpContext, p Params) (any, error) {
	path := p.String("path")
	if p.Bool("force") {
		c.Node.removeFile(path)
	}
	holder, err := lockHolder(c.Node, path)
	if err != nil {
		return nil, err
	}
	if holder != nil {
		return map[string]any{"taken": holder["token"] == p.String("token"), "holder": holder}, nil
	}
	pid, _ := strconv.Atoi(p.String("pid"))
	mine, _ := json.Marshal(map[string]any{
		"host": p.String("host"), "user": p.String("user"), "pid": pid, "since": p.String("since"),
		"cluster": p.String("cluster"), "command": p.String("command"), "lockFile": p.String("lockFile"),
		"token": p.String("token"),
	})
	c.Node.SetFile(path, string(mine))
	return map[string]any{"taken": true, "holder": nil}, nil
}

func winLockGet(c *OpContext, p Params) (any, error) {
	holder, err := lockHolder(c.Node, p.String("path"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"taken": false, "holder": holder}, nil
}

func winLockRelease(c *OpContext, p Params) (any, error) {
	path := p.String("path")
	holder, err := lockHolder(c.Node, path)
	if err != nil {
		return nil, err
	}
	removed := holder != nil && holder["token"] == p.String("token")
	if removed {
		c.Node.removeFile(path)
	}
	return map[string]any{"removed": removed}, nil
}

package pluv

import "errors"

// newDocStore makes a room's Yjs document. It is nil until the yjs engine (branch yjs)
// is merged; until then NewServer and Provision fail with errNoEngine.
var newDocStore func(maxSize, maxPending int) docStore

// errNoEngine is returned while no Yjs engine is linked in.
var errNoEngine = errors.New("no yjs engine linked in")

package pluv

import "github.com/caddy-pluv/caddy-pluv/yjs"

// newDocStore makes a room's Yjs document: maxSize caps the encoded state in bytes and
// maxPending the bytes of updates waiting for missing history.
func newDocStore(maxSize, maxPending int) docStore {
	return yjs.NewStore(yjs.Options{MaxSize: maxSize, MaxPending: maxPending})
}

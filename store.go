package pluv

import "github.com/caddy-pluv/caddy-pluv/yjs"

// newDocStore makes a room's Yjs document under cfg: max_storage_size caps its encoded
// state, max_pending the updates waiting for missing history, and keep_history turns
// its garbage collection off.
func newDocStore(cfg *settings) docStore {
	return yjs.NewStore(yjs.Options{
		MaxSize:     cfg.storeMaxSize(),
		MaxPending:  cfg.maxPending,
		KeepHistory: cfg.keepHistory,
	})
}

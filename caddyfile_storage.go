package pluv

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// unmarshalStorage parses the document subdirectives of pluv: `keep_history` and
// `storage_root <name> <array|map|text|xml>` (repeatable, one per root).
func (h *Handler) unmarshalStorage(d *caddyfile.Dispenser, sub string) error {
	if sub == "keep_history" {
		if d.NextArg() {
			return d.ArgErr()
		}
		h.KeepHistory = true
		return nil
	}
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.ArgErr()
	}
	root, kind := args[0], args[1]
	if _, err := parseRootKind(kind); err != nil {
		return d.Errf("storage_root %q: %v", root, err)
	}
	if _, dup := h.StorageRoots[root]; dup {
		return d.Errf("storage_root %q given twice", root)
	}
	if h.StorageRoots == nil {
		h.StorageRoots = map[string]string{}
	}
	h.StorageRoots[root] = kind
	return nil
}

package pluv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
)

// servers holds the room registries, keyed by canonical storage directory (or
// "pluv:<name>" without one), so rooms and their sockets outlive config reloads and two
// registries never write the same directory.
var servers = caddy.NewUsagePool()

// errSharedConfig is returned by Provision when two handlers of one config share a room
// registry but not their config.
var errSharedConfig = errors.New("pluv handlers share rooms but their configs differ")

// installs records, for each config load and registry, the settings the load handed to
// the registry and the ones they replaced: the handlers of a load Caddy rejects put the
// old settings back when they are cleaned up, and two handlers of one load cannot hand
// one registry two configs.
var (
	installsMu sync.Mutex
	installs   = map[installKey]*install{} // guarded by installsMu
)

// installKey names one config load's use of one registry.
type installKey struct {
	pool string          // the registry's key in servers
	load <-chan struct{} // the Done channel of the load's caddy.Context
}

// install is what the handlers of one config load put into one registry.
type install struct {
	key      installKey
	srv      *Server
	config   []byte    // the registry-wide part of the handlers' config, as JSON
	settings *settings // compiled from config
	prev     *settings // the settings it replaced; nil when this load created srv
	handlers int       // handlers of this load holding it; guarded by installsMu
}

// loadOf returns what tells ctx's config load apart from others: the Done channel of
// its context, which Caddy shares between all modules of one load and closes before it
// cleans them up.
func loadOf(ctx caddy.Context) <-chan struct{} {
	if ctx.Context != nil {
		if done := ctx.Done(); done != nil {
			return done
		}
	}
	return make(chan struct{}) // a context that cannot end is a load of its own
}

// acquire takes a reference to the registry of pool (creating it on dir with s if
// there is none) for a handler of ctx's load, whose registry-wide config is config.
// The first handler of a load installs s as the registry's settings; the others must
// have the same config and share that install.
func acquire(ctx caddy.Context, pool, dir string, config []byte, s *settings) (*install,
	error,
) {
	k := installKey{pool: pool, load: loadOf(ctx)}
	installsMu.Lock()
	defer installsMu.Unlock()
	in := installs[k]
	if in != nil && !bytes.Equal(in.config, config) {
		return nil, sharedConfigError(pool, in.config, config)
	}
	val, loaded, err := servers.LoadOrNew(pool, func() (caddy.Destructor, error) {
		srv, err := newServer(dir, s, nil)
		if err != nil {
			return nil, err
		}
		return pooledServer{srv}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading room registry: %w", err)
	}
	if in != nil {
		in.handlers++
		return in, nil
	}
	srv := val.(pooledServer).srv
	in = &install{key: k, srv: srv, config: config, settings: s, handlers: 1}
	if loaded {
		in.prev = srv.settings()
		srv.setSettings(s)
	}
	installs[k] = in
	return in, nil
}

// release drops a handler's reference. When the last handler of the load lets go while
// its settings are still the registry's, the settings it replaced come back: that is a
// load Caddy rejected (a load that was committed is only cleaned up after the next one
// installed its own, or when the registry goes).
func (in *install) release() error {
	installsMu.Lock()
	in.handlers--
	if in.handlers == 0 {
		if installs[in.key] == in {
			delete(installs, in.key)
		}
		if in.prev != nil && in.srv.cfg.CompareAndSwap(in.settings, in.prev) {
			in.prev.logger.Info("config not loaded: the running pluv settings stay",
				zap.String("registry", in.key.pool))
		}
	}
	installsMu.Unlock()

	// Outside installsMu: the last reference destructs the registry, which reads it.
	if _, err := servers.Delete(in.key.pool); err != nil {
		return fmt.Errorf("releasing room registry: %w", err)
	}
	return nil
}

// handlersLive reports whether a handler of a config load that is neither rejected nor
// replaced holds a registry: a registry destructed meanwhile was replaced by it.
func handlersLive() bool {
	installsMu.Lock()
	defer installsMu.Unlock()
	for k := range installs {
		select {
		case <-k.load:
		default:
			return true
		}
	}
	return false
}

// pooledServer is a Server held in servers.
type pooledServer struct{ srv *Server }

// Destruct is called by Caddy when the last handler using the server is cleaned up. Its
// sessions get 1012 (the clients come back) when Caddy exits or when another pluv
// handler is still served (the handler was replaced, e.g. its storage_dir changed),
// otherwise the final 4001. Not handled: telling a replaced handler from one removed
// among others, so a dropped handler's clients get 1012 and keep retrying its route.
func (p pooledServer) Destruct() error {
	code, reason := CloseHandlerRemoved, reasonHandlerRemoved
	switch {
	case caddy.Exiting():
		code, reason = CloseRestart, reasonRestart
	case handlersLive():
		code, reason = CloseRestart, reasonReplaced
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.srv.shutdown(ctx, code, reason)
}

// sharedConfig is the JSON of the part of c that a registry applies to all its handlers:
// all of it except room (each handler's own) and name and storage_dir (which chose the
// registry).
func (c Config) sharedConfig() ([]byte, error) {
	c.Room, c.Name, c.StorageDir = "", "", ""
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	return b, nil
}

// sharedConfigError says which registry two handlers share, which options differ (never
// their values, which may hold secrets) and how to separate them.
func sharedConfigError(pool string, a, b []byte) error {
	where, fix := "storage_dir "+pool, "give each its own storage_dir"
	if name, ok := strings.CutPrefix(pool, "pluv:"); ok {
		where = fmt.Sprintf("name %q (no storage_dir)", name)
		fix = "give each its own name or storage_dir"
	}
	return fmt.Errorf("%w: %s is used with different %s; %s, or make their configs "+
		"the same", errSharedConfig, where, strings.Join(differentKeys(a, b), ", "), fix)
}

// differentKeys lists the top-level keys whose values differ between two JSON objects.
func differentKeys(a, b []byte) []string {
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return []string{"options"}
	}
	var keys []string
	for k, va := range ma {
		if vb, ok := mb[k]; !ok || !bytes.Equal(va, vb) {
			keys = append(keys, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

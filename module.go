package pluv

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler is the http.handlers.pluv module: it serves pluv.io rooms over websockets.
// Requests that are not websocket upgrades go to the next handler.
type Handler struct {
	Config

	// srv is the pooled registry, set by Provision and kept after Cleanup: Caddy cleans
	// up a replaced config while its server may still serve requests, which then meet a
	// live registry or a closed one (1012) instead of a nil pointer.
	srv    *Server
	inst   *install // this handler's config load's use of srv; nil after Cleanup
	logger *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.pluv",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision fills in defaults, resolves the auth secret, compiles the config and
// acquires the shared registry, to which the compiled config is handed: the last config
// load wins, and Cleanup takes it back if Caddy rejects that load. Two handlers of one
// load on one registry must have the same config (they share rooms).
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.Room == "" {
		h.Room = DefaultRoom
	}
	cfg := h.Config
	cfg.Logger = h.logger
	if cfg.Auth != nil {
		auth := *cfg.Auth
		secret, err := resolveSecret(auth.Secret)
		if err != nil {
			return fmt.Errorf("auth: %w", err)
		}
		auth.Secret = secret
		cfg.Auth = &auth
	} else {
		h.logger.Warn("no auth configured: anyone who can reach this route joins any room")
	}
	dir, key, err := h.registryKey()
	if err != nil {
		return err
	}
	s, err := cfg.compile()
	if err != nil {
		return err
	}
	shared, err := h.Config.sharedConfig()
	if err != nil {
		return err
	}
	in, err := acquire(ctx, key, dir, shared, s)
	if err != nil {
		return err
	}
	h.srv, h.inst = in.srv, in
	return nil
}

// resolveSecret replaces placeholders such as {env.X} in a secret; empty is an error.
func resolveSecret(secret string) (string, error) {
	resolved := caddy.NewReplacer().ReplaceKnown(secret, "")
	if resolved == "" {
		return "", errors.New("secret is empty (is its environment variable set?)")
	}
	return resolved, nil
}

// registryKey returns the canonical storage directory (created if missing) and the pool
// key of the registry.
func (h *Handler) registryKey() (dir, key string, err error) {
	if h.StorageDir == "" {
		h.logger.Warn("no storage_dir: room state is kept in memory and lost when a room " +
			"empties")
		return "", "pluv:" + h.Name, nil
	}
	dir, err = filepath.Abs(h.StorageDir)
	if err != nil {
		return "", "", fmt.Errorf("resolving storage_dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("creating storage_dir: %w", err)
	}
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return "", "", fmt.Errorf("resolving storage_dir: %w", err)
	}
	return dir, dir, nil
}

// Validate checks the config without side effects.
func (h *Handler) Validate() error {
	if h.Auth != nil && h.Auth.Secret == "" {
		return errors.New("auth: secret is required")
	}
	for _, ev := range h.Events {
		if !validEventName(ev.Name) {
			return fmt.Errorf("invalid event name %q", ev.Name)
		}
	}
	return nil
}

// Cleanup releases the registry reference Provision took, putting back the settings its
// config load replaced if that load's are still the registry's (Caddy rejected it); the
// registry closes its sockets when the last reference goes.
func (h *Handler) Cleanup() error {
	if h.inst == nil {
		return nil
	}
	in := h.inst
	h.inst = nil
	return in.release()
}

// ServeHTTP upgrades websocket requests and hands the socket to the registry; other
// requests go to next.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if !websocket.IsWebSocketUpgrade(r) {
		return next.ServeHTTP(w, r)
	}
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	roomID := ""
	if repl != nil {
		roomID = repl.ReplaceAll(h.Room, "")
	}
	if err := h.srv.Handle(w, r, roomID); err != nil {
		// The upgrader has already answered the request with an HTTP error.
		if ce := h.logger.Check(zap.DebugLevel, "websocket upgrade failed"); ce != nil {
			ce.Write(zap.Error(err))
		}
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)

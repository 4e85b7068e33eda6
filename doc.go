// Package pluv is a Caddy v2 plugin that speaks the pluv.io wire protocol, so the browser
// client @pluv/client talks to Caddy directly: rooms, presence, Yjs storage, custom events
// and authorisation with pluv-compatible tokens.
//
// # Caddy
//
// The module http.handlers.pluv (Caddyfile directive pluv) upgrades websocket requests and
// serves rooms; http.handlers.pluv_token (directive pluv_token) mints tokens for the
// client's auth endpoint. Rooms and their sockets live in a [Server] that outlives config
// reloads.
//
// # Go
//
// [NewServer] builds the same [Server] for plain net/http programs; [CreateToken] mints
// tokens it accepts.
package pluv

package pluv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(TokenHandler{})
}

// TokenHandler is the http.handlers.pluv_token module: the auth endpoint of the pluv
// client (PROTOCOL.md §1.2). It answers every request it gets with 200 and the bare
// token as text/plain, 401 when the user id is empty or blank, or 400 and the reason for a bad room
// id.
type TokenHandler struct {
	// Secret signs (or encrypts) the tokens; it must equal the pluv handler's auth
	// secret. Placeholders such as {env.PLUV_SECRET} are resolved at Provision.
	Secret string `json:"secret,omitempty"`
	// UserID is the placeholder giving the user id. Default {http.auth.user.id} (set by
	// basic_auth, forward_auth and similar). An empty value answers 401.
	UserID string `json:"user_id,omitempty"`
	// User are further user fields, each set from a placeholder, in order.
	User []TokenField `json:"user,omitempty"`
	// Room is the placeholder giving the room id. Default {http.request.uri.query.room}.
	Room string `json:"room,omitempty"`
	// MaxRoomIDLength caps the room id, in bytes, like the pluv handler's option of the
	// same name (set both alike). Default 100.
	MaxRoomIDLength int `json:"max_room_id_length,omitempty"`
	// MaxAge is the token lifetime. Default 60000s, like pluv.
	MaxAge caddy.Duration `json:"max_age,omitempty"`
	// Format is jwt (HS256, the default) or jwe (pluv's own format).
	Format string `json:"format,omitempty"`

	secret string
	logger *zap.Logger
}

// TokenField is one user field of a minted token.
type TokenField struct {
	// Name is the key in the token's user object.
	Name string `json:"name"`
	// Value is a placeholder (or literal) giving the string value.
	Value string `json:"value"`
}

// CaddyModule returns the Caddy module information.
func (TokenHandler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.pluv_token",
		New: func() caddy.Module { return new(TokenHandler) },
	}
}

// Provision resolves the secret and fills in defaults.
func (th *TokenHandler) Provision(ctx caddy.Context) error {
	th.logger = ctx.Logger()
	secret, err := resolveSecret(th.Secret)
	if err != nil {
		return err
	}
	th.secret = secret
	if th.UserID == "" {
		th.UserID = "{http.auth.user.id}"
	}
	if th.Room == "" {
		th.Room = DefaultRoom
	}
	if th.MaxRoomIDLength == 0 {
		th.MaxRoomIDLength = DefaultMaxRoomIDLength
	}
	return nil
}

// Validate checks the config without side effects.
func (th *TokenHandler) Validate() error {
	if th.Secret == "" {
		return errors.New("secret is required")
	}
	if th.MaxRoomIDLength < 0 {
		return errors.New("max_room_id_length is negative")
	}
	if th.Format != "" && th.Format != FormatJWT && th.Format != FormatJWE {
		return fmt.Errorf("unknown format %q", th.Format)
	}
	seen := map[string]bool{"id": true}
	for _, f := range th.User {
		if seen[f.Name] || f.Name == "" {
			return fmt.Errorf("user field %q empty or repeated", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// ServeHTTP mints a token for the request's user and room.
func (th *TokenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request,
	_ caddyhttp.Handler,
) error {
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if repl == nil {
		repl = caddy.NewReplacer()
	}
	id := repl.ReplaceAll(th.UserID, "")
	if strings.TrimSpace(id) == "" {
		return caddyhttp.Error(http.StatusUnauthorized, errors.New("no user id"))
	}
	room := repl.ReplaceAll(th.Room, "")
	if !validRoomID(room, th.maxRoomIDLength()) {
		if ce := th.logger.Check(zap.DebugLevel, "invalid room id"); ce != nil {
			ce.Write(zap.String("room", shortName(room)), zap.Int("bytes", len(room)))
		}
		// The body says why; the id itself is not echoed.
		msg := fmt.Sprintf("invalid room id: want 1 to %d %s\n", th.maxRoomIDLength(),
			roomIDRule)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		_, err := w.Write([]byte(msg))
		return err
	}
	user := bytes.NewBufferString(`{"id":`)
	writeJSONString(user, id)
	for _, f := range th.User {
		user.WriteByte(',')
		writeJSONString(user, f.Name)
		user.WriteByte(':')
		writeJSONString(user, repl.ReplaceAll(f.Value, ""))
	}
	user.WriteByte('}')
	tok, err := CreateToken(th.secret, TokenOptions{
		Room: room, User: json.RawMessage(user.Bytes()), MaxAge: time.Duration(th.MaxAge),
		Format: th.Format,
	})
	if err != nil {
		return caddyhttp.Error(http.StatusBadRequest, err)
	}
	if ce := th.logger.Check(zap.DebugLevel, "token minted"); ce != nil {
		ce.Write(zap.String("room", room), zap.String("user", id))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write([]byte(tok))
	return err
}

// maxRoomIDLength is the room id cap in force (the default before Provision).
func (th *TokenHandler) maxRoomIDLength() int {
	return orDefault(th.MaxRoomIDLength, DefaultMaxRoomIDLength)
}

// UnmarshalCaddyfile sets up the token handler. Syntax:
//
//	pluv_token [<matcher>] {
//	    secret  <value>
//	    user_id <placeholder>
//	    user    <field> <placeholder>   # repeatable
//	    room    <placeholder>
//	    max_room_id_length <bytes>
//	    max_age <duration>
//	    format  jwt|jwe
//	}
func (th *TokenHandler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		if sub != "user" && seen[sub] {
			return d.Errf("duplicate subdirective %q", sub)
		}
		seen[sub] = true
		var err error
		switch sub {
		case "secret":
			err = oneArg(d, &th.Secret)
		case "user_id":
			err = oneArg(d, &th.UserID)
		case "room":
			err = oneArg(d, &th.Room)
		case "max_room_id_length":
			err = intArg(d, &th.MaxRoomIDLength)
		case "max_age":
			err = durationArg(d, &th.MaxAge)
		case "format":
			if err = oneArg(d, &th.Format); err == nil &&
				th.Format != FormatJWT && th.Format != FormatJWE {
				return d.Errf("format: want jwt or jwe, got %q", th.Format)
			}
		case "user":
			var f TokenField
			if !d.NextArg() {
				return d.ArgErr()
			}
			f.Name = d.Val()
			if !d.NextArg() {
				return d.ArgErr()
			}
			if f.Value = d.Val(); d.NextArg() {
				return d.ArgErr()
			}
			for _, prev := range th.User {
				if prev.Name == f.Name {
					return d.Errf("user field %q repeated", f.Name)
				}
			}
			if f.Name == "id" {
				return d.Err("user field id is set by user_id")
			}
			th.User = append(th.User, f)
		default:
			return d.Errf("unknown subdirective %q", sub)
		}
		if err != nil {
			return err
		}
	}
	if th.Secret == "" {
		return d.Err("pluv_token: secret is required")
	}
	return nil
}

// parseTokenCaddyfile builds a [TokenHandler] from the pluv_token directive.
func parseTokenCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var th TokenHandler
	err := th.UnmarshalCaddyfile(h.Dispenser)
	return &th, err
}

// writeJSONString appends s as a JSON string.
func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := marshalCompact(s)
	buf.Write(b)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*TokenHandler)(nil)
	_ caddy.Validator             = (*TokenHandler)(nil)
	_ caddyhttp.MiddlewareHandler = (*TokenHandler)(nil)
	_ caddyfile.Unmarshaler       = (*TokenHandler)(nil)
	_ caddyfile.Unmarshaler       = (*Handler)(nil)
)

package pluv

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("pluv", parseCaddyfile)
	httpcaddyfile.RegisterHandlerDirective("pluv_token", parseTokenCaddyfile)
	// Both go after the auth, header and encode handlers and before handle, route and
	// the responding handlers, so neither needs an `order` line or a `route` block.
	httpcaddyfile.RegisterDirectiveOrder("pluv", httpcaddyfile.Before, "invoke")
	httpcaddyfile.RegisterDirectiveOrder("pluv_token", httpcaddyfile.Before, "invoke")
}

// parseCaddyfile builds a [Handler] from the pluv directive.
func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var handler Handler
	err := handler.UnmarshalCaddyfile(h.Dispenser)
	return &handler, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	pluv [<matcher>] {
//	    name               <name>
//	    room               <placeholder>
//	    max_room_id_length <bytes>
//	    storage_dir        <path>
//	    flush_interval     <duration>
//	    max_presence_size  <bytes>|off
//	    max_storage_size   <base64 characters>
//	    max_pending        <bytes>
//	    ping_timeout       <duration>
//	    send_queue         <frames>
//	    write_timeout      <duration>
//	    strict_events
//	    keep_history
//	    storage_root <name> array|map|text|xml
//
//	    # transport limits
//	    send_queue_bytes      <bytes>
//	    max_bytes_in_flight   <bytes>
//	    max_sessions_per_room <n>
//	    allowed_origins       <origin pattern>...
//	    rate_limit            <per second> <burst>|off
//
//	    auth {
//	        secret      <value>
//	        required    true|false
//	        user        { <fields> }
//	        user_schema <file>
//	        max_age     <duration>
//	    }
//	    event <NAME> {
//	        input        { <fields> }
//	        input_schema <file>
//	        broadcast|self|sync <OUTPUT> [{
//	            <key> input|input.<path>|user|user.<path>|room|session|time
//	        }]
//	    }
//	}
//
// A field is `<name> <type> [<item type>] [min|max|min_length|max_length|min_items|
// max_items <n>]... [optional]`, with a block of fields for type object (or an array of
// objects). On an array, min_items and max_items bound the array and the other bounds
// its items. storage_root and event repeat; the other subdirectives appear at most once.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		if sub != "event" && sub != "storage_root" {
			if seen[sub] {
				return d.Errf("duplicate subdirective %q", sub)
			}
			seen[sub] = true
		}
		if err := h.unmarshalOption(d, sub); err != nil {
			return err
		}
	}
	return nil
}

// unmarshalOption parses one subdirective of pluv.
func (h *Handler) unmarshalOption(d *caddyfile.Dispenser, sub string) error {
	var err error
	switch sub {
	case "name":
		err = oneArg(d, &h.Name)
	case "room":
		err = oneArg(d, &h.Room)
	case "storage_dir":
		err = oneArg(d, &h.StorageDir)
	case "max_room_id_length":
		err = intArg(d, &h.MaxRoomIDLength)
	case "max_presence_size":
		if d.CountRemainingArgs() == 1 {
			d.NextArg()
			if d.Val() == "off" {
				h.MaxPresenceSize = -1
				return nil
			}
			d.Prev()
		}
		err = intArg(d, &h.MaxPresenceSize)
	case "max_storage_size":
		err = intArg(d, &h.MaxStorageSize)
	case "max_pending":
		err = intArg(d, &h.MaxPending)
	case "send_queue":
		err = intArg(d, &h.SendQueue)
	case "ping_timeout":
		err = durationArg(d, &h.PingTimeout)
	case "write_timeout":
		err = durationArg(d, &h.WriteTimeout)
	case "flush_interval":
		if d.CountRemainingArgs() == 1 && d.NextArg() {
			if d.Val() == "off" {
				return d.Err("flush_interval cannot be off: unsaved edits would be lost " +
					"in a crash")
			}
			d.Prev()
		}
		err = durationArg(d, &h.FlushInterval)
	case "strict_events":
		if d.NextArg() {
			return d.ArgErr()
		}
		h.StrictEvents = true
	case "keep_history", "storage_root":
		err = h.unmarshalStorage(d, sub)
	case "send_queue_bytes", "max_bytes_in_flight", "max_sessions_per_room",
		"allowed_origins", "rate_limit":
		err = h.unmarshalTransport(d, sub)
	case "auth":
		h.Auth = new(AuthConfig)
		err = unmarshalAuth(d, h.Auth)
	case "event":
		var ev EventConfig
		if ev, err = unmarshalEvent(d, h.Events); err == nil {
			h.Events = append(h.Events, ev)
		}
	default:
		return d.Errf("unknown subdirective %q", sub)
	}
	return err
}

// oneArg reads exactly one argument into dst.
func oneArg(d *caddyfile.Dispenser, dst *string) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// intArg reads one non-negative integer argument.
func intArg(d *caddyfile.Dispenser, dst *int) error {
	var s string
	if err := oneArg(d, &s); err != nil {
		return err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return d.Errf("not a non-negative integer: %q", s)
	}
	*dst = n
	return nil
}

// durationArg reads one duration argument.
func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	var s string
	if err := oneArg(d, &s); err != nil {
		return err
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil || dur <= 0 {
		return d.Errf("not a positive duration: %q", s)
	}
	*dst = caddy.Duration(dur)
	return nil
}

// unmarshalAuth parses the auth block.
func unmarshalAuth(d *caddyfile.Dispenser, a *AuthConfig) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		if seen[sub] {
			return d.Errf("duplicate auth subdirective %q", sub)
		}
		seen[sub] = true
		var err error
		switch sub {
		case "secret":
			err = oneArg(d, &a.Secret)
		case "required":
			var s string
			if err = oneArg(d, &s); err == nil {
				b, perr := strconv.ParseBool(s)
				if perr != nil || (s != "true" && s != "false") {
					return d.Errf("required: want true or false, got %q", s)
				}
				a.Required = &b
			}
		case "user":
			if d.NextArg() {
				return d.ArgErr()
			}
			a.User, err = unmarshalFields(d)
		case "user_schema":
			err = oneArg(d, &a.UserSchema)
		case "max_age":
			err = durationArg(d, &a.MaxAge)
		default:
			return d.Errf("unknown auth subdirective %q", sub)
		}
		if err != nil {
			return err
		}
	}
	if a.Secret == "" {
		return d.Err("auth: secret is required")
	}
	if len(a.User) > 0 && a.UserSchema != "" {
		return d.Err("auth: use either user or user_schema")
	}
	return nil
}

package pluv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
)

// Message names of the pluv protocol (PROTOCOL.md §4).
const (
	msgInitializeSession = "$initializeSession"
	msgGetOthers         = "$getOthers"
	msgUpdateStorage     = "$updateStorage"
	msgUpdatePresence    = "$updatePresence"
	msgPing              = "$ping"

	msgRegistered        = "$registered"
	msgStorageReceived   = "$storageReceived"
	msgStorageUpdated    = "$storageUpdated"
	msgUserJoined        = "$userJoined"
	msgOthersReceived    = "$othersReceived"
	msgPresenceUpdated   = "$presenceUpdated"
	msgExit              = "$exit"
	msgPong              = "$pong"
	msgSyncStateReceived = "$syncStateReceived"
	msgError             = "$error"
)

// Close codes the server sends (PROTOCOL.md §1.5, §15.8). The client reconnects at once
// after 1011, 1012 and 1013 and stays away after the others.
const (
	// CloseUnauthorized refuses a socket for good: bad token or bad room id.
	CloseUnauthorized = 3000
	// CloseEvicted is sent to a session removed by [Room.Evict] or [Room.EvictAll].
	CloseEvicted = 4000
	// CloseHandlerRemoved is sent when a config without any pluv handler replaces the one
	// that served the room.
	CloseHandlerRemoved = 4001
	// CloseStale is sent to a session that stopped pinging (the client reconnects).
	CloseStale = 1011
	// CloseRestart is sent on server shutdown, and when a config whose pluv handlers use
	// another registry (e.g. another storage_dir) replaces the room's (the client
	// reconnects).
	CloseRestart = 1012
	// CloseSlow is sent to a session whose send queue overflowed, that waited too long
	// for max_bytes_in_flight, or that sent a storage update over its rate limit (the
	// client reconnects).
	CloseSlow = 1013
	// CloseRoomFull refuses a session past max_sessions_per_room (final).
	CloseRoomFull = 4002
	// CloseOriginNotAllowed refuses a browser whose Origin is not in allowed_origins
	// (final).
	CloseOriginNotAllowed = 4003
	// CloseFlood is sent to a session that kept sending far past its rate limit (final).
	CloseFlood = 1008
	// CloseTooLarge is sent (by the websocket library) for a frame past the read limit.
	// The client does not reconnect.
	CloseTooLarge = 1009
)

// Close reasons, sent with the codes above.
const (
	reasonUnauthorized   = "WebSocket unauthorized."
	reasonEvicted        = "Evicted."
	reasonHandlerRemoved = "Handler removed."
	reasonStale          = "WebSocket broken."
	reasonRestart        = "Server restarting."
	reasonReplaced       = "Handler replaced."
	reasonSlow           = "Too slow."
	reasonBusy           = "Server busy."
	reasonRoomFull       = "Room full."
	reasonOrigin         = "Origin not allowed."
	reasonFlood          = "Rate limit exceeded."
	reasonRateResync     = "Rate limit exceeded; reconnect."
	reasonBudgetResync   = "Server busy; reconnect."
)

// maxNumberLength caps a number literal in client JSON (frames and token claims).
const maxNumberLength = 100

// maxNameLength caps relayed and configured event names.
const maxNameLength = 128

// nameRE is the rule for event and output names: identifier-like, never `$`.
var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validEventName reports whether name may be relayed, defined or emitted.
func validEventName(name string) bool {
	return len(name) <= maxNameLength && nameRE.MatchString(name)
}

// roomIDRE is the room id rule of PROTOCOL.md §9.1, ASCII only: the rule's
// case-insensitive flag is spelt out, since Go's (?i) also lets the Kelvin sign (U+212A)
// match k and the long s (U+017F) match s.
var roomIDRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$`)

// roomIDRule says what a valid room id is, for refusals.
const roomIDRule = "letters, digits, '-' and '_', starting and ending with a letter or digit"

// validRoomID reports whether id is a room id no longer than maxLen bytes.
func validRoomID(id string, maxLen int) bool {
	return len(id) <= maxLen && roomIDRE.MatchString(id)
}

// clientFrame is one decoded client message.
type clientFrame struct {
	Type string
	Data json.RawMessage
}

// errBadFrame is wrapped by every frame decoding error.
var errBadFrame = errors.New("malformed frame")

// emptyObject is the data of a frame that carries none.
var emptyObject = json.RawMessage(`{}`)

// decodeFrame parses a client text frame: a JSON object whose `type` is a string and whose
// `data` is an object, an array or null; a missing `data` becomes `{}` (§1.4). Other keys
// are ignored, so nothing a client adds can reach an envelope. A frame past the limits of
// [checkJSONLimits] is refused with its type set.
func decodeFrame(b []byte) (clientFrame, error) {
	var f clientFrame
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return f, fmt.Errorf("%w: not a JSON object", errBadFrame)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return f, fmt.Errorf("%w: %w", errBadFrame, err)
	}
	rawType, ok := fields["type"]
	if !ok {
		return f, fmt.Errorf("%w: no type", errBadFrame)
	}
	if len(rawType) == 0 || rawType[0] != '"' {
		return f, fmt.Errorf("%w: type is not a string", errBadFrame)
	}
	if err := json.Unmarshal(rawType, &f.Type); err != nil {
		return f, fmt.Errorf("%w: %w", errBadFrame, err)
	}
	if err := checkJSONLimits(b); err != nil {
		return f, err
	}
	data, ok := fields["data"]
	if !ok {
		f.Data = emptyObject
		return f, nil
	}
	switch {
	case data[0] == '{', data[0] == '[', string(data) == "null":
		f.Data = data
	default:
		return f, fmt.Errorf("%w: data is not an object, array or null", errBadFrame)
	}
	return f, nil
}

// decodeData decodes a built-in message's data into v. A field of the wrong kind is
// told in the client's terms (`data.update must be a string, not number`), never with
// Go's type names.
func decodeData(data json.RawMessage, v any) error {
	err := json.Unmarshal(data, v)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	where := "data"
	if te.Field != "" {
		where += "." + te.Field
	}
	return fmt.Errorf("%s must be %s, not %s", where, jsonKind(te.Type), te.Value)
}

// jsonKind names the JSON value that decodes into t.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "a number"
	}
}

// encodeFrame builds one server frame (§2.2) from trusted fields only, as the JSON
// object {type, data, connectionId, room, user}. data is marshalled unless it is already
// a json.RawMessage; raw parts are compacted, as encoding/json would; an empty connID
// or a nil user is sent as null. The envelope is written by hand: marshalling it by
// reflection cost more than the fan-out it feeds.
func encodeFrame(typ string, data any, connID, room string, user json.RawMessage) []byte {
	raw, ok := data.(json.RawMessage)
	if !ok {
		var err error
		raw, err = marshalCompact(data)
		if err != nil {
			// Only values the server built itself reach here, so this is a programming error.
			panic(fmt.Sprintf("pluv: encoding %s data: %v", typ, err))
		}
	}
	b := make([]byte, 0, len(typ)+len(raw)+len(connID)+len(room)+len(user)+64)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"data":`...)
	b = appendRawJSON(b, raw, typ)
	b = append(b, `,"connectionId":`...)
	if connID == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, connID)
	}
	b = append(b, `,"room":`...)
	b = appendJSONString(b, room)
	b = append(b, `,"user":`...)
	b = appendRawJSON(b, user, typ)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, escaped as marshalCompact would.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := marshalCompact(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendRawJSON appends raw compacted, or null when it is empty.
func appendRawJSON(b []byte, raw json.RawMessage, typ string) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		panic(fmt.Sprintf("pluv: encoding %s frame: %v", typ, err))
	}
	return buf.Bytes()
}

// marshalCompact is json.Marshal without HTML escaping, so sizes match JSON.stringify.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// errorData is the payload of `$error` (§4.2); stack is always null.
type errorData struct {
	Message string  `json:"message"`
	Stack   *string `json:"stack"`
}

// tokenFromQuery returns the `token` query parameter decoded per §1.3: once with the query
// rules and, when a `%` remains, once more with path rules (so `+` stays `+`).
func tokenFromQuery(rawQuery string) string {
	q, _ := url.ParseQuery(rawQuery)
	tok := q.Get("token")
	if strings.Contains(tok, "%") {
		if again, err := url.PathUnescape(tok); err == nil {
			tok = again
		}
	}
	return strings.TrimSpace(tok)
}

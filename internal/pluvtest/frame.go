package pluvtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// Names of the built-in messages of the protocol (PROTOCOL.md §4).
const (
	TypeRegistered        = "$registered"
	TypeStorageReceived   = "$storageReceived"
	TypeStorageUpdated    = "$storageUpdated"
	TypeUserJoined        = "$userJoined"
	TypeOthersReceived    = "$othersReceived"
	TypePresenceUpdated   = "$presenceUpdated"
	TypeExit              = "$exit"
	TypePong              = "$pong"
	TypeSyncStateReceived = "$syncStateReceived"
	TypeError             = "$error"

	TypeInitializeSession = "$initializeSession"
	TypeGetOthers         = "$getOthers"
	TypeUpdateStorage     = "$updateStorage"
	TypeUpdatePresence    = "$updatePresence"
	TypePing              = "$ping"
)

// needsConnectionID lists the built-ins the real client drops when `connectionId` is missing
// or empty (PROTOCOL.md §11).
var needsConnectionID = map[string]bool{
	TypeRegistered:        true,
	TypeStorageReceived:   true,
	TypeStorageUpdated:    true,
	TypeUserJoined:        true,
	TypeOthersReceived:    true,
	TypePresenceUpdated:   true,
	TypeExit:              true,
	TypeSyncStateReceived: true,
}

// Frame is one server frame that the real client would accept.
type Frame struct {
	// Type is the message name.
	Type string
	// Data is the raw JSON of `data`: an object, an array or null.
	Data json.RawMessage
	// ConnectionID is the envelope's `connectionId`, "" when absent or null.
	ConnectionID string
	// Room is the envelope's `room`, "" when absent or null.
	Room string
	// User is the raw JSON of the envelope's `user`, nil when absent.
	User json.RawMessage
	// Raw is the whole frame as received.
	Raw []byte
	// At is when the frame was read.
	At time.Time
	// Seq is the frame's position among all frames of its client, from 0.
	Seq int
}

// Decode unmarshals the frame's data into v.
func (f Frame) Decode(v any) error {
	if err := json.Unmarshal(f.Data, v); err != nil {
		return fmt.Errorf("decoding %s data: %w", f.Type, err)
	}

	return nil
}

// UserID returns the `id` of the envelope's user, "" when there is none.
func (f Frame) UserID() string {
	return userID(f.User)
}

// String renders the frame for failure messages, shortened to a readable length.
func (f Frame) String() string {
	const limit = 300
	if len(f.Raw) > limit {
		return fmt.Sprintf("%s…(%d bytes)", f.Raw[:limit], len(f.Raw))
	}

	return string(f.Raw)
}

var (
	errBinaryFrame = errors.New("binary frame (the client ignores it)")
	errNotObject   = errors.New("frame is not a JSON object")
)

// parseFrame applies the real client's acceptance rule (PROTOCOL.md §1.4) and the envelope
// rules of §2.2: a text frame holding a JSON object, a string `type`, a `data` that is an
// object, array or null, a `connectionId` that is a string or null, a `user` that is an
// object or null.
func parseFrame(kind int, raw []byte) (Frame, error) {
	if kind != websocket.TextMessage {
		return Frame{}, errBinaryFrame
	}

	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil || env == nil {
		return Frame{}, errNotObject
	}

	f := Frame{Raw: raw}
	if err := json.Unmarshal(env["type"], &f.Type); err != nil || jsonKind(env["type"]) != '"' {
		return Frame{}, fmt.Errorf("`type` is not a string: %s", short(env["type"]))
	}

	data, ok := env["data"]
	if !ok {
		return Frame{}, fmt.Errorf("%s: `data` is missing", f.Type)
	}

	switch jsonKind(data) {
	case '{', '[', 'n':
		f.Data = data
	default:
		return Frame{}, fmt.Errorf("%s: `data` is not an object, array or null: %s",
			f.Type, short(data))
	}

	if err := optString(env, "connectionId", &f.ConnectionID); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", f.Type, err)
	}

	if err := optString(env, "room", &f.Room); err != nil {
		return Frame{}, fmt.Errorf("%s: %w", f.Type, err)
	}

	if u, ok := env["user"]; ok {
		if k := jsonKind(u); k != '{' && k != 'n' {
			return Frame{}, fmt.Errorf("%s: `user` is not an object or null: %s", f.Type, short(u))
		}

		f.User = u
	}

	if needsConnectionID[f.Type] && f.ConnectionID == "" {
		return Frame{}, fmt.Errorf("%s without a connectionId (the client drops it)", f.Type)
	}

	return f, nil
}

// optString reads an optional string-or-null field of env into dst.
func optString(env map[string]json.RawMessage, key string, dst *string) error {
	v, ok := env[key]
	if !ok {
		return nil
	}

	switch jsonKind(v) {
	case 'n':
		return nil
	case '"':
		return json.Unmarshal(v, dst)
	default:
		return fmt.Errorf("`%s` is not a string or null: %s", key, short(v))
	}
}

// jsonKind classifies a raw JSON value by its first byte: '{', '[', '"', 'n' (null), 't' or
// 'f' (booleans), '0' (numbers), or 0 when empty.
func jsonKind(v json.RawMessage) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}

	switch c := v[0]; c {
	case '{', '[', '"', 'n', 't', 'f':
		return c
	default:
		return '0'
	}
}

// short renders a raw JSON value for messages, cut to a readable length.
func short(v json.RawMessage) string {
	const limit = 80
	if v == nil {
		return "(absent)"
	}

	if len(v) > limit {
		return string(v[:limit]) + "…"
	}

	return string(v)
}

// userID extracts the string `id` of a raw user object, "" when there is none.
func userID(raw json.RawMessage) string {
	var u struct {
		ID json.RawMessage `json:"id"`
	}
	if jsonKind(raw) != '{' || json.Unmarshal(raw, &u) != nil {
		return ""
	}

	var s string
	if jsonKind(u.ID) == '"' && json.Unmarshal(u.ID, &s) == nil {
		return s
	}

	if jsonKind(u.ID) == '0' {
		return string(u.ID)
	}

	return ""
}

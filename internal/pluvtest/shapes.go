package pluvtest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// knownServerTypes lists the `$` names a server may send (PROTOCOL.md §4.2).
var knownServerTypes = map[string]bool{
	TypeRegistered:        true,
	TypeStorageReceived:   true,
	TypeStorageUpdated:    true,
	TypeUserJoined:        true,
	TypeOthersReceived:    true,
	TypePresenceUpdated:   true,
	TypeExit:              true,
	TypePong:              true,
	TypeSyncStateReceived: true,
	TypeError:             true,
}

// Timers is the `timers` object of presence-carrying frames.
type Timers struct {
	// Presence is epoch milliseconds or nil for null.
	Presence *float64 `json:"presence"`
}

// Registered is the data of `$registered`.
type Registered struct {
	Presence  map[string]any `json:"presence"`
	SessionID string         `json:"sessionId"`
	State     *string        `json:"state"`
	Timers    Timers         `json:"timers"`
}

// StorageReceived is the data of `$storageReceived`.
type StorageReceived struct {
	ChangeKind string `json:"changeKind"`
	State      string `json:"state"`
}

// StorageUpdated is the data of `$storageUpdated`.
type StorageUpdated struct {
	State string `json:"state"`
}

// UserJoined is the data of `$userJoined`.
type UserJoined struct {
	ConnectionID string          `json:"connectionId"`
	User         json.RawMessage `json:"user"`
	Presence     map[string]any  `json:"presence"`
	Timers       Timers          `json:"timers"`
}

// OtherEntry is one value of `$othersReceived.others`.
type OtherEntry struct {
	ConnectionID string          `json:"connectionId"`
	Presence     map[string]any  `json:"presence"`
	Room         string          `json:"room"`
	Timers       Timers          `json:"timers"`
	User         json.RawMessage `json:"user"`
}

// OthersReceived is the data of `$othersReceived`.
type OthersReceived struct {
	Others map[string]OtherEntry `json:"others"`
}

// PresenceUpdated is the data of `$presenceUpdated`.
type PresenceUpdated struct {
	Presence map[string]any `json:"presence"`
	Timers   Timers         `json:"timers"`
}

// Exit is the data of `$exit`.
type Exit struct {
	SessionID string `json:"sessionId"`
}

// SyncStateReceived is the data of `$syncStateReceived`.
type SyncStateReceived struct {
	ConnectionIDs []string `json:"connectionIds"`
}

// ErrorData is the data of `$error`.
type ErrorData struct {
	Message string  `json:"message"`
	Stack   *string `json:"stack"`
}

// fields is a decoded JSON object whose values are kept raw.
type fields map[string]json.RawMessage

// object decodes raw as a JSON object, failing on anything else.
func object(raw json.RawMessage, what string) (fields, error) {
	if jsonKind(raw) != '{' {
		return nil, fmt.Errorf("%s is not an object: %s", what, short(raw))
	}

	var m fields
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}

	return m, nil
}

// want checks that field key of m has one of the JSON kinds listed (see jsonKind; 0 allows
// the field to be absent).
func (m fields) want(key string, kinds ...byte) error {
	v, ok := m[key]
	k := jsonKind(v)
	if !ok {
		k = 0
	}

	for _, w := range kinds {
		if w == k {
			return nil
		}
	}

	return fmt.Errorf("`%s` has the wrong type: %s", key, short(v))
}

// str returns the string field key of m ("" when absent or not a string).
func (m fields) str(key string) string {
	var s string
	if jsonKind(m[key]) == '"' {
		_ = json.Unmarshal(m[key], &s)
	}

	return s
}

// checkTimers requires m.timers to be an object whose values are numbers or null (§11).
func checkTimers(m fields) error {
	t, err := object(m["timers"], "`timers`")
	if err != nil {
		return err
	}

	for k, v := range t {
		if kk := jsonKind(v); kk != '0' && kk != 'n' {
			return fmt.Errorf("`timers.%s` is not a number or null: %s", k, short(v))
		}
	}

	return nil
}

// checkShape checks the data of a built-in frame against what the real client reads from it
// (PROTOCOL.md §4.2 and §11). Custom frames pass. States are checked by checkState.
func checkShape(f Frame, checkState func(string) error) error {
	if f.Type == TypePong || !strings.HasPrefix(f.Type, "$") {
		return nil
	}

	if !knownServerTypes[f.Type] {
		return fmt.Errorf("%q is not a message a server sends", f.Type)
	}

	m, err := object(f.Data, "`data`")
	if err != nil {
		return err
	}

	switch f.Type {
	case TypeRegistered:
		return checkRegistered(f, m, checkState)
	case TypeStorageReceived:
		return checkStorageReceived(m, checkState)
	case TypeStorageUpdated:
		if err := m.want("state", '"'); err != nil {
			return err
		}

		return checkState(m.str("state"))
	case TypeUserJoined:
		return checkUserJoined(f, m)
	case TypeOthersReceived:
		return checkOthersReceived(m)
	case TypePresenceUpdated:
		if err := m.want("presence", '{'); err != nil {
			return err
		}

		return checkTimers(m)
	case TypeExit:
		if s := m.str("sessionId"); s != f.ConnectionID {
			return fmt.Errorf("`sessionId` %q differs from connectionId %q", s, f.ConnectionID)
		}
	case TypeSyncStateReceived:
		var ids []string
		if jsonKind(m["connectionIds"]) != '[' || json.Unmarshal(m["connectionIds"], &ids) != nil {
			return fmt.Errorf("`connectionIds` is not an array of strings: %s",
				short(m["connectionIds"]))
		}
	case TypeError:
		if err := m.want("message", '"'); err != nil {
			return err
		}

		return m.want("stack", '"', 'n')
	}

	return nil
}

func checkRegistered(f Frame, m fields, checkState func(string) error) error {
	for _, c := range []struct {
		key   string
		kinds []byte
	}{
		{"presence", []byte{'{', 'n'}},
		{"sessionId", []byte{'"'}},
		{"state", []byte{'"', 'n'}},
	} {
		if err := m.want(c.key, c.kinds...); err != nil {
			return err
		}
	}

	if s := m.str("sessionId"); s != f.ConnectionID {
		return fmt.Errorf("`sessionId` %q differs from connectionId %q", s, f.ConnectionID)
	}

	if s := m.str("state"); s != "" {
		if err := checkState(s); err != nil {
			return err
		}
	}

	return checkTimers(m)
}

func checkStorageReceived(m fields, checkState func(string) error) error {
	switch k := m.str("changeKind"); k {
	case "empty", "initialized", "unchanged":
	default:
		return fmt.Errorf("`changeKind` is not empty/initialized/unchanged: %s",
			short(m["changeKind"]))
	}

	if err := m.want("state", '"'); err != nil {
		return err
	}

	return checkState(m.str("state"))
}

func checkUserJoined(f Frame, m fields) error {
	if err := m.want("user", '{', 'n'); err != nil {
		return err
	}

	if err := m.want("presence", '{', 'n', 0); err != nil {
		return err
	}

	if s := m.str("connectionId"); s != f.ConnectionID {
		return fmt.Errorf("data.connectionId %q differs from connectionId %q", s, f.ConnectionID)
	}

	return checkTimers(m)
}

func checkOthersReceived(m fields) error {
	others, err := object(m["others"], "`others`")
	if err != nil {
		return err
	}

	for id, raw := range others {
		e, err := object(raw, fmt.Sprintf("others[%q]", id))
		if err != nil {
			return err
		}

		if id == "" || e.str("connectionId") != id {
			return fmt.Errorf("others[%q].connectionId is %s", id, short(e["connectionId"]))
		}

		if err := e.want("presence", '{', 'n'); err != nil {
			return fmt.Errorf("others[%q]: %w", id, err)
		}

		if err := e.want("user", '{', 'n'); err != nil {
			return fmt.Errorf("others[%q]: %w", id, err)
		}

		if err := checkTimers(e); err != nil {
			return fmt.Errorf("others[%q]: %w", id, err)
		}
	}

	return nil
}

package pluv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// errPresenceTooLarge is returned when a merged presence exceeds the configured size.
var errPresenceTooLarge = errors.New("presence too large")

// errPresenceNotObject is returned when a presence patch is not a JSON object.
var errPresenceNotObject = errors.New("presence is not an object")

// presenceMember is one key of a presence object, value kept as compact JSON.
type presenceMember struct {
	key string
	val json.RawMessage
}

// mergePresence applies patch to cur by shallow merge (§5.1): keys of patch overwrite in
// place, new keys are appended, nested values are replaced. cur may be nil (no presence);
// a null patch changes nothing. The result is compact JSON and must not exceed maxSize
// bytes (0 disables the check).
func mergePresence(cur, patch json.RawMessage, maxSize int) (json.RawMessage, error) {
	members, err := presenceMembers(cur)
	if err != nil {
		return nil, fmt.Errorf("reading current presence: %w", err)
	}
	if !isJSONNull(patch) {
		add, err := presenceMembers(patch)
		if err != nil {
			return nil, err
		}
		members = mergeMembers(members, add)
	}
	out := encodeMembers(members)
	if maxSize > 0 && len(out) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errPresenceTooLarge, len(out), maxSize)
	}
	return out, nil
}

// mergeMembers overwrites or appends each of add into members.
func mergeMembers(members, add []presenceMember) []presenceMember {
	index := make(map[string]int, len(members))
	for i, m := range members {
		index[m.key] = i
	}
	for _, m := range add {
		if i, ok := index[m.key]; ok {
			members[i].val = m.val
			continue
		}
		index[m.key] = len(members)
		members = append(members, m)
	}
	return members
}

// isJSONNull reports whether raw is absent or the JSON null.
func isJSONNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// presenceMembers splits a JSON object into its members in document order; a repeated key
// keeps its first position and its last value, like JSON.parse. nil or null gives none.
func presenceMembers(raw json.RawMessage) ([]presenceMember, error) {
	if isJSONNull(raw) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPresenceNotObject, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errPresenceNotObject
	}
	var members []presenceMember
	index := map[string]int{} // key → position in members
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("reading presence key: %w", err)
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("reading presence value: %w", err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, val); err != nil {
			return nil, fmt.Errorf("compacting presence value: %w", err)
		}
		if i, ok := index[key]; ok {
			members[i].val = buf.Bytes()
			continue
		}
		index[key] = len(members)
		members = append(members, presenceMember{key: key, val: buf.Bytes()})
	}
	return members, nil
}

// encodeMembers writes members as one compact JSON object.
func encodeMembers(members []presenceMember) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := marshalCompact(m.key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(m.val)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

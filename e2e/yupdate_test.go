package e2e

import "encoding/base64"

// Hand-built Yjs v1 updates (the format of yjs 13.6 encodeStateAsUpdate: lib0 var-uints,
// items with a content ref in the info byte, a delete set at the end). They let the tests
// edit a root Y.Text without Node.

// yupdate accumulates the bytes of one update.
type yupdate []byte

func (u yupdate) uint(v uint64) yupdate {
	for v >= 0x80 {
		u = append(u, byte(v)|0x80)
		v >>= 7
	}

	return append(u, byte(v))
}

func (u yupdate) str(s string) yupdate {
	return append(u.uint(uint64(len(s))), s...)
}

// textInsert is an update in which client inserts s at the start of the root text root,
// starting at clock (s must be ASCII so that its length is its clock span).
func textInsert(client, clock uint64, root, s string) []byte {
	var u yupdate
	u = u.uint(1).uint(1).uint(client).uint(clock)
	u = append(u, 4)        // item with ContentString, no origins
	u = u.uint(1).str(root) // parent given by root name
	u = u.str(s).uint(0)    // content; empty delete set

	return u
}

// textAppend is an update in which client appends s right after its own character at
// (client, clock-1), starting at clock.
func textAppend(client, clock uint64, s string) []byte {
	var u yupdate
	u = u.uint(1).uint(1).uint(client).uint(clock)
	u = append(u, 0x84) // ContentString with a left origin
	u = u.uint(client).uint(clock - 1)
	u = u.str(s).uint(0)

	return u
}

// textDelete is an update that only deletes [clock, clock+n) of client.
func textDelete(client, clock, n uint64) []byte {
	var u yupdate
	u = u.uint(0)                                          // no structs
	u = u.uint(1).uint(client).uint(1).uint(clock).uint(n) // one client, one range

	return u
}

// b64 is the standard padded base64 the protocol uses for states.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// unb64 decodes standard base64, nil on error.
func unb64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil
	}

	return b
}

// textRun is an update in which client types parts one after the other, starting at clock:
// the first part at the start of root when clock is 0, else right after (client, clock-1).
func textRun(client, clock uint64, root string, parts ...string) []byte {
	var u yupdate
	u = u.uint(1).uint(uint64(len(parts))).uint(client).uint(clock)
	for _, p := range parts {
		if clock == 0 {
			u = append(u, 4)
			u = u.uint(1).str(root)
		} else {
			u = append(u, 0x84)
			u = u.uint(client).uint(clock - 1)
		}

		u = u.str(p)
		clock += uint64(len(p))
	}

	return u.uint(0)
}

// textAfter is an update in which client inserts s at clock right after the character
// (oc, ock) of any client.
func textAfter(client, clock, oc, ock uint64, s string) []byte {
	var u yupdate
	u = u.uint(1).uint(1).uint(client).uint(clock)
	u = append(u, 0x84)
	u = u.uint(oc).uint(ock)
	u = u.str(s).uint(0)

	return u
}

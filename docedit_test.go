package pluv

import (
	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// typist makes the Yjs updates of one client typing into the root text "text" as a
// Y.Text does: each character goes at the end, naming the one before it as its origin.
type typist struct {
	client uint64
	clock  uint64 // the next character's clock
	typed  []uint64
}

// key returns the update typing one character (ASCII) at the end of the text.
func (ty *typist) key(c byte) []byte {
	st := yjs.Struct{
		ID: yjs.ID{Client: ty.client, Clock: ty.clock}, Length: 1,
		Info: yjs.RefString, Content: yjs.StringContent(string(c)),
	}
	if n := len(ty.typed); n == 0 {
		st.ParentIsName, st.ParentName = true, "text"
	} else {
		st.Info |= yjs.InfoOrigin
		st.Origin = yjs.ID{Client: ty.client, Clock: ty.typed[n-1]}
	}
	ty.typed = append(ty.typed, ty.clock)
	ty.clock++
	return (&yjs.Update{Structs: []yjs.ClientStructs{{
		Client: ty.client, Clock: st.ID.Clock, Structs: []yjs.Struct{st},
	}}}).Encode()
}

// backspace returns the update deleting the last character still typed.
func (ty *typist) backspace() []byte {
	last := ty.typed[len(ty.typed)-1]
	ty.typed = ty.typed[:len(ty.typed)-1]
	return (&yjs.Update{Deletes: []yjs.ClientDeletes{{
		Client: ty.client, Ranges: []yjs.Range{{Clock: last, Len: 1}},
	}}}).Encode()
}

// mapSet is an update setting key of the root map "map" to a string, by client at
// clock (no origin: a new entry, or one that overwrites nothing the update knows of).
func mapSet(client, clock uint64, key, value string) []byte {
	st := yjs.Struct{
		ID: yjs.ID{Client: client, Clock: clock}, Length: 1,
		Info: yjs.RefAny | yjs.InfoParentSub, ParentIsName: true, ParentName: "map",
		ParentSub: key,
		Content:   yjs.AnyContent(yjs.Any{Kind: yjs.AnyString, Str: value}),
	}
	return (&yjs.Update{Structs: []yjs.ClientStructs{{
		Client: client, Clock: clock, Structs: []yjs.Struct{st},
	}}}).Encode()
}

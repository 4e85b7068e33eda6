// Package pluvtest is a Go client of the pluv.io wire protocol for tests, as strict as the
// real @pluv/client 5.0.0 browser client.
//
// A [Client] dials a room, runs the client side of the handshake (automatically, or step by
// step when a test needs to misbehave), answers nothing the real client would not answer, and
// checks every server frame against what the real client accepts or relies on: text frames
// holding a JSON object with a string `type` and an object/array/null `data`, a non-empty
// `connectionId` on the built-ins that need one, the shapes of `$registered`,
// `$storageReceived`, `$storageUpdated`, `$othersReceived` and the others, Yjs states that
// decode, no `$storageUpdated` before `$storageReceived`, and a `$pong` within two seconds of
// each `$ping`. A violation fails the test that owns the client.
//
// Frames reach the test through awaiters with deadlines ([Client.Await], [Client.Next]), so
// tests never sleep to synchronise. The client also keeps the real client's model of the
// others in the room, grouped by user id ([Client.Others]).
package pluvtest

// Package yjs keeps a Yjs document on the server: a merged store of update structs and,
// over it, the document those structs make. It needs only the standard library and
// knows nothing of pluv.
//
// # What it does
//
// [Store] merges Yjs updates in the v1 format, as clients send them:
//
//   - [Store.Apply] merges an update and returns the effective delta: one v1 update with
//     exactly the struct and delete ranges the store did not have, for relaying to the
//     other clients. Duplicates and known parts are dropped and partly known structs are
//     sliced, so a peer that had the previous [Store.Encode] and applies the delta ends
//     where a peer applying the new Encode would.
//   - Structs are integrated per client as a gap-free prefix, exactly when yjs's struct
//     store would take them: their clock is reached and the items they name in other
//     clients (origin, right origin, parent) are integrated. The rest wait as pending,
//     like yjs's pendingStructs, and are integrated as soon as what they need arrives.
//     Deletes are one coalesced union of ranges per client; deletes of structs not yet
//     known are kept, like yjs's pendingDs.
//   - Adjacent structs are merged as yjs merges them (same content kind, the second's
//     origin is the first's last unit, same right origin), so text typed one keystroke
//     at a time takes few structs.
//   - [Store.Encode] writes the whole state (pending parts included) as one update,
//     [Store.EncodeDiff] what a peer with a given state vector lacks, and
//     [Store.StateVector] the integrated state. [Store.Size] is len(Encode()) in O(1).
//   - [Store.IsEmpty] answers as a Y.Doc would: a Y.Doc creates a root type as soon as it
//     decodes an item whose parent is a named root, integrated or not.
//   - Apply costs time proportional to the update and to what it unlocks (plus, when new
//     structs land between pending ones, one pass over that client's pending structs),
//     not to the document. Every failed Apply (malformed input, [ErrTooLarge],
//     [ErrPendingFull]) leaves the store exactly as it was.
//
// Over the blocks, the store keeps the document model a Y.Doc builds (model.go): the
// shared types and their items, integrated with yjs's own algorithm (YATA ordering of
// concurrent inserts, map entries where the last writer wins, deletes, nested and XML
// types, format markers, subdocuments as opaque entries).
//
//   - [Store.ToJSON] and [Store.RootJSON] give the document as yjs's toJSON does. A v1
//     update does not say what kind of type a root is; the caller hints it per root
//     name, or it is inferred from what the root holds (see [RootInfer]).
//   - Garbage collection runs after every Apply as a Y.Doc with gc on runs it after a
//     transaction: deleted items keep only their length, the items of deleted types
//     become GC ranges, and neighbours merge. The blocks are rewritten to match, so
//     Encode writes the compacted document, which a Y.Doc reads as the same document.
//     [Options.KeepHistory] turns it off.
//   - The model costs time per struct integrated, not per document: finding a struct
//     by ID looks in chunks of 64 per client, a split moves one chunk, and a long
//     non-ASCII text keeps an index of UTF-16 offsets. Ordering concurrent inserts
//     walks past the earlier inserts at the same place, as in yjs; an Apply may spend
//     a bounded number of such steps, and past them the model is dropped (see
//     [Store.ModelErr]) while the store goes on merging.
//   - [MergeUpdates] merges updates with no model, as Y.mergeUpdates does.
//
// Under the store is a codec: [DecodeUpdate] and [Update.Encode] give back the exact bytes
// of any update yjs writes (structs and delete ranges in the order written, info flags
// kept as written), [DecodeStateVector], and lib0's var-uint, var-int, var-string and any
// encodings ([ReadVarUint], [AppendAny], ...). Decoders bound every count by the bytes
// left, refuse integers past 2^53-1 as lib0 does, refuse invalid UTF-8 and JSON, bound
// the nesting of any values, and never panic.
//
// # Where it differs from a Y.Doc
//
//   - When a range the store holds as a pending struct arrives again in another form
//     that the update lets it integrate (a GC struct from a peer that collected the
//     item, say), the new form takes over, as in yjs, which integrates an update's
//     structs before it retries its pending ones; the delta carries it and the pending
//     structs it unlocks. When both forms stay pending the first one is kept; yjs's
//     choice there depends on its sort order.
//   - The store integrates everything it can at once. A Y.Doc retries its pending structs
//     only when a client it recorded as missing advances, so it can leave integrable
//     structs pending until some later update; a fresh Y.Doc fed the same state agrees
//     with the store.
//   - Input yjs cannot integrate is refused instead of half-applied: an item naming a
//     unit of its own client at or after its own clock, unknown struct, content or type
//     refs, invalid UTF-8, JSON content that does not parse, subdocuments whose options
//     are null. So is an update that resends an integrated item naming units the store
//     has not integrated (only hostile input does): yjs would hold it, and every later
//     struct of its client, pending until they arrive.
//   - Blocks merge where the second names the first's last unit as origin and shares
//     its right origin, whether or not another client's item sits between them in the
//     document (yjs also asks that they be neighbours there). A Y.Doc reads the merged
//     struct back into the same document, so Encode can only be smaller than yjs's.
//   - ToJSON gives a Uint8Array as []byte, and a subdocument as an empty map (what
//     JSON.stringify makes of a Y.Doc that is not loaded).
//
// # What it does not do
//
//   - No undo manager, snapshots, relative positions or change events.
//   - Update format v2 is not read or written.
//   - Subdocuments are kept as opaque content; their own updates are not handled here.
package yjs

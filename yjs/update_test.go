package yjs

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeUpdate(t *testing.T) {
	tests := []struct {
		name  string
		in    string // hex of the update
		want  Update
		again string // re-encoding, when it differs from in
	}{
		{name: "empty", in: "00 00",
			want: Update{Structs: []ClientStructs{}, Deletes: []ClientDeletes{}}},
		{
			name: "gc", in: "01 01 05 00 00 03 00",
			want: Update{Structs: []ClientStructs{{Client: 5, Structs: []Struct{
				{ID: ID{5, 0}, Length: 3, Info: RefGC},
			}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "skip between gcs", in: "01 03 05 02 00 01 0a 04 00 02 00",
			want: Update{Structs: []ClientStructs{{Client: 5, Clock: 2, Structs: []Struct{
				{ID: ID{5, 2}, Length: 1, Info: RefGC},
				{ID: ID{5, 3}, Length: 4, Info: RefSkip},
				{ID: ID{5, 7}, Length: 2, Info: RefGC},
			}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "string under a root type", in: "01 01 07 00 04 01 01 74 02 68 69 00",
			want: Update{Structs: []ClientStructs{{Client: 7, Structs: []Struct{{
				ID: ID{7, 0}, Length: 2, Info: RefString, ParentIsName: true, ParentName: "t",
				Content: StringContent("hi"),
			}}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "origin keeps an unwritten parentSub flag",
			in:   "01 01 07 01 a8 07 00 01 7d 05 00",
			want: Update{Structs: []ClientStructs{{Client: 7, Clock: 1, Structs: []Struct{{
				ID: ID{7, 1}, Length: 1, Info: InfoOrigin | InfoParentSub | RefAny,
				Origin: ID{7, 0}, Content: AnyContent(Any{Kind: AnyInt, Int: 5}),
			}}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "map key written", in: "01 01 07 00 28 01 01 6d 01 6b 01 78 00",
			want: Update{Structs: []ClientStructs{{Client: 7, Structs: []Struct{{
				ID: ID{7, 0}, Length: 1, Info: InfoParentSub | RefAny, ParentIsName: true,
				ParentName: "m", ParentSub: "k", Content: AnyContent(Any{Kind: AnyTrue}),
			}}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "parent by item id, astral text", in: "01 01 07 00 04 00 03 04 04 f0 9f 98 80 00",
			want: Update{Structs: []ClientStructs{{Client: 7, Structs: []Struct{{
				ID: ID{7, 0}, Length: 2, Info: RefString, ParentID: ID{3, 4},
				Content: StringContent("😀"),
			}}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "parent info other than 1 means an id", in: "01 01 07 00 04 02 03 04 01 78 00",
			again: "01 01 07 00 04 00 03 04 01 78 00",
			want: Update{Structs: []ClientStructs{{Client: 7, Structs: []Struct{{
				ID: ID{7, 0}, Length: 1, Info: RefString, ParentID: ID{3, 4},
				Content: StringContent("x"),
			}}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "right origin, xml element", in: "01 01 09 02 47 08 01 03 01 70 00",
			want: Update{Structs: []ClientStructs{{Client: 9, Clock: 2, Structs: []Struct{{
				ID: ID{9, 2}, Length: 1, Info: InfoRightOrigin | RefType, RightOrigin: ID{8, 1},
				Content: TypeContent(TypeXMLElement, "p"),
			}}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "deletes in written order", in: "00 02 07 02 05 01 00 02 03 00",
			want: Update{Structs: []ClientStructs{}, Deletes: []ClientDeletes{
				{Client: 7, Ranges: []Range{{5, 1}, {0, 2}}}, {Client: 3, Ranges: []Range{}},
			}},
		},
		{
			name: "json, embed, format, deleted", in: "01 04 02 00" +
				"02 01 01 6c 02 01 31 09 75 6e 64 65 66 69 6e 65 64" + // JSON [1, undefined]
				"85 02 01 02 7b 7d" + // embed {} after (2,1)
				"86 02 02 01 62 04 6e 75 6c 6c" + // format b=null after (2,2)
				"81 02 03 03" + // deleted 3 after (2,3)
				"00",
			want: Update{Structs: []ClientStructs{{Client: 2, Structs: []Struct{
				{ID: ID{2, 0}, Length: 2, Info: RefJSON, ParentIsName: true, ParentName: "l",
					Content: JSONContent("1", "undefined")},
				{ID: ID{2, 2}, Length: 1, Info: InfoOrigin | RefEmbed, Origin: ID{2, 1},
					Content: EmbedContent("{}")},
				{ID: ID{2, 3}, Length: 1, Info: InfoOrigin | RefFormat, Origin: ID{2, 2},
					Content: FormatContent("b", "null")},
				{ID: ID{2, 4}, Length: 3, Info: InfoOrigin | RefDeleted, Origin: ID{2, 3},
					Content: DeletedContent(3)},
			}}}, Deletes: []ClientDeletes{}},
		},
		{
			name: "binary and subdocument",
			in:   "01 02 02 00 03 01 01 61 02 ab cd 89 02 00 01 67 76 00 00",
			want: Update{Structs: []ClientStructs{{Client: 2, Structs: []Struct{
				{ID: ID{2, 0}, Length: 1, Info: RefBinary, ParentIsName: true, ParentName: "a",
					Content: BinaryContent([]byte{0xab, 0xcd})},
				{ID: ID{2, 1}, Length: 1, Info: InfoOrigin | RefDoc, Origin: ID{2, 0},
					Content: DocContent("g", Any{Kind: AnyObject})},
			}}}, Deletes: []ClientDeletes{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			u, err := DecodeUpdate(in)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(*u, tt.want) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", *u, tt.want)
			}
			want := in
			if tt.again != "" {
				want = unhex(t, tt.again)
			}
			same(t, u.Encode(), want)
		})
	}
}

func TestDecodeUpdateErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		err  error
	}{
		{name: "nothing", in: "", err: io.ErrUnexpectedEOF},
		{name: "trailing byte", in: "00 00 00", err: errTrailing},
		{name: "no delete set", in: "00", err: io.ErrUnexpectedEOF},
		{name: "unknown ref", in: "01 01 05 00 0b 00", err: errRef},
		{name: "skip with flags", in: "01 01 05 00 8a 01 00", err: errSkipInfo},
		{name: "gc of length 0", in: "01 01 05 00 00 00 00", err: errZeroLength},
		{name: "empty string", in: "01 01 05 00 04 01 01 74 00 00", err: errEmptyContent},
		{name: "empty any list", in: "01 01 05 00 08 01 01 74 00 00", err: errEmptyContent},
		{name: "type ref 7", in: "01 01 05 00 07 01 01 74 07 00", err: errTypeRef},
		{name: "subdocument without options", in: "01 01 05 00 09 01 01 74 01 67 7e 00",
			err: errDocOpts},
		{name: "embed that is not json", in: "01 01 05 00 05 01 01 74 01 7b 00", err: errBadJSON},
		{name: "json content that is not json", in: "01 01 05 00 02 01 01 74 01 01 78 00",
			err: errBadJSON},
		{name: "clock past 2^53-1", in: "01 01 05 ff ff ff ff ff ff ff 0f 00 02 00",
			err: errClockRange},
		{name: "delete past 2^53-1", in: "00 01 05 01 ff ff ff ff ff ff ff 0f 01",
			err: errClockRange},
		{name: "struct count past end", in: "01 ff ff ff 0f 05 00 00 01", err: io.ErrUnexpectedEOF},
		{name: "client count past end", in: "ff ff ff ff 0f 00", err: io.ErrUnexpectedEOF},
		{name: "invalid utf-8 root name", in: "01 01 05 00 04 01 01 ff 01 78 00", err: errBadUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeUpdate(unhex(t, tt.in))
			if !errors.Is(err, tt.err) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

// TestDecodeBoundsAllocation feeds counts that promise far more than the input holds:
// decoding must fail without allocating for them.
func TestDecodeBoundsAllocation(t *testing.T) {
	inputs := [][]byte{
		unhex(t, "01 ff ff ff ff ff ff ff 0f 05 00 00 01 00"),
		unhex(t, "01 01 05 00 08 01 01 74 ff ff ff ff ff ff ff 0f 75 00"),
		unhex(t, "01 01 05 00 08 01 01 74 01 76 ff ff ff ff 0f 00"),
		append(unhex(t, "00 01 05 ff ff ff ff 0f"), bytes.Repeat([]byte{1}, 64)...),
	}
	for i, in := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := DecodeUpdate(in); err == nil {
			t.Fatalf("input %d decoded", i)
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
			t.Fatalf("input %d: decoding allocated %d bytes", i, grew)
		}
	}
}

func TestCutUTF16(t *testing.T) {
	tests := []struct {
		s           string
		k           uint64
		left, right string
	}{
		{"abc", 1, "a", "bc"},
		{"a😀b", 1, "a", "😀b"},
		{"a😀b", 2, "a\uFFFD", "\uFFFDb"},
		{"a😀b", 3, "a😀", "b"},
		{"中文", 1, "中", "文"},
		{"😀😀", 3, "😀\uFFFD", "\uFFFD"},
	}
	for _, tt := range tests {
		parts := cutUTF16(tt.s, []uint64{tt.k})
		l, r := parts[0], parts[1]
		if l != tt.left || r != tt.right {
			t.Errorf("cutUTF16(%q, %d) = %q, %q; want %q, %q",
				tt.s, tt.k, l, r, tt.left, tt.right)
		}
		if utf16Len(l) != tt.k || utf16Len(l)+utf16Len(r) != utf16Len(tt.s) {
			t.Errorf("cutUTF16(%q, %d): lengths %d + %d", tt.s, tt.k, utf16Len(l), utf16Len(r))
		}
	}
}

func TestSliceStruct(t *testing.T) {
	item := Struct{
		ID: ID{4, 10}, Length: 4, Info: InfoRightOrigin | InfoParentSub | RefString,
		RightOrigin: ID{9, 9}, ParentIsName: true, ParentName: "t", ParentSub: "k",
		Content: StringContent("a😀b"),
	}
	r := sliceStruct(item, 2)
	if r.ID != (ID{4, 12}) || r.Length != 2 || r.Origin != (ID{4, 11}) || !r.HasOrigin() ||
		r.Content.Text() != "\uFFFDb" || r.RightOrigin != (ID{9, 9}) {
		t.Fatalf("right part %+v", r)
	}
	// The right part writes no parent info because it has an origin now.
	u := Update{Structs: []ClientStructs{{Client: 4, Clock: 12, Structs: []Struct{r}}}}
	same(t, u.Encode(), unhex(t, "01 01 04 0c e4 04 0b 09 09 04 ef bf bd 62 00"))
	l := truncateStruct(item, 2)
	if l.Length != 2 || l.Content.Text() != "a\uFFFD" || l.ID != item.ID || l.HasOrigin() {
		t.Fatalf("left part %+v", l)
	}
	if m := clipStruct(item, 11, 13); m.ID.Clock != 11 || m.Length != 2 || m.Content.Text() != "😀" {
		t.Fatalf("middle part %+v", m)
	}
	if m := clipStruct(item, 12, 13); m.Length != 1 || m.Content.Text() != "\uFFFD" {
		t.Fatalf("half a pair %+v", m)
	}
	gc := sliceStruct(Struct{ID: ID{1, 0}, Length: 5, Info: RefGC}, 3)
	if gc.ID.Clock != 3 || gc.Length != 2 || gc.HasOrigin() {
		t.Fatalf("gc part %+v", gc)
	}
}

func TestStateVectorCodec(t *testing.T) {
	sv, err := DecodeStateVector(unhex(t, "02 05 03 09 01"))
	if err != nil || !reflect.DeepEqual(sv, StateVector{5: 3, 9: 1}) {
		t.Fatalf("decoded %v, %v", sv, err)
	}
	same(t, sv.Encode(), unhex(t, "02 09 01 05 03")) // descending clients, as yjs writes
	if sv, err := DecodeStateVector(unhex(t, "02 05 03 05 07")); err != nil || sv[5] != 7 {
		t.Fatalf("repeated client: %v, %v", sv, err)
	}
	for _, bad := range []string{"", "01 05", "00 00", "ff ff ff 0f 00"} {
		if _, err := DecodeStateVector(unhex(t, bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeStateVector(%s) err = %v", bad, err)
		}
	}
}

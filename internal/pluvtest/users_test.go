package pluvtest

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestUsersModel(t *testing.T) {
	ann := json.RawMessage(`{"id":"ann"}`)
	bob := json.RawMessage(`{"id":"bob"}`)
	type step func(u *users)
	tests := []struct {
		name      string
		steps     []step
		wantIDs   map[string][]string // client id → connection ids
		wantPres  map[string]map[string]any
		wantMyPre map[string]any
	}{
		{
			name: "two connections of one user are one other",
			steps: []step{
				func(u *users) { u.setMyself("p_me", ann, nil) },
				func(u *users) { u.add("p_b1", bob, map[string]any{"x": 1.0}) },
				func(u *users) { u.add("p_b2", bob, map[string]any{"x": 2.0}) },
			},
			wantIDs:  map[string][]string{"bob": {"p_b1", "p_b2"}},
			wantPres: map[string]map[string]any{"bob": {"i": 0.0, "x": 1.0}},
		},
		{
			name: "user leaves with its last connection",
			steps: []step{
				func(u *users) { u.setMyself("p_me", ann, nil) },
				func(u *users) { u.add("p_b1", bob, nil) },
				func(u *users) { u.add("p_b2", bob, nil) },
				func(u *users) { u.exit("p_b1") },
			},
			wantIDs:  map[string][]string{"bob": {"p_b2"}},
			wantPres: map[string]map[string]any{"bob": {"i": 0.0}},
		},
		{
			name: "last exit removes user",
			steps: []step{
				func(u *users) { u.setMyself("p_me", ann, nil) },
				func(u *users) { u.add("p_b1", bob, nil) },
				func(u *users) { u.exit("p_b1") },
			},
			wantIDs: map[string][]string{},
		},
		{
			name: "my other tab patches my presence",
			steps: []step{
				func(u *users) { u.setMyself("p_me", ann, map[string]any{"x": 5.0}) },
				func(u *users) { u.add("p_me2", ann, nil) },
				func(u *users) { u.presenceUpdated("p_me2", ann, map[string]any{"y": 1.0}) },
			},
			wantIDs:   map[string][]string{},
			wantMyPre: map[string]any{"x": 5.0, "y": 1.0},
		},
		{
			name: "own presenceUpdated ignored",
			steps: []step{
				func(u *users) { u.setMyself("p_me", ann, nil) },
				func(u *users) { u.presenceUpdated("p_me", ann, map[string]any{"z": 1.0}) },
			},
			wantIDs:   map[string][]string{},
			wantMyPre: map[string]any{"i": 0.0},
		},
		{
			name: "unknown sender added from envelope user",
			steps: []step{
				func(u *users) { u.setMyself("p_me", ann, nil) },
				func(u *users) { u.presenceUpdated("p_b", bob, map[string]any{"x": 3.0}) },
			},
			wantIDs:  map[string][]string{"bob": {"p_b"}},
			wantPres: map[string]map[string]any{"bob": {"i": 0.0, "x": 3.0}},
		},
		{
			name: "anonymous users keyed by connection",
			steps: []step{
				func(u *users) { u.setMyself("p_me", nil, nil) },
				func(u *users) { u.add("p_1", json.RawMessage("null"), nil) },
				func(u *users) { u.add("p_2", json.RawMessage("null"), nil) },
			},
			wantIDs: map[string][]string{"p_1": {"p_1"}, "p_2": {"p_2"}},
		},
		{
			name: "sync state drops unlisted",
			steps: []step{
				func(u *users) { u.setMyself("p_me", ann, nil) },
				func(u *users) { u.add("p_b", bob, nil) },
				func(u *users) { u.add("p_c", json.RawMessage(`{"id":"cy"}`), nil) },
				func(u *users) { u.syncState([]string{"p_me", "p_c"}) },
			},
			wantIDs: map[string][]string{"cy": {"p_c"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newUsers(map[string]any{"i": 0.0})
			for _, s := range tc.steps {
				s(&u)
			}

			got := map[string][]string{}
			for id, o := range u.snapshot() {
				got[id] = o.ConnectionIDs
				if want, ok := tc.wantPres[id]; ok && !reflect.DeepEqual(o.Presence, want) {
					t.Errorf("presence of %s = %v, want %v", id, o.Presence, want)
				}
			}

			if !reflect.DeepEqual(got, tc.wantIDs) {
				t.Errorf("others = %v, want %v", got, tc.wantIDs)
			}

			if tc.wantMyPre != nil && !reflect.DeepEqual(u.myPresence, tc.wantMyPre) {
				t.Errorf("my presence = %v, want %v", u.myPresence, tc.wantMyPre)
			}
		})
	}
}

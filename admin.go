package pluv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// adminAPI is the admin.api.pluv module, read-only routes of Caddy's admin endpoint:
//
//   - GET /pluv/rooms lists the live rooms: id, registry, sessions and storage bytes.
//   - GET /pluv/rooms/<id>/storage gives a live room's storage as JSON, as yjs's
//     Y.Doc toJSON gives it with the roots storage_roots names (see [Room.StorageJSON]);
//     404 when no registry has a live room of that id. It never creates or loads a room.
//
// Rooms are found in every room registry of the process: one per storage_dir, and,
// for handlers without one, one per name. The listing's registry field is the
// registry's key: the canonical storage_dir, or `pluv:<name>`. When two registries
// both have a live room of the id, the storage route answers 409 unless the query
// names one (`?registry=<key>`). Listings give ids and counts, never payloads or tokens.
type adminAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.pluv",
		New: func() caddy.Module { return new(adminAPI) },
	}
}

// Routes returns the routes of the pluv admin API.
func (a adminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/pluv/rooms", Handler: caddy.AdminHandlerFunc(a.handleRooms)},
		{Pattern: "/pluv/rooms/", Handler: caddy.AdminHandlerFunc(a.handleRoom)},
	}
}

// adminRoom is one entry of the room listing.
type adminRoom struct {
	ID       string `json:"id"`
	Registry string `json:"registry"`
	Sessions int    `json:"sessions"`
	// StorageBytes is the size of the room's document as it is written to its file.
	StorageBytes int `json:"storage_bytes"`
	// StorageUnreadable marks a room whose file could not be read (storage refused).
	StorageUnreadable bool `json:"storage_unreadable,omitempty"`
}

// handleRooms lists the live rooms of every registry, by registry and id.
func (adminAPI) handleRooms(w http.ResponseWriter, r *http.Request) error {
	if err := onlyGet(r); err != nil {
		return err
	}
	list := []adminRoom{}
	for _, reg := range registries() {
		rooms := reg.srv.liveRooms()
		sort.Slice(rooms, func(i, j int) bool { return rooms[i].id < rooms[j].id })
		for _, rm := range rooms {
			if info, ok := rm.adminInfo(); ok {
				info.Registry = reg.key
				list = append(list, info)
			}
		}
	}
	return writeJSON(w, list)
}

// handleRoom serves /pluv/rooms/<id>/storage.
func (adminAPI) handleRoom(w http.ResponseWriter, r *http.Request) error {
	if err := onlyGet(r); err != nil {
		return err
	}
	rest := strings.TrimPrefix(r.URL.Path, "/pluv/rooms/")
	id, ok := strings.CutSuffix(rest, "/storage")
	if !ok || strings.Contains(id, "/") {
		return apiError(http.StatusNotFound, "no such route: use /pluv/rooms or "+
			"/pluv/rooms/<id>/storage")
	}
	if !roomIDRE.MatchString(id) {
		return apiError(http.StatusBadRequest, "invalid room id")
	}
	rm, err := findRoom(r.Context(), id, r.URL.Query().Get("registry"))
	if err != nil {
		return err
	}
	doc, err := rm.StorageJSON()
	switch {
	case errors.Is(err, errRoomClosed):
		return apiError(http.StatusNotFound, fmt.Sprintf("no live room %q", id))
	case err != nil:
		return apiError(http.StatusServiceUnavailable, err.Error())
	}
	return writeJSON(w, doc)
}

// registry is one pooled room registry and its key in servers.
type registry struct {
	key string
	srv *Server
}

// registries returns the room registries of the process, by key.
func registries() []registry {
	var out []registry
	servers.Range(func(k, v any) bool {
		key, _ := k.(string)
		if ps, ok := v.(pooledServer); ok {
			out = append(out, registry{key: key, srv: ps.srv})
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// findRoom returns the live room id of the registry keyed want (any registry when want
// is empty), as an API error when there is none or more than one.
func findRoom(ctx context.Context, id, want string) (*Room, error) {
	var found []*Room
	var keys []string
	known := want == ""
	for _, reg := range registries() {
		if want != "" && reg.key != want {
			continue
		}
		known = true
		if !reg.srv.validRoom(id, reg.srv.settings()) {
			continue
		}
		rm, err := reg.srv.liveRoom(ctx, id)
		if err != nil {
			return nil, apiError(http.StatusServiceUnavailable, err.Error())
		}
		if rm != nil {
			found = append(found, rm)
			keys = append(keys, reg.key)
		}
	}
	switch {
	case !known:
		return nil, apiError(http.StatusNotFound, fmt.Sprintf("no registry %q", shortName(want)))
	case len(found) == 0:
		return nil, apiError(http.StatusNotFound, fmt.Sprintf("no live room %q", id))
	case len(found) > 1:
		return nil, apiError(http.StatusConflict, fmt.Sprintf("room %q is live in "+
			"registries %s; name one with ?registry=", id, strings.Join(keys, ", ")))
	}
	return found[0], nil
}

// adminInfo returns the room's listing entry (without its registry); ok is false once
// the room is torn down.
func (rm *Room) adminInfo() (info adminRoom, ok bool) {
	rm.lock("adminInfo")
	defer rm.release()
	if rm.closed {
		return adminRoom{}, false
	}
	return adminRoom{
		ID: rm.id, Sessions: len(rm.sessions), StorageBytes: rm.store.Size(),
		StorageUnreadable: rm.corrupt,
	}, true
}

// onlyGet refuses every method but GET.
func onlyGet(r *http.Request) error {
	if r.Method != http.MethodGet {
		return apiError(http.StatusMethodNotAllowed, "method not allowed: use GET")
	}
	return nil
}

// apiError is an admin API error with its status.
func apiError(status int, msg string) error {
	return caddy.APIError{HTTPStatus: status, Err: errors.New(msg)}
}

// writeJSON answers with v as JSON; HTML characters stay as they are, since text and
// XML roots hold markup that a reader compares with yjs's.
func writeJSON(w http.ResponseWriter, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusInternalServerError,
			Err: fmt.Errorf("encoding response: %w", err)}
	}
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(buf.Bytes())
	return err
}

// Interface guards
var (
	_ caddy.Module      = adminAPI{}
	_ caddy.AdminRouter = adminAPI{}
)

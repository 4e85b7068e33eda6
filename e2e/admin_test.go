package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// adminSite is interopSite with the JSON view told what the clients' roots are; the
// script's root "extra" is left out on purpose, to be inferred.
func adminSite(dir string) string {
	return strings.Replace(interopSite(dir), "\tauth {", "\tstorage_root text text\n"+
		"\tstorage_root map map\n\tstorage_root list array\n\tstorage_root xml xml\n"+
		"\tauth {", 1)
}

type adminResult struct {
	OK      bool           `json:"ok"`
	Room    string         `json:"room"`
	Doc     map[string]any `json:"doc"`
	Storage map[string]any `json:"storage"`
	Rooms   []struct {
		ID           string `json:"id"`
		Registry     string `json:"registry"`
		Sessions     int    `json:"sessions"`
		StorageBytes int    `json:"storage_bytes"`
	} `json:"rooms"`
}

// TestAdminStorageJSON: a real Caddy with its admin endpoint on a loopback port; two
// Node clients (real yjs) edit a room, and the admin API's JSON of the room equals
// their Y.Doc's toJSON; the listing shows the room with both sessions. Once they leave,
// the room is no longer live: 404.
func TestAdminStorageJSON(t *testing.T) {
	dir, node := nodeProject(t)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startCaddyConfig(t, caddyConfig{Site: adminSite(t.TempDir()), Admin: admin})
	env := []string{
		"PLUV_WS=" + s.WS + "/room", "PLUV_SECRET=" + interopSecret,
		"PLUV_ADMIN=http://" + admin,
	}

	var res adminResult
	runNodeScript(ctx, t, node, dir, "interop/admin-json.mjs", env, &res)

	if !reflect.DeepEqual(res.Storage, res.Doc) {
		t.Errorf("admin storage JSON differs from the clients' Y.Doc toJSON:\nadmin %s\n"+
			"doc   %s", mustJSON(t, res.Storage), mustJSON(t, res.Doc))
	}

	for _, root := range []string{"text", "map", "list", "xml", "extra", "__$pluv"} {
		if _, ok := res.Storage[root]; !ok {
			t.Errorf("admin storage JSON lacks root %q", root)
		}
	}

	listed := false
	for _, r := range res.Rooms {
		if r.ID == res.Room {
			listed = r.Sessions == 2 && r.StorageBytes > 0
			t.Logf("listed: %+v", r)
		}
	}

	if !listed {
		t.Errorf("room %s not listed with 2 sessions and its storage: %+v", res.Room, res.Rooms)
	}

	url := "http://" + admin + "/pluv/rooms/" + res.Room + "/storage"
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := httpGet(t, url)
		if status == http.StatusNotFound {
			break
		}

		if time.Now().After(deadline) {
			t.Fatalf("room still answers %d %s after its clients left", status, body)
		}

		time.Sleep(20 * time.Millisecond) // polling the teardown; nothing to wait on
	}

	if status, body := httpGet(t, "http://"+admin+"/pluv/rooms/a..b/storage"); status != 400 {
		t.Errorf("invalid room id: %d %s", status, body)
	}
}

// httpGet returns the status and body of a GET of url.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	body, _ := io.ReadAll(resp.Body)

	return resp.StatusCode, string(body)
}

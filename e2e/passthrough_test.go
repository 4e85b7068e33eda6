package e2e

import (
	"io"
	"net/http"
	"testing"
)

// TestNonUpgradePassesThrough: requests that are not websocket upgrades reach the next
// handler untouched, whatever their path or room parameter.
func TestNonUpgradePassesThrough(t *testing.T) {
	r := startRoom(t, authBlock)
	for _, path := range []string{"/", "/api/pluv/room?room=" + r.id, "/x?room=-bad-"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(method+" "+path, func(t *testing.T) {
				req, err := http.NewRequest(method, r.s.HTTP+path, nil)
				if err != nil {
					t.Fatal(err)
				}

				req.Header.Set("Connection", "keep-alive")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()

				body, _ := io.ReadAll(resp.Body)
				mustEqual(t, "status", resp.StatusCode, http.StatusOK)
				mustEqual(t, "body", string(body), "next handler")
			})
		}
	}
}

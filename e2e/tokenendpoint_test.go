package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestTokenEndpoint runs the client's whole connection path of §1.2: fetch the token from
// pluv_token behind basic_auth (status exactly 200, the trimmed body is the token), then
// open the socket with it; both token formats. Without credentials there is no token.
func TestTokenEndpoint(t *testing.T) {
	// The lowest bcrypt cost keeps the race-enabled run fast; basic_auth accepts any cost.
	hash, err := bcrypt.GenerateFromPassword([]byte("ann-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}

	for _, format := range []string{"jwt", "jwe"} {
		t.Run(format, func(t *testing.T) {
			site := `	@authorize path /api/pluv/authorize
	basic_auth @authorize {
		ann ` + string(hash) + `
	}
	pluv_token @authorize {
		secret ` + e2eSecret + `
		user name {http.request.uri.query.name}
		format ` + format + `
	}
` + pluvSite(t, "", authBlock)
			s := startCaddyConfig(t, caddyConfig{Site: site})
			r := &room{t: t, s: s, id: "token-room"}
			url := s.HTTP + "/api/pluv/authorize?room=token-room&name=Ann"

			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}

			resp.Body.Close()
			mustEqual(t, "status without credentials", resp.StatusCode, http.StatusUnauthorized)

			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.SetBasicAuth("ann", "ann-password")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}

			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mustEqual(t, "status", resp.StatusCode, http.StatusOK)
			token := strings.TrimSpace(string(body))
			jweHeader := "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.."
			if format == "jwe" && !strings.HasPrefix(token, jweHeader) {
				t.Fatalf("not a pluv JWE: %.40s…", token)
			}

			c := r.dial("ann", pluvtest.Options{Token: token})
			jsonEqual(t, "session user", c.Handshake().Registered.User, `{"id":"ann","name":"Ann"}`)

			other := &room{t: t, s: s, id: "other-room"}
			elsewhere := other.dial("elsewhere", pluvtest.Options{Token: token})
			expectRefused(t, elsewhere, "Not authorized")

			hostileRoomIDs(t, s.HTTP+"/api/pluv/authorize")
		})
	}
}

// hostileRoomIDs checks that the token endpoint at base refuses the room ids pluv refuses
// with 400 and a body that says why, without echoing the id.
func hostileRoomIDs(t *testing.T, base string) {
	t.Helper()

	ids := []string{"", "..", "a/b", "../../etc/passwd", "a\x00b", "\u212a", "a\u200bb",
		"ａｂ", "<script>x</script>", strings.Repeat("a", 101), strings.Repeat("a", 10000)}
	for _, id := range ids {
		req, _ := http.NewRequest(http.MethodGet, base+"?room="+url.QueryEscape(id), nil)
		req.SetBasicAuth("ann", "ann-password")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}

		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(string(body), "invalid room id: want 1 to 100") ||
			(len(id) > 3 && strings.Contains(string(body), id)) {
			t.Errorf("room %.20q: status %d, body %q", id, resp.StatusCode, body)
		}
	}
}

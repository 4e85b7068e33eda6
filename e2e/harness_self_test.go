package e2e

import (
	"io"
	"net/http"
	"testing"
)

func TestHarnessServesSite(t *testing.T) {
	for i := 0; i < 2; i++ { // a second Caddy starts after the first stopped
		s := startCaddyConfig(t, caddyConfig{Site: `respond "hello from caddy"`})
		resp, err := http.Get(s.HTTP + "/")
		if err != nil {
			t.Fatal(err)
		}

		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello from caddy" {
			t.Fatalf("body = %q", body)
		}

		s.Stop()
	}
}

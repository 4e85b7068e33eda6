// Command caddy is Caddy with the standard modules and the pluv plugin, for development:
// go run ./cmd/caddy run --config testdata/Caddyfile
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/caddy-pluv/caddy-pluv"
)

func main() {
	caddycmd.Main()
}

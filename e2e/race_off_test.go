//go:build !race

package e2e

// raceEnabled says the tests run with -race; the Caddy they build gets it too.
const raceEnabled = false

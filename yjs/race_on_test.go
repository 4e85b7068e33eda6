//go:build race

package yjs

// raceEnabled says the tests run with -race, under which sync.Pool drops items at
// random, so code that pools (encoding/json's scanner) allocates.
const raceEnabled = true

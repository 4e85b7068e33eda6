package pluv

import (
	"errors"
	"fmt"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// What applying a Yjs update may allocate at its peak, per struct and delete range it
// declares and per byte of it, from the worst shapes of the yjs package's memory
// benchmarks (`go test ./yjs -run '^$' -bench Memory -benchtime 1x`: one item or one
// delete range per client peaks near 3.3 KB and 2.1 KB, content near 3 bytes a byte).
// A few bytes of wire can name a struct, so an update's size alone says little about
// the memory it takes.
const (
	applyPeakPerStruct = 3400
	applyPeakPerRange  = 2200
	applyPeakPerByte   = 3
)

// errUpdateTooComplex refuses an update whose estimated peak exceeds the whole
// max_bytes_in_flight budget: it could never be applied within it.
var errUpdateTooComplex = errors.New("update too complex to apply")

// applyBudget takes from the instance-wide byte budget what applying update may
// allocate at its peak, so that many complex updates at once wait for one another
// instead of exhausting memory, and returns the amount to release after Apply. An
// update that does not decode costs nothing here: Apply refuses it at once. It fails
// with errUpdateTooComplex, or when the budget stays spent for the session's wait.
func (s *session) applyBudget(update []byte) (int64, error) {
	structs, ranges, err := yjs.UpdateStats(update)
	if err != nil {
		return 0, nil
	}
	cost := int64(structs)*applyPeakPerStruct + int64(ranges)*applyPeakPerRange +
		int64(len(update))*applyPeakPerByte
	if cost > s.budget.size {
		return 0, fmt.Errorf("%w: %d structs and %d delete ranges may take %d MiB, "+
			"past max_bytes_in_flight (%d MiB)", errUpdateTooComplex, structs, ranges,
			cost>>20, s.budget.size>>20)
	}
	if err := s.budget.take(s.ctx, cost, s.budgetWait); err != nil {
		return 0, err
	}
	return cost, nil
}

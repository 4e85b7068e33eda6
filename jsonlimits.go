package pluv

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxJSONDepth caps the nesting of a frame's data, so nothing that reads it (presence
// merge, schema validation, output mapping) walks deeper.
const maxJSONDepth = 32

// errInputLimit is wrapped by every refusal of client JSON that is well formed but past
// a limit.
var errInputLimit = errors.New("input refused")

// jsonLevel is one open object or array while a frame is scanned.
type jsonLevel struct {
	object  bool
	wantKey bool   // the next string is a key
	key     []byte // the current member's key, still quoted
	index   int    // the current item of an array
}

// checkJSONLimits scans b, a frame already known to be valid JSON, in one linear pass
// and refuses data nested deeper than maxJSONDepth (the frame's own object is one more
// level) and number literals longer than maxNumberLength or past float64. The error
// names the offending value's path, e.g. data.points[3].x.
func checkJSONLimits(b []byte) error {
	stack := make([]jsonLevel, 0, 8)
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '{' || c == '[':
			if len(stack) > maxJSONDepth {
				return limitError(stack, "nested deeper than %d levels", maxJSONDepth)
			}
			stack = append(stack, jsonLevel{object: c == '{', wantKey: c == '{'})
			i++
		case c == '}' || c == ']':
			stack = stack[:len(stack)-1]
			i++
		case c == '"':
			end := stringEnd(b, i)
			if top := len(stack) - 1; top >= 0 && stack[top].wantKey {
				stack[top].key, stack[top].wantKey = b[i:end], false
			}
			i = end
		case c == ',':
			if top := len(stack) - 1; top >= 0 {
				stack[top].index++
				stack[top].wantKey = stack[top].object
			}
			i++
		case c == '-' || (c >= '0' && c <= '9'):
			end := i + 1
			for end < len(b) && strings.IndexByte("0123456789+-.eE", b[end]) >= 0 {
				end++
			}
			if err := checkNumber(stack, b[i:end]); err != nil {
				return err
			}
			i = end
		default: // white space, ':', true, false, null
			i++
		}
	}
	return nil
}

// checkNumber refuses a number literal that is too long or past float64.
func checkNumber(stack []jsonLevel, lit []byte) error {
	if len(lit) > maxNumberLength {
		return limitError(stack, "number of %d characters (limit %d)", len(lit),
			maxNumberLength)
	}
	if _, err := strconv.ParseFloat(string(lit), 64); err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return limitError(stack, "number %s out of range", lit)
		}
	}
	return nil
}

// stringEnd returns the index just past the JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// limitError builds the refusal for the value at the top of stack.
func limitError(stack []jsonLevel, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", errInputLimit, jsonPath(stack), fmt.Sprintf(format, args...))
}

// jsonPath renders the path of the current value: keys joined by dots (quoted when not
// identifier-like), array items as [i]. The frame's own object is the root.
func jsonPath(stack []jsonLevel) string {
	var sb strings.Builder
	for i, l := range stack {
		if i == 0 && l.object { // the frame object: its keys start the path
			sb.WriteString(pathKey(l.key, true))
			continue
		}
		if l.object {
			sb.WriteString(pathKey(l.key, false))
		} else {
			fmt.Fprintf(&sb, "[%d]", l.index)
		}
	}
	if sb.Len() == 0 {
		return "frame"
	}
	return shortName(sb.String())
}

// pathKey renders one quoted key of a path.
func pathKey(quoted []byte, first bool) string {
	var k string
	if json.Unmarshal(quoted, &k) != nil {
		return ""
	}
	if !nameRE.MatchString(k) {
		return "[" + strconv.Quote(shortName(k)) + "]"
	}
	if first {
		return k
	}
	return "." + k
}

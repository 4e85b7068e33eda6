package pluv

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// rootKinds are the kinds storage_roots accepts, by the name the config gives them.
var rootKinds = map[string]yjs.RootKind{
	"array": yjs.RootArray,
	"map":   yjs.RootMap,
	"text":  yjs.RootText,
	"xml":   yjs.RootXMLFragment,
}

// parseRootKind returns the kind a storage_roots value names.
func parseRootKind(name string) (yjs.RootKind, error) {
	if k, ok := rootKinds[name]; ok {
		return k, nil
	}
	names := make([]string, 0, len(rootKinds))
	for n := range rootKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return 0, fmt.Errorf("unknown kind %q (want %s)", name, strings.Join(names, ", "))
}

// compileStorage fills in how s makes room documents and reads them as JSON.
func (c Config) compileStorage(s *settings) error {
	s.keepHistory = c.KeepHistory
	for root, kind := range c.StorageRoots {
		k, err := parseRootKind(kind)
		if err != nil {
			return fmt.Errorf("storage_roots: root %q: %w", root, err)
		}
		if s.rootHints == nil {
			s.rootHints = make(map[string]yjs.RootKind, len(c.StorageRoots))
		}
		s.rootHints[root] = k
	}
	return nil
}

// StorageJSON returns the room's document as JSON values, one entry per root, as yjs's
// Y.Doc toJSON gives it for a doc whose roots are declared with the kinds storage_roots
// names (the others inferred from their content): maps, slices, strings, float64
// numbers, int64 bigints, bools, nil and []byte. It is taken under the room's lock, so
// it is one state of the document even while sessions edit, and shares no memory with
// it. It fails when the room was torn down, when its file could not be read, and when
// its document model was dropped (an update too costly to order, see yjs.Store.ModelErr).
func (rm *Room) StorageJSON() (map[string]any, error) {
	hints := rm.srv.settings().rootHints
	rm.lock("StorageJSON")
	defer rm.release()
	switch {
	case rm.closed:
		return nil, fmt.Errorf("reading storage: %w", errRoomClosed)
	case rm.corrupt:
		return nil, fmt.Errorf("reading storage: %w", errStorageUnavailable)
	}
	if err := rm.store.ModelErr(); err != nil {
		return nil, fmt.Errorf("reading storage: %w: %w", errNoModel, err)
	}
	v, err := rm.store.ToJSON(hints)
	if err != nil {
		return nil, fmt.Errorf("reading storage: %w", err)
	}
	return v, nil
}

// errNoModel is wrapped by [Room.StorageJSON] when the room's store dropped its model.
var errNoModel = errors.New("no JSON view")

// noteModelLocked logs, once per room, that its store dropped its document model: from
// then on the room's file is no longer compacted and its JSON view is gone, until the
// room empties and is loaded again. Callers hold mu, after an Apply.
func (rm *Room) noteModelLocked() {
	err := rm.store.ModelErr()
	if err == nil || rm.modelLost {
		return
	}
	rm.modelLost = true
	rm.logger().Warn("room document model dropped: storage is still merged and "+
		"relayed but no longer compacted or readable as JSON until the room is loaded "+
		"again", zap.Error(err))
}

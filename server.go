package pluv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// readBufferSize is the read buffer of a session's socket. Client frames are mostly
// small (pings, presence, events, keystrokes); a larger frame is read past the buffer
// straight into the frame's own, so the buffer only needs to hold a few headers.
const readBufferSize = 512

// writeBufferSize is the websocket library's write buffer of a session's socket: a frame
// is copied into it up to its size and the rest is written after it, both into the
// [batchConn]'s batch, so a small one costs a second copy call, not a second syscall.
// (A pooled buffer would cost an allocation per frame in the library.)
const writeBufferSize = 256

// errServerClosed is returned once the server has shut down.
var errServerClosed = errors.New("server closed")

// Server is the registry of live rooms for one storage directory, with the current
// compiled config, the stale-session janitor and the flusher that writes changed rooms.
// In Caddy it is shared by every handler on the same storage_dir (or name) and outlives
// config reloads.
type Server struct {
	dir       string // storage directory; empty keeps state in memory
	cfg       atomic.Pointer[settings]
	newStore  func(cfg *settings) docStore
	writeFile fileWriter // writes room files; set before any goroutine starts
	lock      dirLock    // held on dir until shutdown

	roomsMu sync.Mutex
	rooms   map[string]*Room         // guarded by roomsMu
	saving  map[string]chan struct{} // room files being written; guarded by roomsMu
	unsaved map[string]*unsavedRoom  // torn-down rooms not yet written; guarded by roomsMu
	closed  bool                     // guarded by roomsMu

	eventsMu sync.RWMutex
	events   map[string]*eventDef // defined with Event; guarded by eventsMu

	stop        chan struct{} // closed on shutdown; ends the janitor and the flusher
	janitorDone chan struct{}
	flusherDone chan struct{}
	stopOnce    sync.Once
	unlockOnce  sync.Once
	upgrader    websocket.Upgrader
}

// NewServer builds a server from c and starts its janitor and flusher; stop it with
// [Server.Close]. With a storage_dir, the directory is created if missing and locked:
// a second server on it fails with an error naming it. Placeholders in c (such as the
// auth secret) are used as written.
func NewServer(c Config) (*Server, error) {
	s, err := c.compile()
	if err != nil {
		return nil, fmt.Errorf("compiling config: %w", err)
	}
	dir := c.StorageDir
	if dir != "" {
		if dir, err = filepath.Abs(dir); err != nil {
			return nil, fmt.Errorf("resolving storage_dir: %w", err)
		}
	}
	return newServer(dir, s, nil)
}

// newServer starts a server on dir with settings s, writing room files with write (nil:
// [writeRoomFile]). A dir is locked and cleared of temp files left by a crash first.
func newServer(dir string, s *settings, write fileWriter) (*Server, error) {
	if write == nil {
		write = writeRoomFile
	}
	srv := &Server{
		dir:         dir,
		newStore:    newDocStore,
		writeFile:   write,
		rooms:       map[string]*Room{},
		saving:      map[string]chan struct{}{},
		unsaved:     map[string]*unsavedRoom{},
		events:      map[string]*eventDef{},
		stop:        make(chan struct{}),
		janitorDone: make(chan struct{}),
		flusherDone: make(chan struct{}),
		upgrader: websocket.Upgrader{
			// Sessions authenticate with the token in the URL, not with cookies, so any
			// page may connect, as with pluv's own server.
			CheckOrigin: func(*http.Request) bool { return true },
			// Small buffers: frames are gathered by the session's batchConn, whose
			// buffer comes from a pool only while the write pump writes.
			ReadBufferSize:  readBufferSize,
			WriteBufferSize: writeBufferSize,
		},
	}
	srv.setSettings(s)
	if dir != "" {
		if err := srv.openDir(); err != nil {
			return nil, err
		}
		go srv.flusher()
	} else {
		close(srv.flusherDone)
	}
	go srv.janitor()
	return srv, nil
}

// openDir locks the storage directory and removes the temp files a crash left in it.
func (srv *Server) openDir() error {
	lock, err := lockDir(srv.dir)
	if err != nil {
		return err
	}
	removed, err := removeTempFiles(srv.dir)
	if err != nil {
		_ = lock.unlock()
		return err
	}
	srv.lock = lock
	log := srv.settings().logger
	for _, name := range removed {
		log.Info("removed temp file left by an interrupted write",
			zap.String("path", filepath.Join(srv.dir, name)))
	}
	return nil
}

// settings returns the current compiled config.
func (srv *Server) settings() *settings { return srv.cfg.Load() }

// setSettings makes s the current config. The byte budget carries over when its size is
// unchanged; a new size starts a new budget, and frames in flight at the swap count
// against the old one until they are done.
func (srv *Server) setSettings(s *settings) {
	if old := srv.cfg.Load(); old != nil && old.budget.size == s.budget.size {
		s.budget = old.budget
	}
	srv.cfg.Store(s)
}

// Event defines a custom event in Go (the seed's io.event): frames of this type are
// validated against e.InputSchema and answered by e.Resolver. Names defined in the
// config take precedence.
func (srv *Server) Event(name string, e Event) error {
	ev, err := compileGoEvent(name, e)
	if err != nil {
		return err
	}
	srv.eventsMu.Lock()
	defer srv.eventsMu.Unlock()
	if _, dup := srv.events[name]; dup {
		return fmt.Errorf("event %s already defined", name)
	}
	srv.events[name] = ev
	return nil
}

// goEvent returns the event defined in Go under name, or nil.
func (srv *Server) goEvent(name string) *eventDef {
	srv.eventsMu.RLock()
	defer srv.eventsMu.RUnlock()
	return srv.events[name]
}

// ServeHTTP serves websocket requests for the room named by the `room` query parameter;
// other requests get 426 Upgrade Required.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "websocket upgrade required", http.StatusUpgradeRequired)
		return
	}
	_ = srv.Handle(w, r, r.URL.Query().Get("room"))
}

// Handle upgrades r and serves it as a session of room roomID, with the token from the
// `token` query parameter. The socket is served in its own goroutine: Handle returns
// once the upgrade is done. A bad room id or token is answered on the socket with
// `$error` and close 3000, never by refusing the upgrade (the client would retry); so is
// an Origin that allowed_origins does not list (close 4003).
func (srv *Server) Handle(w http.ResponseWriter, r *http.Request, roomID string) error {
	token := tokenFromQuery(r.URL.RawQuery)
	origin := r.Header.Get("Origin")
	conn, err := srv.upgrader.Upgrade(hijackWriter{w}, r, upgradeHeader(w.Header()))
	if err != nil {
		return fmt.Errorf("upgrading: %w", err)
	}
	go srv.serveConn(conn, roomID, token, origin)
	return nil
}

// upgradeHeader is what handlers before this one (such as Caddy's header) set on the
// response, for the 101 answer: without the headers the handshake itself sets and those
// that describe a body.
func upgradeHeader(h http.Header) http.Header {
	out := h.Clone()
	for k := range out {
		switch http.CanonicalHeaderKey(k) {
		case "Connection", "Upgrade", "Content-Length", "Content-Encoding",
			"Transfer-Encoding", "Content-Type":
			delete(out, k)
		default:
			if strings.HasPrefix(http.CanonicalHeaderKey(k), "Sec-Websocket-") {
				delete(out, k)
			}
		}
	}
	return out
}

// hijackWriter exposes Hijack through http.NewResponseController, which unwraps writers
// (such as Caddy's encode) that hide http.Hijacker from gorilla's type assertion.
type hijackWriter struct {
	http.ResponseWriter
}

// Hijack takes over the connection, wrapped so that the session's write pump can
// gather the frames that queued up into one write.
func (hw hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(hw.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &batchConn{Conn: conn}, brw, nil
}

// serveConn checks the room id, the origin and the token, then runs the session.
func (srv *Server) serveConn(conn *websocket.Conn, roomID, token, origin string) {
	cfg := srv.settings()
	if !srv.validRoom(roomID, cfg) {
		if ce := cfg.logger.Check(zap.DebugLevel, "invalid room id"); ce != nil {
			ce.Write(zap.String("room", shortName(roomID)), zap.Int("bytes", len(roomID)))
		}
		refuse(conn, roomID, refuseRoomID, cfg.writeTimeout)
		return
	}
	if !originAllowed(origin, cfg.origins) {
		cfg.logger.Info("origin not allowed; closed with 4003", zap.String("room", roomID),
			zap.String("origin", shortName(origin)))
		refuse(conn, roomID, refuseOrigin, cfg.writeTimeout)
		return
	}
	user, userID, err := srv.authorize(cfg, token, roomID)
	if err != nil {
		refuse(conn, roomID, refuseToken(err), cfg.writeTimeout)
		return
	}
	srv.run(conn, roomID, user, userID, cfg)
}

// validRoom applies the room id rule and, with storage, the file name limit.
func (srv *Server) validRoom(id string, cfg *settings) bool {
	if !validRoomID(id, cfg.maxRoomIDLength) {
		return false
	}
	if srv.dir != "" {
		if _, err := roomFileName(id); err != nil {
			return false
		}
	}
	return true
}

// authorize verifies token for roomID under cfg; without auth every session is anonymous.
func (srv *Server) authorize(cfg *settings, token, roomID string) (json.RawMessage, string,
	error,
) {
	if cfg.auth == nil {
		return nil, "", nil
	}
	user, id, err := cfg.auth.verify(token, roomID)
	if err != nil {
		if ce := cfg.logger.Check(zap.DebugLevel, "token refused"); ce != nil {
			ce.Write(zap.String("room", roomID), zap.Error(err))
		}
		return nil, "", err
	}
	return user, id, nil
}

// run joins an authorised socket to its room and pumps it until it ends.
func (srv *Server) run(conn *websocket.Conn, roomID string, user json.RawMessage,
	userID string, cfg *settings,
) {
	s := newSession(srv, conn, roomID, user, userID, cfg)
	rm, err := srv.join(roomID, s)
	if errors.Is(err, errRoomFull) {
		cfg.logger.Info("room full; closed with 4002", zap.String("room", roomID),
			zap.Int("max_sessions_per_room", cfg.maxSessionsPerRoom))
		s.close(0, "")
		refuse(conn, roomID, refuseRoomFull, cfg.writeTimeout)
		return
	}
	if err != nil {
		s.close(CloseRestart, reasonRestart)
		close(s.readDone)
		s.writePump(cfg.writeTimeout)
		return
	}
	log := rm.logger().With(zap.String("session", s.id))
	if userID != "" {
		log = log.With(zap.String("user", userID))
	}
	log.Debug("session joined")
	go s.writePump(cfg.writeTimeout)
	s.readPump(log)
	<-s.writeDone
	s.drain() // the session has left: nothing enqueues any more
	log.Debug("session left")
}

// join adds s to the room id, creating and loading the room when needed.
func (srv *Server) join(id string, s *session) (*Room, error) {
	for {
		rm, err := srv.room(id)
		if err != nil {
			return nil, err
		}
		err = rm.add(s)
		if !errors.Is(err, errRoomClosed) {
			return rm, err
		}
		// The room was torn down between lookup and add; the next lookup makes a new one.
	}
}

// GetRoom returns the live room id, creating (and loading) it when there is none. A
// room nobody joins is torn down by the janitor.
func (srv *Server) GetRoom(id string) (*Room, error) {
	if !srv.validRoom(id, srv.settings()) {
		return nil, fmt.Errorf("getting room: invalid room id %q", id)
	}
	return srv.room(id)
}

// room returns the live room id or creates it; a new room loads its file first (after
// any write of the same id still in progress) while later callers wait for it. State of
// a torn-down room that could not be written is taken over instead of the file.
func (srv *Server) room(id string) (*Room, error) {
	srv.roomsMu.Lock()
	if srv.closed {
		srv.roomsMu.Unlock()
		return nil, errServerClosed
	}
	if rm := srv.rooms[id]; rm != nil {
		srv.roomsMu.Unlock()
		<-rm.ready
		return rm, nil
	}
	rm := &Room{
		id: id, srv: srv, ready: make(chan struct{}),
		sessions: map[string]*session{}, users: map[string]map[string]*session{},
	}
	if srv.dir != "" {
		name, _ := roomFileName(id) // validRoom checked the length
		rm.path = filepath.Join(srv.dir, name)
	}
	srv.rooms[id] = rm
	pending := srv.saving[id]
	srv.roomsMu.Unlock()

	if pending != nil {
		<-pending
	}
	// Nothing writes the unsaved state of id while a room for it is in the map.
	srv.roomsMu.Lock()
	u := srv.unsaved[id]
	delete(srv.unsaved, id)
	srv.roomsMu.Unlock()

	srv.load(rm, u)
	close(rm.ready)
	return rm, nil
}

// liveRooms returns the rooms of srv that have finished loading, unordered; the janitor,
// the flusher and the admin listing go through them.
func (srv *Server) liveRooms() []*Room {
	srv.roomsMu.Lock()
	rooms := make([]*Room, 0, len(srv.rooms))
	for _, rm := range srv.rooms {
		select {
		case <-rm.ready:
			rooms = append(rooms, rm)
		default: // still loading
		}
	}
	srv.roomsMu.Unlock()
	return rooms
}

// liveRoom returns the room id, once loaded, or nil when there is none; unlike
// [Server.GetRoom] it never creates a room.
func (srv *Server) liveRoom(ctx context.Context, id string) (*Room, error) {
	srv.roomsMu.Lock()
	rm := srv.rooms[id]
	srv.roomsMu.Unlock()
	if rm == nil {
		return nil, nil
	}
	select {
	case <-rm.ready:
		return rm, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for room %q to load: %w", id, ctx.Err())
	}
}

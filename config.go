package pluv

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// Defaults of [Config] (PROTOCOL.md §13).
const (
	DefaultRoom            = "{http.request.uri.query.room}"
	DefaultMaxRoomIDLength = 100
	DefaultMaxPresenceSize = 512
	DefaultMaxStorageSize  = 31457280
	DefaultMaxPending      = 4 << 20
	DefaultPingTimeout     = 30 * time.Second
	DefaultSendQueue       = 1024
	DefaultWriteTimeout    = 10 * time.Second
	DefaultFlushInterval   = 2 * time.Second
)

// Transport defaults of [Config]: what one session and the instance may hold and send.
const (
	// DefaultMaxBytesInFlight is the instance-wide budget of frame bytes (1 GiB).
	DefaultMaxBytesInFlight = 1 << 30
	// DefaultRatePerSecond and DefaultRateBurst are the per-session message rate limit.
	DefaultRatePerSecond = 100
	DefaultRateBurst     = 200
)

// Config is the configuration of a [Server]; the Caddy handler's JSON has the same fields.
type Config struct {
	// Name keys the shared room registry when there is no storage_dir: handlers with the
	// same name (default empty) share rooms, so in one config they must have the same
	// settings. Unused with storage_dir.
	Name string `json:"name,omitempty"`
	// Room is the placeholder that yields the room id. Default:
	// {http.request.uri.query.room}. Only the Caddy handler uses it.
	Room string `json:"room,omitempty"`
	// MaxRoomIDLength caps the room id, in bytes. Default 100; with StorageDir at most
	// 125, so that the file name of any room fits 255 bytes.
	MaxRoomIDLength int `json:"max_room_id_length,omitempty"`
	// StorageDir is the directory room files are kept in; a room's state is read when
	// the room is created, written every FlushInterval while it changes and when it is
	// torn down. The directory is created (0700) if missing and locked against a second
	// server. Handlers with the same directory share rooms, so in one config they must
	// have the same settings. Empty keeps state in memory only (lost when the room
	// empties).
	StorageDir string `json:"storage_dir,omitempty"`
	// FlushInterval is how often a room with unsaved changes is written to its file, so a
	// crash loses at most this much editing (plus the write time). Default 2s; it cannot
	// be turned off. Unused without StorageDir.
	FlushInterval caddy.Duration `json:"flush_interval,omitempty"`
	// MaxPresenceSize caps a session's merged presence, in bytes of compact JSON.
	// Default 512; -1 (`off` in a Caddyfile) disables the cap.
	MaxPresenceSize int `json:"max_presence_size,omitempty"`
	// MaxStorageSize caps the room's full Yjs state, in base64 characters. Default
	// 31457280 (30 MiB of text). Updates that would exceed it are refused.
	MaxStorageSize int `json:"max_storage_size,omitempty"`
	// MaxPending caps the Yjs updates held back waiting for missing history, in bytes.
	// Default 4194304 (4 MiB); updates past it are refused.
	MaxPending int `json:"max_pending,omitempty"`
	// PingTimeout is how long a session may go without `$ping` before it is closed with
	// 1011 (the client reconnects). Default 30s.
	PingTimeout caddy.Duration `json:"ping_timeout,omitempty"`
	// SendQueue is the number of frames queued per session; a session whose queue is
	// full is closed with 1013 (the client reconnects). Default 1024.
	SendQueue int `json:"send_queue,omitempty"`
	// WriteTimeout bounds each socket write. Default 10s.
	WriteTimeout caddy.Duration `json:"write_timeout,omitempty"`
	// StrictEvents refuses event names that are not defined (with `$error`) instead of
	// relaying them to the room. Default false.
	StrictEvents bool `json:"strict_events,omitempty"`
	// KeepHistory keeps the content of deleted items in room documents (garbage
	// collection off, as in a Y.Doc made with gc false), for apps that undo across
	// sessions. Default false: documents are compacted as a Y.Doc with gc on compacts
	// them, so room files and joins carry what is visible plus a few bytes per deleted
	// range. A live room keeps the mode it was created with until it empties.
	KeepHistory bool `json:"keep_history,omitempty"`
	// StorageRoots tells the JSON view of room storage (the admin API's
	// /pluv/rooms/<id>/storage and [Room.StorageJSON]) the kind of each root shared
	// type, by root name: array, map, text or xml (an XML fragment), as the app gets it
	// with getArray, getMap, getText or getXmlFragment. Yjs updates do not record it.
	// Unlisted roots are inferred from their content, which cannot tell an emptied text
	// from an empty array; listed roots are in the view even while the document lacks
	// them. Default: none.
	StorageRoots map[string]string `json:"storage_roots,omitempty"`
	// Auth turns on token verification. Without it every session is anonymous.
	Auth *AuthConfig `json:"auth,omitempty"`
	// Events are the custom events the server validates and maps.
	Events []EventConfig `json:"events,omitempty"`

	// Transport limits (see transport.go).

	// SendQueueBytes caps the bytes of frames queued to one session; a session whose
	// queue holds more is closed with 1013. A frame to a session with an empty queue is
	// always accepted. Default: twice max_storage_size plus 1 MiB, so a joiner's
	// `$registered` and `$storageReceived` (each the full state) fit.
	SendQueueBytes int `json:"send_queue_bytes,omitempty"`
	// MaxBytesInFlight is the instance-wide budget of frame bytes: frames being read and
	// processed, and frames queued to sessions. A reader waits for budget (the client's
	// TCP window fills); one that waits longer than write_timeout is closed with 1013.
	// A frame queued behind frames its session's writer has not picked up yet counts
	// against it (so each session's batch in the writer does not); a session whose
	// next such frame does not fit is closed with 1013.
	// Default 1073741824 (1 GiB); it must hold two frames of the read limit.
	MaxBytesInFlight int64 `json:"max_bytes_in_flight,omitempty"`
	// MaxSessionsPerRoom caps the sessions of one room; the session past it gets
	// `$error` and the final close 4002. Default 0: unlimited.
	MaxSessionsPerRoom int `json:"max_sessions_per_room,omitempty"`
	// AllowedOrigins lists the browser origins that may join, as scheme://host[:port],
	// with `*` for the leading host labels (https://*.example.com) or alone for any.
	// A socket from another Origin gets `$error` and the final close 4003; a request
	// without an Origin header (not a browser) is allowed. Empty allows every origin.
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// RateLimit limits the messages one session may send; `$ping` is never limited.
	// Default 100 per second, burst 200.
	RateLimit *RateLimitConfig `json:"rate_limit,omitempty"`

	// Logger receives the server's logs; nil discards them. The Caddy handler sets it.
	Logger *zap.Logger `json:"-"`
}

// AuthConfig configures token verification (PROTOCOL.md §8, §15.1–2).
type AuthConfig struct {
	// Secret verifies HS256 JWTs and derives the key of pluv's JWE tokens. Placeholders
	// such as {env.PLUV_SECRET} are resolved at Provision. Required.
	Secret string `json:"secret,omitempty"`
	// Required refuses sockets without a token. Default true; false lets a socket without
	// a token join anonymously (a present but invalid token is still refused).
	Required *bool `json:"required,omitempty"`
	// User are inline fields the token's user must match; unknown keys are dropped and a
	// string id is always required. Empty keeps the user as it is.
	User []Field `json:"user,omitempty"`
	// UserSchema is the path of a JSON Schema file for the user, read at Provision; use
	// it instead of User.
	UserSchema string `json:"user_schema,omitempty"`
	// MaxAge is the oldest token (by iat) accepted. Default 60000s, pluv's lifetime.
	MaxAge caddy.Duration `json:"max_age,omitempty"`
}

// RateLimitConfig is a per-session token bucket. A frame over the limit is dropped and
// the sender gets `$error` (at most one a second); a session that sends more than ten
// times the rate for three seconds in a row is closed with 1008 (final).
type RateLimitConfig struct {
	// PerSecond is the sustained rate, in messages per second; -1 (`off` in a
	// Caddyfile) disables the limit. Default 100.
	PerSecond float64 `json:"per_second,omitempty"`
	// Burst is the number of messages allowed at once. Default 200.
	Burst int `json:"burst,omitempty"`
}

// settings is a compiled [Config]: what the rooms read, swapped whole on reload.
type settings struct {
	maxRoomIDLength int
	maxPresenceSize int
	maxStorageSize  int // base64 characters
	maxPending      int
	pingTimeout     time.Duration
	sendQueue       int
	writeTimeout    time.Duration
	flushInterval   time.Duration
	strictEvents    bool
	keepHistory     bool
	rootHints       map[string]yjs.RootKind // nil: every root inferred
	auth            *authenticator          // nil: anonymous
	events          map[string]*eventDef
	logger          *zap.Logger

	// Transport limits (transport.go).
	sendQueueBytes     int64
	maxBytesInFlight   int64
	budget             *byteBudget // shared by sessions; kept across reloads of one size
	maxSessionsPerRoom int
	origins            []originPattern // empty: every origin
	ratePerSecond      float64         // 0: no limit
	rateBurst          int
}

// compile checks c and builds its settings; secrets must already be resolved.
func (c Config) compile() (*settings, error) {
	s := &settings{
		maxRoomIDLength: orDefault(c.MaxRoomIDLength, DefaultMaxRoomIDLength),
		maxPresenceSize: orDefault(c.MaxPresenceSize, DefaultMaxPresenceSize),
		maxStorageSize:  orDefault(c.MaxStorageSize, DefaultMaxStorageSize),
		maxPending:      orDefault(c.MaxPending, DefaultMaxPending),
		pingTimeout:     orDefault(time.Duration(c.PingTimeout), DefaultPingTimeout),
		sendQueue:       orDefault(c.SendQueue, DefaultSendQueue),
		writeTimeout:    orDefault(time.Duration(c.WriteTimeout), DefaultWriteTimeout),
		flushInterval:   orDefault(time.Duration(c.FlushInterval), DefaultFlushInterval),
		strictEvents:    c.StrictEvents,
		events:          map[string]*eventDef{},
		logger:          c.Logger,
	}
	if s.logger == nil {
		s.logger = zap.NewNop()
	}
	if s.maxPresenceSize < 0 {
		s.maxPresenceSize = 0
	}
	if s.maxRoomIDLength < 0 || s.maxStorageSize < 8 || s.maxPending < 0 ||
		s.pingTimeout < 0 || s.sendQueue < 0 || s.writeTimeout < 0 || s.flushInterval < 0 {
		return nil, errors.New("negative or too small limit")
	}
	if c.StorageDir != "" && s.maxRoomIDLength > maxStoredRoomIDLength {
		return nil, fmt.Errorf("max_room_id_length %d: with storage_dir it must be at most "+
			"%d, so that a room's file name fits %d bytes", s.maxRoomIDLength,
			maxStoredRoomIDLength, maxFileNameLength)
	}
	if err := c.compileTransport(s); err != nil {
		return nil, err
	}
	if err := c.compileStorage(s); err != nil {
		return nil, err
	}
	if c.Auth != nil {
		a, err := c.Auth.compile()
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		s.auth = a
	}
	for _, ec := range c.Events {
		if _, dup := s.events[ec.Name]; dup {
			return nil, fmt.Errorf("event %s defined twice", ec.Name)
		}
		ev, err := compileEvent(ec)
		if err != nil {
			return nil, err
		}
		s.events[ec.Name] = ev
	}
	return s, nil
}

// compile builds the authenticator; the user schema always requires a string id.
func (a AuthConfig) compile() (*authenticator, error) {
	var user *schema
	var err error
	switch {
	case len(a.User) > 0 && a.UserSchema != "":
		return nil, errors.New("both user and user_schema")
	case len(a.User) > 0:
		fields := a.User
		if !hasField(fields, "id") {
			fields = append([]Field{{Name: "id", Type: "string"}}, fields...)
		}
		user, err = compileFields("mem://pluv/user.json", fields)
	case a.UserSchema != "":
		user, err = loadSchemaFile(a.UserSchema)
	}
	if err != nil {
		return nil, fmt.Errorf("user schema: %w", err)
	}
	required := a.Required == nil || *a.Required
	return newAuthenticator(a.Secret, required, user, time.Duration(a.MaxAge))
}

func hasField(fields []Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// storeMaxSize is the Yjs store's byte cap for a base64 cap (4 characters per 3 bytes).
func (s *settings) storeMaxSize() int {
	return s.maxStorageSize / 4 * 3
}

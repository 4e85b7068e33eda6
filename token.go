package pluv

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/golang-jwt/jwt/v5"
)

// Token formats accepted by [TokenOptions].Format.
const (
	// FormatJWT is an HS256 JSON Web Token (the default).
	FormatJWT = "jwt"
	// FormatJWE is pluv's compact JWE (dir + A256GCM with an HKDF-derived key).
	FormatJWE = "jwe"
)

// Limits pluv applies to the user of a token (PROTOCOL.md §8.2).
const (
	// DefaultTokenMaxAge is the lifetime of minted tokens and the oldest iat accepted.
	DefaultTokenMaxAge = 60000 * time.Second
	maxUserIDLength    = 128 // UTF-16 code units
	maxUserSize        = 512 // bytes of compact JSON
)

// jweInfo is the HKDF info string pluv derives its JWE key with.
const jweInfo = "Pluv.io Generated Encryption Key"

// jweHeader is the only protected header pluv writes, base64url-encoded.
var jweHeader = b64.EncodeToString([]byte(`{"alg":"dir","enc":"A256GCM"}`))

// b64 is unpadded base64url, the JOSE encoding.
var b64 = base64.RawURLEncoding

// TokenOptions says what [CreateToken] puts into a token.
type TokenOptions struct {
	// Room is the room the token admits to (claim `room`).
	Room string
	// User is the session user (claim `user`): any value that encodes to a JSON object
	// with a string `id`.
	User any
	// MaxAge is the lifetime; zero means [DefaultTokenMaxAge].
	MaxAge time.Duration
	// Format is [FormatJWT] (default) or [FormatJWE].
	Format string
	// Now is the issue time; zero means the current time.
	Now time.Time
}

// tokenClaims are the claims pluv writes, in the order it writes them.
type tokenClaims struct {
	Room string          `json:"room"`
	Sub  string          `json:"sub"`
	User json.RawMessage `json:"user"`
	Iat  int64           `json:"iat"`
	Exp  int64           `json:"exp"`
	Jti  string          `json:"jti"`
}

// CreateToken mints a token the server accepts for o.Room: an HS256 JWT, or pluv's JWE
// when o.Format is [FormatJWE]. The user must have a string id of at most 128 UTF-16
// units and encode to at most 512 bytes of JSON.
func CreateToken(secret string, o TokenOptions) (string, error) {
	if secret == "" {
		return "", errors.New("creating token: empty secret")
	}
	user, id, err := checkUser(o.User)
	if err != nil {
		return "", fmt.Errorf("creating token: %w", err)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	maxAge := o.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultTokenMaxAge
	}
	sub := id
	if o.Room != "" {
		sub = o.Room + "|" + id
	}
	claims := tokenClaims{
		Room: o.Room, Sub: sub, User: user,
		Iat: now.Unix(), Exp: now.Add(maxAge).Unix(), Jti: newUUID(),
	}
	payload, err := marshalCompact(claims)
	if err != nil {
		return "", fmt.Errorf("encoding claims: %w", err)
	}
	switch o.Format {
	case "", FormatJWT:
		return signHS256([]byte(secret), payload)
	case FormatJWE:
		return encryptJWE(secret, payload)
	}
	return "", fmt.Errorf("creating token: unknown format %q", o.Format)
}

// checkUser encodes a user and checks pluv's issuance limits.
func checkUser(u any) (json.RawMessage, string, error) {
	raw, ok := u.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = marshalCompact(u); err != nil {
			return nil, "", fmt.Errorf("encoding user: %w", err)
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, "", errors.New("user is not a JSON object")
	}
	var id string
	if err := json.Unmarshal(obj["id"], &id); err != nil {
		return nil, "", errors.New("user has no string id")
	}
	if strings.TrimSpace(id) == "" {
		return nil, "", &tokenError{"user id is blank"}
	}
	if utf16Len(id) > maxUserIDLength {
		return nil, "", fmt.Errorf("user id longer than %d characters", maxUserIDLength)
	}
	compact, err := compactJSON(raw)
	if err != nil {
		return nil, "", fmt.Errorf("encoding user: %w", err)
	}
	if len(compact) > maxUserSize {
		return nil, "", fmt.Errorf("user larger than %d bytes", maxUserSize)
	}
	return compact, id, nil
}

// compactJSON removes insignificant space from a JSON value, keeping key order.
func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// utf16Len is the JavaScript length of s.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// signHS256 returns the compact JWS of payload.
func signHS256(key, payload []byte) (string, error) {
	head := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	signing := head + "." + b64.EncodeToString(payload)
	sig, err := jwt.SigningMethodHS256.Sign(signing, key)
	if err != nil {
		return "", fmt.Errorf("signing token: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), nil
}

// jweKey derives pluv's AES-256 key from the secret.
func jweKey(secret string) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, jweInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving key: %w", err)
	}
	return key, nil
}

// newGCM returns AES-GCM for a 32-byte key.
func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("creating cipher: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("creating gcm: %w", err)
	}
	return gcm, nil
}

// encryptJWE returns pluv's compact JWE of payload: header..iv.ciphertext.tag.
func encryptJWE(secret string, payload []byte) (string, error) {
	key, err := jweKey(secret)
	if err != nil {
		return "", err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	iv := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(iv)
	sealed := gcm.Seal(nil, iv, payload, []byte(jweHeader))
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	parts := []string{jweHeader, "", b64.EncodeToString(iv), b64.EncodeToString(ct),
		b64.EncodeToString(tag)}
	return strings.Join(parts, "."), nil
}

// errBadJWE is wrapped by every JWE parsing or decryption failure.
var errBadJWE = errors.New("invalid jwe")

// decryptJWE opens a compact JWE made with alg dir and enc A256GCM.
func decryptJWE(gcm cipher.AEAD, token string) ([]byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 5 {
		return nil, fmt.Errorf("%w: %d segments", errBadJWE, len(parts))
	}
	var head struct {
		Alg string `json:"alg"`
		Enc string `json:"enc"`
		Zip string `json:"zip"`
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &head) != nil {
		return nil, fmt.Errorf("%w: bad header", errBadJWE)
	}
	if head.Alg != "dir" || head.Enc != "A256GCM" || head.Zip != "" {
		return nil, fmt.Errorf("%w: unsupported alg %q enc %q", errBadJWE, head.Alg, head.Enc)
	}
	if parts[1] != "" {
		return nil, fmt.Errorf("%w: encrypted key present", errBadJWE)
	}
	iv, err1 := b64.DecodeString(parts[2])
	ct, err2 := b64.DecodeString(parts[3])
	tag, err3 := b64.DecodeString(parts[4])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadJWE, err)
	}
	if len(iv) != gcm.NonceSize() || len(tag) != gcm.Overhead() {
		return nil, fmt.Errorf("%w: bad iv or tag length", errBadJWE)
	}
	plain, err := gcm.Open(nil, iv, append(ct, tag...), []byte(parts[0]))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadJWE, err)
	}
	return plain, nil
}

package e2e

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The tokens here are minted independently of the server's CreateToken, from the facts of
// PROTOCOL.md §8.2 and §15.1, so that a shared mistake cannot hide.

// e2eSecret is the auth secret of the test configs.
const e2eSecret = "e2e-secret-4f1c9b7d2a"

// tokenSpec says what a test token holds.
type tokenSpec struct {
	room   string
	user   any            // encoded as the `user` claim
	age    time.Duration  // how long ago it was issued
	life   time.Duration  // exp - iat; default 60000 s
	secret string         // default e2eSecret
	nbf    time.Duration  // when set, the token is not valid before now + nbf
	set    map[string]any // replace these claims (a nil value removes one)
}

func (s tokenSpec) claims() map[string]any {
	if s.life == 0 {
		s.life = 60000 * time.Second
	}

	iat := time.Now().Add(-s.age)
	id := ""
	if m, ok := s.user.(map[string]any); ok {
		id, _ = m["id"].(string)
	}

	c := map[string]any{
		"room": s.room, "sub": s.room + "|" + id, "user": s.user,
		"iat": iat.Unix(), "exp": iat.Add(s.life).Unix(), "jti": rand.Text(),
	}
	if s.nbf != 0 {
		c["nbf"] = time.Now().Add(s.nbf).Unix()
	}

	for k, v := range s.set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}

	return c
}

func (s tokenSpec) key() string {
	if s.secret == "" {
		return e2eSecret
	}

	return s.secret
}

// hs256 mints an HS256 JWT.
func hs256(t testing.TB, s tokenSpec) string {
	t.Helper()

	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(s.claims())).
		SignedString([]byte(s.key()))
	if err != nil {
		t.Fatalf("signing token: %v", err)
	}

	return tok
}

// algNone mints an unsigned JWT with alg none.
func algNone(t testing.TB, s tokenSpec) string {
	t.Helper()

	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims(s.claims())).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatalf("signing token: %v", err)
	}

	return tok
}

// jweKey derives pluv's JWE key from a secret (HKDF-SHA256, no salt, pluv's info string).
func jweKey(t testing.TB, secret string) []byte {
	t.Helper()

	k, err := hkdf.Key(sha256.New, []byte(secret), nil, "Pluv.io Generated Encryption Key", 32)
	if err != nil {
		t.Fatalf("hkdf: %v", err)
	}

	return k
}

// pluvJWE mints a token the way @pluv/io does: compact JWE, dir + A256GCM.
func pluvJWE(t testing.TB, s tokenSpec) string {
	t.Helper()
	return jweWithHeader(t, `{"alg":"dir","enc":"A256GCM"}`, s)
}

// TestJWEKeyVector pins the key derivation to the vector of PROTOCOL.md §8.2.
func TestJWEKeyVector(t *testing.T) {
	const want = "601f131ef9e0e10d9210d0822d1d78c7bd80fb254337f3ca624ff482b3039cd6"
	if got := hex.EncodeToString(jweKey(t, "secret123")); got != want {
		t.Fatalf("key = %s, want %s", got, want)
	}
}

package pluv

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const testSecret = "secret123"

func TestJWEKeyVector(t *testing.T) {
	key, err := jweKey(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	const want = "601f131ef9e0e10d9210d0822d1d78c7bd80fb254337f3ca624ff482b3039cd6"
	if got := hex.EncodeToString(key); got != want {
		t.Fatalf("jweKey = %s, want %s", got, want)
	}
}

// signed mints an HS256-style token with any method and claims, for attack cases.
func signed(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// jweOf encrypts raw claims the way pluv does.
func jweOf(t *testing.T, secret string, claims any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := encryptJWE(secret, b)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyToken(t *testing.T) {
	now := time.Unix(1_718_000_000, 0)
	user := map[string]any{"id": "u1", "name": "Ann", "extra": true}
	good := func(format string) string {
		tok, err := CreateToken(testSecret, TokenOptions{Room: "my-room", User: user,
			Format: format, Now: now.Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"room": "my-room", "sub": "my-room|u1", "user": user,
			"iat": now.Unix() - 60, "exp": now.Unix() + 3600, "jti": "j"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jweHead := func(head string) string {
		parts := strings.Split(good(FormatJWE), ".")
		parts[0] = b64.EncodeToString([]byte(head))
		return strings.Join(parts, ".")
	}
	tamper := func(tok string) string {
		b := []byte(tok)
		i := len(b) - 3
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name     string
		token    string
		room     string
		required bool
		wantUser string // "" means error expected unless anonymous
		anon     bool
	}{
		{"jwt good", good(FormatJWT), "my-room", true, `{"id":"u1","name":"Ann"}`, false},
		{"jwe good", good(FormatJWE), "my-room", true, `{"id":"u1","name":"Ann"}`, false},
		{"none required", "", "my-room", true, "", false},
		{"none optional", "", "my-room", false, "", true},
		{"garbage", "not-a-token", "my-room", false, "", false},
		{"garbage 3 parts", "a.b.c", "my-room", true, "", false},
		{"wrong room", good(FormatJWT), "other", true, "", false},
		{"jwe wrong room", good(FormatJWE), "other", true, "", false},
		{"expired", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["exp"] = now.Unix() - 16 })), "my-room", true, "",
			false},
		{"expired within leeway", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["exp"] = now.Unix() - 10 })), "my-room", true,
			`{"id":"u1","name":"Ann"}`, false},
		{"no exp", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { delete(c, "exp") })), "my-room", true, "", false},
		{"iat too old", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["iat"] = now.Unix() - 60016 })), "my-room", true,
			"", false},
		{"iat in future", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["iat"] = now.Unix() + 60 })), "my-room", true,
			"", false},
		{"no iat long exp", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) {
				delete(c, "iat")
				c["exp"] = now.Unix() + 70000
			})), "my-room", true, "", false},
		{"nbf in future", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["nbf"] = now.Unix() + 60 })), "my-room", true,
			"", false},
		{"alg none", signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType,
			claims(nil)), "my-room", true, "", false},
		{"hs384", signed(t, jwt.SigningMethodHS384, []byte(testSecret), claims(nil)),
			"my-room", true, "", false},
		{"rs256", signed(t, jwt.SigningMethodRS256, rsaKey, claims(nil)), "my-room", true, "",
			false},
		{"wrong secret", signed(t, jwt.SigningMethodHS256, []byte("other"), claims(nil)),
			"my-room", true, "", false},
		{"jwe wrong secret", jweOf(t, "other", claims(nil)), "my-room", true, "", false},
		{"jwe expired", jweOf(t, testSecret, claims(func(c jwt.MapClaims) {
			c["exp"] = now.Unix() - 100
		})), "my-room", true, "", false},
		{"jwe tampered", tamper(good(FormatJWE)), "my-room", true, "", false},
		{"jwe other enc", jweHead(`{"alg":"dir","enc":"A128GCM"}`), "my-room", true, "",
			false},
		{"jwe zip", jweHead(`{"alg":"dir","enc":"A256GCM","zip":"DEF"}`), "my-room", true, "",
			false},
		{"user not object", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["user"] = "u1" })), "my-room", true, "", false},
		{"user id not string", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["user"] = map[string]any{"id": 1} })),
			"my-room", true, "", false},
		{"user id too long", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) {
				c["user"] = map[string]any{"id": strings.Repeat("😀", 65)}
			})), "my-room", true, "", false},
		{"user fails schema", signed(t, jwt.SigningMethodHS256, []byte(testSecret),
			claims(func(c jwt.MapClaims) { c["user"] = map[string]any{"id": "u1"} })),
			"my-room", true, "", false},
	}
	userSchema, err := compileFields("mem://test/user.json", []Field{
		{Name: "id", Type: "string"}, {Name: "name", Type: "string"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newAuthenticator(testSecret, tt.required, userSchema, 0)
			if err != nil {
				t.Fatal(err)
			}
			a.now = func() time.Time { return now }
			got, id, err := a.verify(tt.token, tt.room)
			switch {
			case tt.anon:
				if err != nil || got != nil || id != "" {
					t.Fatalf("anonymous: got %s %q %v", got, id, err)
				}
			case tt.wantUser == "":
				if !errors.Is(err, errUnauthorized) {
					t.Fatalf("err = %v (user %s), want errUnauthorized", err, got)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.wantUser || id != "u1" {
					t.Fatalf("user = %s id %q, want %s", got, id, tt.wantUser)
				}
			}
		})
	}
}

func TestCreateToken(t *testing.T) {
	now := time.Unix(1_718_000_000, 0)
	tests := []struct {
		name    string
		o       TokenOptions
		wantErr bool
	}{
		{"jwt", TokenOptions{Room: "r", User: map[string]string{"id": "u"}, Now: now}, false},
		{"jwe", TokenOptions{Room: "r", User: map[string]string{"id": "u"}, Now: now,
			Format: FormatJWE}, false},
		{"raw user", TokenOptions{Room: "r", User: json.RawMessage(`{"id":"u","n":1}`),
			Now: now}, false},
		{"no id", TokenOptions{Room: "r", User: map[string]string{"name": "u"}}, true},
		{"user too big", TokenOptions{Room: "r", User: map[string]string{"id": "u",
			"bio": strings.Repeat("x", 500)}}, true},
		{"bad format", TokenOptions{Room: "r", User: map[string]string{"id": "u"},
			Format: "paseto"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := CreateToken(testSecret, tt.o)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, _ := newAuthenticator(testSecret, true, nil, 0)
			a.now = func() time.Time { return now.Add(time.Hour) }
			if _, id, err := a.verify(tok, tt.o.Room); err != nil || id != "u" {
				t.Fatalf("verify: %q %v", id, err)
			}
			a.now = func() time.Time { return now.Add(DefaultTokenMaxAge + tokenLeeway + 1) }
			if _, _, err := a.verify(tok, tt.o.Room); err == nil {
				t.Fatal("token valid after its lifetime")
			}
		})
	}
}

func TestCreateTokenClaims(t *testing.T) {
	now := time.Unix(1_718_000_000, 0)
	tok, err := CreateToken(testSecret, TokenOptions{Room: "my-room",
		User: map[string]string{"id": "u1"}, Now: now, Format: FormatJWE})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..") {
		t.Fatalf("header segment: %s", tok)
	}
	a, _ := newAuthenticator(testSecret, true, nil, 0)
	plain, err := decryptJWE(a.gcm, tok)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"room":"my-room","sub":"my-room|u1","user":{"id":"u1"},"iat":1718000000,` +
		`"exp":1718060000,"jti":"`
	if !strings.HasPrefix(string(plain), want) {
		t.Fatalf("claims %s, want prefix %s", plain, want)
	}
}

// TestVerifyTokenClaimTypes: exp, iat and nbf must be JSON numbers of a sane size and the
// user id must not be blank, in both formats; the refusal says which claim is wrong.
func TestVerifyTokenClaimTypes(t *testing.T) {
	now := time.Unix(1_718_000_000, 0)
	claims := func(key string, val any) jwt.MapClaims {
		c := jwt.MapClaims{"room": "r", "user": map[string]any{"id": "u1"},
			"iat": now.Unix() - 60, "exp": now.Unix() + 3600}
		if key == "user" {
			c[key] = map[string]any{"id": val}
		} else {
			c[key] = val
		}
		return c
	}
	tests := []struct {
		name string
		key  string
		val  any
		want string
	}{
		{"exp numeric string", "exp", fmt.Sprint(now.Unix() + 3600), "exp is not a number"},
		{"exp string", "exp", "tomorrow", "exp is not a number"},
		{"exp bool", "exp", true, "exp is not a number"},
		{"exp object", "exp", map[string]any{}, "exp is not a number"},
		{"exp huge", "exp", 1e300, "exp is out of range"},
		{"exp past float64", "exp", json.Number("1e999999"), "exp is out of range"},
		{"exp long literal", "exp", json.Number("1" + strings.Repeat("0", 200)),
			"exp is out of range"},
		{"exp negative", "exp", -1e300, "exp is out of range"},
		{"iat string", "iat", "yesterday", "iat is not a number"},
		{"iat bool", "iat", false, "iat is not a number"},
		{"iat huge", "iat", 1e19, "iat is out of range"},
		{"nbf string", "nbf", "1", "nbf is not a number"},
		{"nbf bool", "nbf", true, "nbf is not a number"},
		{"nbf huge", "nbf", json.Number("9e99999"), "nbf is out of range"},
		{"user id empty", "user", "", "user id is blank"},
		{"user id spaces", "user", "   ", "user id is blank"},
		{"user id whitespace", "user", "\t\n\u00a0", "user id is blank"},
	}
	a, err := newAuthenticator(testSecret, true, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return now }
	for _, tt := range tests {
		for _, format := range []string{FormatJWT, FormatJWE} {
			t.Run(tt.name+" "+format, func(t *testing.T) {
				c := claims(tt.key, tt.val)
				tok := jweOf(t, testSecret, c)
				if format == FormatJWT {
					tok = signed(t, jwt.SigningMethodHS256, []byte(testSecret), c)
				}
				_, _, err := a.verify(tok, "r")
				if !errors.Is(err, errUnauthorized) {
					t.Fatalf("err = %v, want errUnauthorized", err)
				}
				var te *tokenError
				if !errors.As(err, &te) || !strings.Contains(te.Error(), tt.want) {
					t.Fatalf("err = %v, want a tokenError about %q", err, tt.want)
				}
			})
		}
	}
}

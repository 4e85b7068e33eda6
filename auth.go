package pluv

import (
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenLeeway is the clock tolerance for exp, nbf and iat (PROTOCOL.md §8.3).
const tokenLeeway = 15 * time.Second

// errUnauthorized is wrapped by every token verification failure.
var errUnauthorized = errors.New("not authorized")

// tokenError is a token refusal whose message names what is wrong with the token's
// content; it is safe and useful to show the client.
type tokenError struct{ msg string }

func (e *tokenError) Error() string { return e.msg }

// maxClaimTime is the latest exp, iat or nbf accepted: 9999-12-31T23:59:59Z.
const maxClaimTime = 253402300799

// authenticator verifies the tokens of one config (§8, §15.1–2).
type authenticator struct {
	secret     []byte
	gcm        cipher.AEAD
	required   bool
	userSchema *schema // nil keeps the token's user as it is
	maxAge     time.Duration
	now        func() time.Time
}

// newAuthenticator prepares verification with secret; maxAge bounds the accepted iat.
func newAuthenticator(secret string, required bool, user *schema, maxAge time.Duration) (
	*authenticator, error,
) {
	if secret == "" {
		return nil, errors.New("empty secret")
	}
	key, err := jweKey(secret)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if maxAge <= 0 {
		maxAge = DefaultTokenMaxAge
	}
	return &authenticator{
		secret: []byte(secret), gcm: gcm, required: required,
		userSchema: user, maxAge: maxAge, now: time.Now,
	}, nil
}

// verifiedClaims are the claims read from either token format.
type verifiedClaims struct {
	Room string          `json:"room"`
	User json.RawMessage `json:"user"`
	jwt.RegisteredClaims
}

// UnmarshalJSON refuses time claims that are not JSON numbers of a sane size before
// decoding: the JWT library would read a numeric string as a number and a huge number as
// a time outside int64.
func (c *verifiedClaims) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if raw, ok := fields[name]; ok {
			if err := checkTimeClaim(name, raw); err != nil {
				return err
			}
		}
	}
	type plain verifiedClaims // without this method
	return json.Unmarshal(b, (*plain)(c))
}

// checkTimeClaim accepts null (absent) or a number of seconds from 0 to maxClaimTime.
func checkTimeClaim(name string, raw json.RawMessage) error {
	if string(raw) == "null" {
		return nil
	}
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return &tokenError{"claim " + name + " is not a number"}
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if len(raw) > maxNumberLength || err != nil || v < 0 || v > maxClaimTime {
		return &tokenError{"claim " + name + " is out of range"}
	}
	return nil
}

// verify checks token for room and returns the session user (compact JSON) and its id.
// An empty token is anonymous (nil user) when auth is not required.
func (a *authenticator) verify(token, room string) (json.RawMessage, string, error) {
	if token == "" {
		if a.required {
			return nil, "", fmt.Errorf("%w: no token", errUnauthorized)
		}
		return nil, "", nil
	}
	var c verifiedClaims
	var err error
	if isJWE(token) {
		err = a.parseJWE(token, &c)
	} else {
		err = a.parseJWT(token, &c)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", errUnauthorized, err)
	}
	if err := a.checkAge(&c); err != nil {
		return nil, "", fmt.Errorf("%w: %w", errUnauthorized, err)
	}
	if c.Room != room {
		return nil, "", fmt.Errorf("%w: token is for another room", errUnauthorized)
	}
	user, id, err := a.parseUser(c.User)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", errUnauthorized, err)
	}
	return user, id, nil
}

// isJWE tells the formats apart by the protected header: a JWE header names `enc`.
func isJWE(token string) bool {
	head, _, _ := strings.Cut(token, ".")
	b, err := b64.DecodeString(head)
	if err != nil {
		return false
	}
	var h map[string]json.RawMessage
	if json.Unmarshal(b, &h) != nil {
		return false
	}
	_, ok := h["enc"]
	return ok
}

// parserOptions are the time rules both formats share.
func (a *authenticator) parserOptions() []jwt.ParserOption {
	return []jwt.ParserOption{
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(tokenLeeway),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(a.now),
	}
}

// parseJWT verifies an HS256 JWT and its time claims.
func (a *authenticator) parseJWT(token string, c *verifiedClaims) error {
	keyFunc := func(*jwt.Token) (any, error) { return a.secret, nil }
	if _, err := jwt.ParseWithClaims(token, c, keyFunc, a.parserOptions()...); err != nil {
		return fmt.Errorf("parsing jwt: %w", err)
	}
	return nil
}

// parseJWE decrypts pluv's JWE and checks its time claims like a JWT's.
func (a *authenticator) parseJWE(token string, c *verifiedClaims) error {
	plain, err := decryptJWE(a.gcm, token)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, c); err != nil {
		return fmt.Errorf("decoding jwe claims: %w", err)
	}
	if err := jwt.NewValidator(a.parserOptions()...).Validate(c); err != nil {
		return fmt.Errorf("validating jwe claims: %w", err)
	}
	return nil
}

// checkAge refuses tokens issued longer than maxAge ago or, without iat, valid for
// longer than maxAge from now.
func (a *authenticator) checkAge(c *verifiedClaims) error {
	now := a.now()
	if c.IssuedAt != nil {
		if c.IssuedAt.Add(a.maxAge + tokenLeeway).Before(now) {
			return errors.New("token issued too long ago")
		}
		return nil
	}
	if c.ExpiresAt.After(now.Add(a.maxAge + tokenLeeway)) {
		return errors.New("token without iat lives longer than max_age")
	}
	return nil
}

// parseUser checks the user claim: an object with a string id, passing the user schema
// (whose unknown keys are dropped), within pluv's issuance limits.
func (a *authenticator) parseUser(raw json.RawMessage) (json.RawMessage, string, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, "", errors.New("user is not an object")
	}
	if a.userSchema != nil {
		parsed, err := a.userSchema.validate(raw, "user")
		if err != nil {
			return nil, "", fmt.Errorf("user: %w", err)
		}
		raw = parsed
	}
	return checkUser(raw)
}

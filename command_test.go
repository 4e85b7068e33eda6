package pluv

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTokenCommand(t *testing.T) {
	const secret = "command-secret"
	t.Setenv(defaultSecretEnv, secret)
	t.Setenv("OTHER_SECRET", "other-secret")
	auth, err := newAuthenticator(secret, true, nil, DefaultTokenMaxAge)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		args    []string
		wantErr string
		verify  *authenticator // nil: use auth
	}{
		{name: "jwt", args: []string{"--room", "r1", "--user", `{"id":"ann","name":"Ann"}`}},
		{name: "jwe", args: []string{"--room", "r1", "--user", `{"id":"ann"}`,
			"--format", "jwe", "--max-age", "1h"}},
		{name: "other env", args: []string{"--room", "r1", "--user", `{"id":"ann"}`,
			"--secret-env", "OTHER_SECRET"}, verify: mustAuth(t, "other-secret")},
		{name: "unset env", args: []string{"--room", "r1", "--user", `{"id":"ann"}`,
			"--secret-env", "PLUV_TEST_UNSET"}, wantErr: "PLUV_TEST_UNSET"},
		{name: "no room", args: []string{"--user", `{"id":"ann"}`}, wantErr: "--room"},
		{name: "bad room", args: []string{"--room", "../x", "--user", `{"id":"a"}`},
			wantErr: "not a valid room id"},
		{name: "no user", args: []string{"--room", "r1"}, wantErr: "--user is required"},
		{name: "user not json", args: []string{"--room", "r1", "--user", "{id:a}"},
			wantErr: "not valid JSON"},
		{name: "user without id", args: []string{"--room", "r1", "--user", `{"name":"a"}`},
			wantErr: "string id"},
		{name: "bad format", args: []string{"--room", "r1", "--user", `{"id":"a"}`,
			"--format", "paseto"}, wantErr: "unknown format"},
		{name: "bad max age", args: []string{"--room", "r1", "--user", `{"id":"a"}`,
			"--max-age", "-1s"}, wantErr: "--max-age"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unknown command"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := newTokenCommand()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&bytes.Buffer{})
			cmd.SetArgs(tc.args)
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("case %d: error = %v, want one containing %q", i, err,
						tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			token := strings.TrimSpace(out.String())
			if strings.Contains(out.String(), secret) {
				t.Fatalf("case %d: the secret was printed", i)
			}
			v := tc.verify
			if v == nil {
				v = auth
			}
			user, id, err := v.verify(token, "r1")
			if err != nil || id != "ann" {
				t.Fatalf("case %d: minted token refused: user %s id %q: %v", i, user, id, err)
			}
			if _, _, err := v.verify(token, "r2"); err == nil {
				t.Fatalf("case %d: token accepted for another room", i)
			}
		})
	}
}

func mustAuth(t *testing.T, secret string) *authenticator {
	t.Helper()
	a, err := newAuthenticator(secret, true, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

package pluv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

// defaultSecretEnv is the environment variable `caddy pluv token` reads the secret from.
const defaultSecretEnv = "PLUV_SECRET"

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "pluv",
		Usage: "token --room <room> --user <json> [--max-age <duration>] [--format jwt|jwe]",
		Short: "Tools for the pluv handler",
		Long: `
Tools for the pluv real-time handler.

"caddy pluv token" mints a room token, as the pluv_token handler does, for scripts
and tests. The secret is read from an environment variable (PLUV_SECRET unless
--secret-env names another), never from the command line, so it does not show in
the process list or the shell history. The token is written to stdout.`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(newTokenCommand())
		},
	})
}

// newTokenCommand builds `caddy pluv token`.
func newTokenCommand() *cobra.Command {
	var (
		room, user, format, secretEnv string
		maxAge                        time.Duration
	)
	c := &cobra.Command{
		Use:   "token --room <room> --user <json>",
		Short: "Mints a room token for the pluv handler",
		Example: `  PLUV_SECRET=... caddy pluv token --room my-room --user '{"id":"ann"}'
  caddy pluv token --room my-room --user '{"id":"ann"}' --format jwe --max-age 1h`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			token, err := mintFromFlags(room, user, format, secretEnv, maxAge)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(c.OutOrStdout(), token)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&room, "room", "", "room id the token admits to (required)")
	f.StringVar(&user, "user", "", `user as a JSON object with a string "id" (required)`)
	f.DurationVar(&maxAge, "max-age", DefaultTokenMaxAge, "token lifetime")
	f.StringVar(&format, "format", FormatJWT, "token format: jwt (HS256) or jwe (pluv's)")
	f.StringVar(&secretEnv, "secret-env", defaultSecretEnv,
		"environment variable holding the secret")
	return c
}

// mintFromFlags checks the flags of `caddy pluv token` and mints the token.
func mintFromFlags(room, user, format, secretEnv string, maxAge time.Duration) (string,
	error,
) {
	secret := os.Getenv(secretEnv)
	if secret == "" {
		return "", fmt.Errorf("the secret is not set: export %s (or name another "+
			"variable with --secret-env)", secretEnv)
	}
	if room == "" || !validRoomID(room, DefaultMaxRoomIDLength) {
		return "", fmt.Errorf("--room %q is not a valid room id", room)
	}
	if user == "" {
		return "", errors.New(`--user is required, e.g. --user '{"id":"ann"}'`)
	}
	if !json.Valid([]byte(user)) {
		return "", errors.New("--user is not valid JSON")
	}
	if maxAge <= 0 {
		return "", errors.New("--max-age must be positive")
	}
	return CreateToken(secret, TokenOptions{
		Room: room, User: json.RawMessage(user), MaxAge: maxAge, Format: format,
	})
}

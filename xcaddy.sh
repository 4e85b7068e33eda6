#!/usr/bin/env bash
# Builds ./caddy: Caddy v2.11.9 with the pluv plugin from this working tree, using the pinned
# xcaddy v0.4.5 (fetched by `go run`, nothing to install). Run from anywhere; extra
# arguments go to `xcaddy build` (e.g. --output /tmp/caddy, or more --with modules).
set -euo pipefail

cd "$(dirname "$0")"
command -v go >/dev/null || { echo "xcaddy.sh: Go is not installed" >&2; exit 1; }

output=./caddy
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	[[ ${args[i]} == --output ]] && output=${args[i + 1]:-$output}
done
[[ " $* " == *" --output "* ]] || set -- --output "$output" "$@"

# The module is named with the zero pseudo-version so that `go get` (run by xcaddy) takes the
# local replacement as it is. With a bare `--with github.com/caddy-pluv/caddy-pluv=.`, go get
# first asks the module proxy for the module's published versions, and a proxy that answers
# an unknown module with 403 instead of 404 (as the one on our build machines does) makes the
# build fail.
go run github.com/caddyserver/xcaddy/cmd/xcaddy@v0.4.5 build v2.11.9 \
	--with "github.com/caddy-pluv/caddy-pluv@v0.0.0-00010101000000-000000000000=$(pwd)" "$@"

# The list is read whole before grep looks at it: grep -q stops at the first match, and
# under pipefail the list-modules it leaves writing into a closed pipe (SIGPIPE) would fail
# the check about one run in ten.
modules=$("$output" list-modules)
grep -qx 'http.handlers.pluv' <<<"$modules" ||
	{ echo "xcaddy.sh: $output was built without the pluv module" >&2; exit 1; }
echo "xcaddy.sh: built $output ($("$output" version))"

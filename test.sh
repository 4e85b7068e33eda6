#!/usr/bin/env bash
# Runs every test of the project from a clean clone: it installs the pinned Node packages the
# interop and differential tests use, makes sure a Redis server answers on 127.0.0.1:6379
# (starting one without persistence if none does; see scripts/ensure-redis), then runs the Go
# tests with the race detector. Extra arguments go to `go test` (e.g. ./test.sh -run Presence ./...).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "test.sh: node and npm are needed for the interop tests" >&2
	exit 1
fi

./scripts/npm-ci
./scripts/ensure-redis

go vet ./...

if [ $# -eq 0 ]; then
	set -- ./...
fi
exec go test -race -timeout 30m "$@"

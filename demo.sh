#!/usr/bin/env bash
# Runs the caddy-pluv demo with one command, from a fresh clone with Go, Node (>= 20) and npm:
# installs the pinned npm packages, builds the demo page and ./caddy (with the plugin from this
# tree), starts the demo token app, then runs Caddy on testdata/Caddyfile in the foreground.
# Ctrl-C stops Caddy and the token app. Open http://localhost:8080 in two windows.
#
# Environment: PLUV_PORT (8080), TOKENAPP_PORT (8081), PLUV_ADMIN_PORT (2019),
# PLUV_DATA (./data), PLUV_SECRET (a demo value), SKIP_BUILD=1 to reuse an existing ./caddy.
set -euo pipefail

cd "$(dirname "$0")"

die() {
	echo "demo.sh: $*" >&2
	exit 1
}

for tool in go node npm; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
	die "Node >= 20 is needed (found $(node --version))"

export PLUV_PORT="${PLUV_PORT:-8080}"
export TOKENAPP_PORT="${TOKENAPP_PORT:-8081}"
export PLUV_ADMIN_PORT="${PLUV_ADMIN_PORT:-2019}"
export PLUV_DATA="${PLUV_DATA:-./data}"
if [[ -z ${PLUV_SECRET:-} ]]; then
	export PLUV_SECRET="caddy-pluv-demo-secret-not-for-production"
	echo "demo.sh: PLUV_SECRET not set; using the demo secret (fine for a local demo only)"
fi

./scripts/npm-ci

node js/build-demo.mjs

if [[ ${SKIP_BUILD:-} == 1 && -x ./caddy ]]; then
	echo "demo.sh: SKIP_BUILD=1, reusing ./caddy"
else
	echo "demo.sh: building ./caddy with xcaddy (the first build downloads modules)"
	./xcaddy.sh
fi

node js/tokenapp/server.mjs &
tokenapp=$!

./caddy run --config testdata/Caddyfile --adapter caddyfile &
caddy=$!

stop() {
	kill -TERM "$caddy" 2>/dev/null || true
}
trap stop INT TERM

echo "demo.sh: open http://localhost:$PLUV_PORT in two windows (Ctrl-C stops everything)"
status=0
while kill -0 "$caddy" 2>/dev/null; do
	if wait "$caddy"; then status=0; else status=$?; fi
done
kill -TERM "$tokenapp" 2>/dev/null || true
wait "$tokenapp" 2>/dev/null || true
exit "$status"

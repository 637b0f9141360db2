#!/usr/bin/env bash
# End-to-end tests with heavy peers (interop/, a module of its own):
# ACME through Let's Encrypt's test server Pebble. Installs pebble and
# pebble-challtestsrv (PEBBLE_VERSION, default v2.10.3) into a temporary
# GOBIN when they are not on PATH, points PEBBLE_DIR at the Pebble module
# source (for its test CA), and runs `cd interop && go test ./...` with
# CI=true, so that nothing there may skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export CI=true

PEBBLE_VERSION=${PEBBLE_VERSION:-v2.10.3}
mod=github.com/letsencrypt/pebble/v2

if ! command -v pebble >/dev/null || ! command -v pebble-challtestsrv >/dev/null; then
	gobin=$(mktemp -d)
	trap 'rm -rf "$gobin"' EXIT
	echo "installing pebble and pebble-challtestsrv $PEBBLE_VERSION into $gobin"
	GOBIN=$gobin go install "$mod/cmd/pebble@$PEBBLE_VERSION" "$mod/cmd/pebble-challtestsrv@$PEBBLE_VERSION"
	export PATH="$gobin:$PATH"
fi
PEBBLE_DIR=$(go mod download -json "$mod@$PEBBLE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ ! -f "$PEBBLE_DIR/test/certs/pebble.minica.pem" ]; then
	echo "interop: cannot find Pebble's test CA in the module source ($PEBBLE_DIR)" >&2
	exit 1
fi
export PEBBLE_DIR

cd interop
go vet ./...
go test -count=1 ./...

#!/usr/bin/env bash
# Installs testssl.sh (https://testssl.sh/, Debian package testssl.sh) if it
# is missing, for scanner_test.go, and prints its version. Under CI=true the
# scanner test fails when testssl.sh is missing; elsewhere it skips.
#
#   .ci/testssl.sh            install if missing (apt-get), print the version
#
# testssl.sh needs openssl, bash and coreutils' timeout; the Debian package
# brings its dependencies. The binary is "testssl" on Debian and
# "testssl.sh" elsewhere; TESTSSL=/path/to/testssl.sh overrides both.
set -euo pipefail

find_testssl() {
	if [ -n "${TESTSSL:-}" ]; then
		command -v "$TESTSSL" && return 0
		return 1
	fi
	command -v testssl || command -v testssl.sh
}

if ! bin=$(find_testssl); then
	if ! command -v apt-get >/dev/null; then
		echo "testssl.sh is missing and there is no apt-get here: install it from https://testssl.sh/ and put it on PATH (or set TESTSSL)" >&2
		exit 1
	fi
	sudo=
	if [ "$(id -u)" != 0 ]; then
		sudo=sudo
	fi
	echo "installing: testssl.sh"
	# apt and dpkg are verbose even with -qq: their log is shown only on
	# failure.
	log=$(mktemp)
	if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq testssl.sh; } >"$log" 2>&1; then
		echo "installing testssl.sh failed:" >&2
		tail -n 50 "$log" >&2
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
	bin=$(find_testssl)
fi
# Prints the line with the version, e.g. "testssl 3.0.8 from https://testssl.sh/".
"$bin" --version 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | grep -m1 -E 'testssl(\.sh)? +[0-9]' || echo "$bin"

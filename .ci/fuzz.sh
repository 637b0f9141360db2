#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a bounded time, one after the
# other: for each package, `go test -list` finds its Fuzz functions, and each
# is run alone with
#
#   go test -run '^$' -fuzz '^Name$' -fuzztime $FUZZTIME ./pkg
#
# Environment:
#   FUZZTIME   time per target (default 10s; CI may give 20s)
#   FUZZPKGS   packages to look in (default ./...)
#   FUZZKEEP   if 1, copy the corpus the fuzzer built (kept in GOCACHE/fuzz)
#              into each package's testdata/fuzz/<Name>, to commit what it
#              found. A failing input is written there by go test anyway.
#
# The seed corpus under testdata/fuzz also runs as ordinary test cases in
# `go test ./...`; this script adds the coverage-guided search. It stops at
# the first target that fails and prints the go test command to reproduce.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

FUZZTIME=${FUZZTIME:-10s}
FUZZPKGS=${FUZZPKGS:-./...}
FUZZKEEP=${FUZZKEEP:-0}
module=$(go list -m)
cache=$(go env GOCACHE)/fuzz

n=0
start=$SECONDS
for pkg in $(go list $FUZZPKGS); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	# -list prints the matching names, then "ok <pkg> <time>".
	targets=$(go test -list '^Fuzz' "$pkg" | grep -E '^Fuzz[A-Za-z0-9_]*$' || true)
	for name in $targets; do
		n=$((n + 1))
		echo "== $pkg $name (fuzztime $FUZZTIME)"
		if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"; then
			echo "FAIL: $pkg $name; the failing input is in ${dir#"$PWD"/}/testdata/fuzz/$name/" >&2
			echo "reproduce: go test -run '^${name}\$' $pkg" >&2
			exit 1
		fi
		if [ "$FUZZKEEP" = 1 ] && [ -d "$cache/$pkg/$name" ]; then
			mkdir -p "$dir/testdata/fuzz/$name"
			# Corpus files are named by their content's hash: copying
			# never overwrites a different input.
			cp -n "$cache/$pkg/$name"/* "$dir/testdata/fuzz/$name/" 2>/dev/null || true
			echo "kept $(ls "$dir/testdata/fuzz/$name" | wc -l) inputs in ${dir#"$PWD"/}/testdata/fuzz/$name"
		fi
	done
done
if [ "$n" = 0 ]; then
	echo "no fuzz targets found in $module ($FUZZPKGS)" >&2
	exit 1
fi
echo "fuzzed $n targets for $FUZZTIME each in $((SECONDS - start))s"

#!/usr/bin/env bash
# Runs every Go fuzz target of the module for a bounded time, one after the
# other. Each package with fuzz targets is compiled once, with the fuzzing
# instrumentation (`go test -c -fuzz=.`), and its test binary runs each
# target alone, from the package directory (where testdata/fuzz is):
#
#   pkg.test -test.run '^$' -test.fuzz '^Name$' -test.fuzztime $FUZZTIME \
#       -test.fuzzcachedir $GOCACHE/fuzz/<import path>
#
# so that the step costs about its fuzzing time plus one build per package.
#
# Environment:
#   FUZZTIME   time per target (default 10s; CI gives 15s)
#   FUZZBUDGET total seconds for all targets (optional): FUZZTIME is
#              lowered, to no less than 5s, when the targets would take longer
#   FUZZPKGS   packages to look in (default ./...)
#   FUZZKEEP   if 1, copy the corpus the fuzzer built (kept in GOCACHE/fuzz)
#              into each package's testdata/fuzz/<Name>, to commit what it
#              found. A failing input is written there anyway.
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
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

# Packages whose test files mention a fuzz target; the binary lists them.
pkgs=$(go list -f '{{.ImportPath}} {{.Dir}}{{range .TestGoFiles}} {{.}}{{end}}{{range .XTestGoFiles}} {{.}}{{end}}' $FUZZPKGS |
	while read -r pkg dir files; do
		[ -n "$files" ] || continue
		(cd "$dir" && grep -l -E '^func Fuzz[A-Za-z0-9_]*\(' $files >/dev/null 2>&1) && echo "$pkg"
	done || true)

# Build each package once and list its targets.
start=$SECONDS
runs=() # "pkg dir binary target"
for pkg in $pkgs; do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	test="$bin/$(echo "$pkg" | tr / _).test"
	t0=$SECONDS
	go test -c -fuzz=. -o "$test" "$pkg"
	targets=$(cd "$dir" && "$test" -test.list '^Fuzz' | grep -E '^Fuzz[A-Za-z0-9_]*$' || true)
	echo "== $pkg: built in $((SECONDS - t0))s;" $targets
	for name in $targets; do
		runs+=("$pkg $dir $test $name")
	done
done
n=${#runs[@]}
if [ -n "${FUZZBUDGET:-}" ] && [ "$n" -gt 0 ]; then
	# A total budget in seconds: FUZZTIME is lowered (never below 5s) so
	# that the targets together take about FUZZBUDGET.
	want=${FUZZTIME%s}
	per=$((FUZZBUDGET / n))
	if [ "$per" -lt 5 ]; then per=5; fi
	if [[ "$want" =~ ^[0-9]+$ ]] && [ "$per" -lt "$want" ]; then
		echo "== $n targets in a budget of ${FUZZBUDGET}s: ${per}s each instead of $FUZZTIME"
		FUZZTIME=${per}s
	fi
fi

for run in "${runs[@]}"; do
	read -r pkg dir test name <<<"$run"
	echo "== $pkg $name (fuzztime $FUZZTIME)"
	out=$(mktemp)
	before=$(ls "$dir/testdata/fuzz/$name" 2>/dev/null | wc -l)
	if ! (cd "$dir" && "$test" -test.run '^$' -test.fuzz "^${name}\$" -test.fuzztime "$FUZZTIME" \
		-test.fuzzcachedir "$cache/$pkg") 2>&1 | tee "$out"; then
		after=$(ls "$dir/testdata/fuzz/$name" 2>/dev/null | wc -l)
		# Go's fuzzing engine sometimes ends a run at its deadline with
		# "context deadline exceeded" and no failing input (a worker
		# still starting on a loaded machine): that is not a finding. Any
		# run that wrote a failing input is one.
		if [ "$after" = "$before" ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
			echo "note: $pkg $name ended at its deadline without a failing input (Go fuzzing engine), not a finding"
		else
			rm -f "$out"
			echo "FAIL: $pkg $name; the failing input is in ${dir#"$PWD"/}/testdata/fuzz/$name/" >&2
			echo "reproduce: go test -run '^${name}\$' $pkg" >&2
			exit 1
		fi
	fi
	rm -f "$out"
	if [ "$FUZZKEEP" = 1 ] && [ -d "$cache/$pkg/$name" ]; then
		mkdir -p "$dir/testdata/fuzz/$name"
		# Corpus files are named by their content's hash: copying
		# never overwrites a different input.
		cp -n "$cache/$pkg/$name"/* "$dir/testdata/fuzz/$name/" 2>/dev/null || true
		echo "kept $(ls "$dir/testdata/fuzz/$name" | wc -l) inputs in ${dir#"$PWD"/}/testdata/fuzz/$name"
	fi
done
if [ "$n" = 0 ]; then
	echo "no fuzz targets found in $module ($FUZZPKGS)" >&2
	exit 1
fi
echo "fuzzed $n targets for $FUZZTIME each in $((SECONDS - start))s"

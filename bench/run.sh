#!/usr/bin/env bash
# Runs the benchmarks behind BENCHMARKS.md and summarises them with
# benchstat (pinned in go.mod as a tool) and cmd/benchreport (the targets).
#
# Usage: bench/run.sh [BENCH_REGEXP]
#   ROUNDS=6        samples per benchmark (benchstat wants at least 6)
#   BENCHTIME=300ms go test -benchtime of the per-implementation benchmarks
#                   (BenchmarkP1Handshake ... BenchmarkP6ServerLoad)
#   PAIRED_BENCHTIME=1s  that of BenchmarkPaired, whose ratios the verdicts use
#   INTERLEAVE=1    1: ROUNDS runs of `go test -count 1`, so that every
#                   implementation is sampled in every round and a change
#                   of load on a shared machine hits them alike;
#                   0: one `go test -count $ROUNDS` (each benchmark's
#                   samples back to back)
#   OUT=results     where raw.txt, benchstat.txt and report.md go
# The whole run takes about 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
BENCH=${1:-}
ROUNDS=${ROUNDS:-6}
BENCHTIME=${BENCHTIME:-300ms}
PAIRED_BENCHTIME=${PAIRED_BENCHTIME:-1s}
INTERLEAVE=${INTERLEAVE:-1}
OUT=${OUT:-results}
mkdir -p "$OUT"
raw=$OUT/raw.txt

go vet ./...
{
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "nproc: $(nproc)"
	echo "cpu-model: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
	echo "go: $(go version)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "rounds: $ROUNDS x -benchtime $BENCHTIME (paired $PAIRED_BENCHTIME), interleave $INTERLEAVE"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# bench COUNT: one pass over the benchmarks, each COUNT times.
bench() {
	if [ -n "$BENCH" ]; then
		go test -run '^$' -bench "$BENCH" -benchmem -benchtime "$BENCHTIME" -count "$1" .
		return
	fi
	go test -run '^$' -bench '^BenchmarkP[0-9]' -benchmem -benchtime "$BENCHTIME" -count "$1" .
	go test -run '^$' -bench '^BenchmarkPaired$' -benchmem -benchtime "$PAIRED_BENCHTIME" -count "$1" . | grep -v '^PASS$\|^ok \|^goos:\|^goarch:\|^pkg:\|^cpu:'
}
cp "$OUT/machine.txt" "$raw"
if [ "$INTERLEAVE" = 1 ]; then
	for r in $(seq "$ROUNDS"); do
		echo "== round $r/$ROUNDS" >&2
		bench 1 | tee -a "$raw"
	done
else
	bench "$ROUNDS" | tee -a "$raw"
fi

stat() { go tool benchstat "$@" "$raw"; }
{
	echo "### P1: tlsdefault vs stdlib (same certificate and group)"
	stat -filter '.name:P1Handshake /impl:(stdlib OR tlsdefault)' -col '/impl@(stdlib tlsdefault)'
	echo
	echo "### P1: tlsdefault vs the crypto floor"
	stat -filter '.name:P1Handshake /impl:(floor OR tlsdefault)' -col '/impl@(floor tlsdefault)'
	echo
	echo "### P2, P3: http.DefaultTransport clone, go-cleanhttp, tlsdefault.NewClient"
	stat -filter '.name:(P2NewConn OR P3KeepAlive)' -col '/impl@(stdlib cleanhttp tlsdefault)'
	echo
	echo "### P4: go-rootcerts LoadCAPath vs capool hashed capath"
	stat -filter '.name:P4CAPath' -col '/impl@(gorootcerts capool)'
	echo
	echo "### P5: AppendCertsFromPEM vs capool cafile"
	stat -filter '.name:P5CAFile' -col '/impl@(stdlib capool)'
	echo
	echo "### P6: tls.Listen vs tlsdefault.Listen, 2 clients"
	stat -filter '.name:P6ServerLoad' -col '/impl@(stdlib tlsdefault)'
	echo
	echo "### Paired benchmarks (each implementation timed in turn within every iteration)"
	stat -filter '.name:Paired'
} >"$OUT/benchstat.txt" 2>&1
go run ./cmd/benchreport "$raw" >"$OUT/report.md"
cat "$OUT/report.md"
echo "benchstat tables: $OUT/benchstat.txt" >&2

#!/usr/bin/env bash
# Hashed capath at 100, 1,000 and 10,000 CAs: tlsdefault (ClientConfig with
# tls.Dial, and NewClient with its dialler) beside
# Python's ssl.create_default_context(capath=...) (OpenSSL), in the same run,
# with Go's floor for reference (crypto/tls verifying with an x509.CertPool
# of the one CA that issued the leaf: no capath, no library).
# Each measurement is a fresh process (capathbench client / capath_peer.py):
# opening the capath plus the extra time of the first verifying handshake
# over a handshake in the same process that verifies nothing. Sides
# alternate; the figures are medians of ROUNDS runs.
# Usage: bench/capath.sh        ROUNDS=9 (default) COUNTS="100 1000 10000"
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-9}
COUNTS=${COUNTS:-"100 1000 10000"}
command -v python3 >/dev/null || { echo "capath.sh: python3 not found" >&2; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/capathbench" ./cmd/capathbench
# shellcheck disable=SC2086
"$tmp/capathbench" gen "$tmp" $COUNTS
mkfifo "$tmp/hold"
"$tmp/capathbench" serve "$tmp" <"$tmp/hold" >"$tmp/addr" &
pid=$!
exec 3>"$tmp/hold"
for _ in $(seq 50); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
addr=$(cat "$tmp/addr")

echo "# hashed capath: open + (first verifying handshake - handshake verifying nothing), fresh process each, median of $ROUNDS"
echo "# $(nproc) cores, $(go version | cut -d' ' -f3), $(python3 -c 'import ssl,sys; print("Python", sys.version.split()[0], ssl.OPENSSL_VERSION)')"
for n in $COUNTS; do
	: >"$tmp/go-$n" ; : >"$tmp/nc-$n" ; : >"$tmp/py-$n" ; : >"$tmp/st-$n"
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then
			"$tmp/capathbench" client "$tmp/capath-$n" "$addr" >>"$tmp/go-$n"
			"$tmp/capathbench" newclient "$tmp/capath-$n" "$addr" >>"$tmp/nc-$n"
			python3 capath_peer.py "$tmp/capath-$n" "$addr" >>"$tmp/py-$n"
			"$tmp/capathbench" stdlib "$tmp/ca.pem" "$addr" >>"$tmp/st-$n"
		else
			"$tmp/capathbench" stdlib "$tmp/ca.pem" "$addr" >>"$tmp/st-$n"
			python3 capath_peer.py "$tmp/capath-$n" "$addr" >>"$tmp/py-$n"
			"$tmp/capathbench" newclient "$tmp/capath-$n" "$addr" >>"$tmp/nc-$n"
			"$tmp/capathbench" client "$tmp/capath-$n" "$addr" >>"$tmp/go-$n"
		fi
	done
done
python3 - "$tmp" $COUNTS <<'PY'
import statistics, sys
tmp, counts = sys.argv[1], sys.argv[2:]
def med(path):
    rows = [list(map(int, l.split())) for l in open(path) if l.strip()]
    opened = statistics.median(r[0] for r in rows)
    extra = statistics.median(r[1] - r[2] for r in rows)
    cost = statistics.median(r[0] + r[1] - r[2] for r in rows)
    return opened / 1e6, extra / 1e6, cost / 1e6
res = {}
SIDES = (("go", "ClientConfig"), ("nc", "NewClient"), ("py", "python3"), ("st", "Go floor"))
print("%-7s %-10s %10s %12s %10s" % ("CAs", "side", "open ms", "extra hs ms", "cost ms"))
for n in counts:
    for side, name in SIDES:
        o, e, c = med("%s/%s-%s" % (tmp, side, n))
        res[(side, n)] = c
        print("%-7s %-10s %10.3f %12.3f %10.3f" % (n, name, o, e, c))
lo, hi = counts[0], counts[-1]
for side, name in SIDES:
    print("%s: cost at %s CAs / at %s CAs = %.2f" % (name, hi, lo, res[(side, hi)] / res[(side, lo)]))
for n in counts:
    for side, name in SIDES[:2] + SIDES[3:]:
        print("%s CAs: python3 cost / %s cost = %.2f" % (n, name, res[("py", n)] / res[(side, n)]))
PY

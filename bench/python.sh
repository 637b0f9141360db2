#!/usr/bin/env bash
# Times Python's ssl.create_default_context peers against the same Go
# servers and clients the benchmarks use, for context (not a target):
#   python3 client -> tlsdefault.Listen, python3 client -> tls.Listen,
#   tlsdefault.ClientConfig and a stdlib client -> python3 server,
#   and the Go clients against the Go servers, with the group Python can
#   negotiate (X25519 with OpenSSL 3.0-3.4) and with Go's default.
# Usage: bench/python.sh [N]   (N full handshakes per line, default 2000)
set -euo pipefail
cd "$(dirname "$0")"
N=${1:-2000}
command -v python3 >/dev/null || { echo "python.sh: python3 not found" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/pypeer" ./cmd/pypeer

# Go servers for the Python client.
mkfifo "$tmp/hold"
"$tmp/pypeer" serve "$tmp" <"$tmp/hold" >"$tmp/addrs" &
pids+=($!)
exec 3>"$tmp/hold" # keeps the servers up until this script exits
for _ in $(seq 50); do [ -s "$tmp/addrs" ] && [ "$(wc -l <"$tmp/addrs")" -ge 2 ] && break; sleep 0.1; done
ours=$(awk '$1=="tlsdefault"{print $2}' "$tmp/addrs")
std=$(awk '$1=="stdlib"{print $2}' "$tmp/addrs")

# Python server for the Go clients.
python3 peer.py server "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/pyaddr" &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/pyaddr" ] && break; sleep 0.1; done
py=$(cat "$tmp/pyaddr")

echo "# $N full TLS 1.3 handshakes each, ECDSA P-256 leaf, loopback, one at a time"
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3-), $(python3 -c 'import ssl,sys; print("Python", sys.version.split()[0], ssl.OPENSSL_VERSION)')"
printf '%-58s ' "python3 create_default_context -> tlsdefault.Listen"; python3 peer.py client "$tmp/ca.pem" "$ours" "$N"
printf '%-58s ' "python3 create_default_context -> tls.Listen"; python3 peer.py client "$tmp/ca.pem" "$std" "$N"
"$tmp/pypeer" dial "$tmp/ca.pem" "$py" "$N"
echo "# Go against Go, X25519 (what OpenSSL 3.0 negotiates with Python):"
"$tmp/pypeer" self "$N" X25519
echo "# Go against Go, Go's default (X25519MLKEM768):"
"$tmp/pypeer" self "$N" default

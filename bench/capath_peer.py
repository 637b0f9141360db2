#!/usr/bin/env python3
"""Python side of capath.sh: in a fresh process, what a hashed capath costs
Python's ssl (OpenSSL's lazy by_dir lookup): opening it
(ssl.create_default_context(capath=...)) plus the extra time of the first
verifying handshake over a handshake in the same process that verifies
nothing.

    capath_peer.py CAPATH ADDR    print "open_ns verify_hs_ns plain_hs_ns"
"""
import socket
import ssl
import sys
import time


def handshake(ctx, host, port):
    start = time.perf_counter_ns()
    with socket.create_connection((host, port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost"):
            pass
    return time.perf_counter_ns() - start


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    capath, addr = sys.argv[1], sys.argv[2]
    host, port = addr.rsplit(":", 1)
    port = int(port)
    plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    plain.check_hostname = False
    plain.verify_mode = ssl.CERT_NONE  # verifies nothing: the baseline
    # The baseline is the median of four handshakes after a first one
    # that warms the process.
    hss = [handshake(plain, host, port) for _ in range(5)][1:]
    hss.sort()
    base = (hss[1] + hss[2]) // 2
    start = time.perf_counter_ns()
    ctx = ssl.create_default_context(capath=capath)
    opened = time.perf_counter_ns() - start
    hs = handshake(ctx, host, port)
    print(opened, hs, base)


if __name__ == "__main__":
    main()

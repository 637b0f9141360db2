#!/usr/bin/env python3
"""Python side of python.sh: ssl.create_default_context peers.

    peer.py client CAFILE ADDR N     time N full handshakes against a Go server
    peer.py server CERT KEY          serve; print the address; one handshake
                                     at a time, then close

Each client handshake reads until the server has closed, so a timing covers
both sides. No session is resumed (Python reuses a session only when given
session=).
"""
import socket
import ssl
import sys
import time


def client(cafile, addr, n):
    host, port = addr.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=cafile)

    def once():
        with socket.create_connection((host, int(port))) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                try:
                    while tls.recv(1):
                        pass
                except (ConnectionResetError, ssl.SSLEOFError):
                    pass
                return tls.version()

    version = once()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        once()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return version, wall, cpu


def server(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    ln = socket.socket()
    ln.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ln.bind(("127.0.0.1", 0))
    ln.listen(128)
    print("%s:%d" % ln.getsockname(), flush=True)
    while True:
        raw, _ = ln.accept()
        try:
            with ctx.wrap_socket(raw, server_side=True) as tls:
                pass
        except (OSError, ssl.SSLError):
            raw.close()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "client":
        n = int(sys.argv[4])
        version, wall, cpu = client(sys.argv[2], sys.argv[3], n)
        print("%8.0f handshakes/s  %7.0f µs/handshake  (python3 CPU %4.0f µs/handshake; %s, %s)"
              % (n / wall, wall / n * 1e6, cpu / n * 1e6, version, ssl.OPENSSL_VERSION))
    elif len(sys.argv) == 4 and sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()

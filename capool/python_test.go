package capool

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
)

// TestHashedCAPathLikePython checks that a CA found only through a hashed
// capath directory is trusted both by a Go client verifying with
// Pool.Verify and by Python's ssl module with capath.
func TestHashedCAPathLikePython(t *testing.T) {
	root := newCA(t, "Python Parity Root")
	leaf := root.issue(t, "localhost", false)
	dir := hashedOnlyDir(t, root)
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.list()) != 0 {
		t.Fatalf("CA read eagerly (%d); the test wants it found by hash only", len(p.list()))
	}

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.cert.Raw}, PrivateKey: leaf.key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.(*tls.Conn).Handshake()
				c.Write([]byte("ok"))
			}()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)

	// Go client: verification through the pool, as the root package does.
	conn, err := tls.Dial("tcp", addr.String(), &tls.Config{
		ServerName:         "localhost",
		InsecureSkipVerify: true, // verification is done below, by the pool
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no certificate")
			}
			_, err := p.Verify(cs.PeerCertificates[0], cs.PeerCertificates[1:], x509.VerifyOptions{DNSName: cs.ServerName})
			return err
		},
	})
	if err != nil {
		t.Fatalf("Go client: %v", err)
	}
	conn.Close()

	python := peer(t, "python3")
	script := `
import socket, ssl, sys
ctx = ssl.create_default_context(capath=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2]))) as s:
    with ctx.wrap_socket(s, server_hostname="localhost") as t:
        print("verified", t.version())
`
	out, err := exec.Command(python, "-c", script, dir, itoa(addr.Port)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verified") {
		t.Fatalf("python3 ssl with capath: %v\n%s", err, out)
	}
}

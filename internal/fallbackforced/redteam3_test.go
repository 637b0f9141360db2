//go:debug x509usefallbackroots=1

package fallbackforced_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "golang.org/x/crypto/x509roots/fallback" // what a program for a scratch container imports

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// TestRedteam3ForcedFallbackRoots: with SSL_CERT_FILE naming the store
// the operator chose (here one private CA), the default client must
// trust that store (SECURITY.md: "With no trust option, the system
// store"; the embedded Mozilla roots only "where the system has no store
// and neither variable is set"). GODEBUG x509usefallbackroots=1 in a
// program that registers x509roots/fallback makes x509.SystemCertPool,
// which capool.System reads, return the Mozilla roots instead: the
// private CA is no longer trusted and every public CA is, with the pool
// still described as the system store and no error or warning.
func TestRedteam3ForcedFallbackRoots(t *testing.T) {
	ca := testpki.NewCA(t)
	file := ca.WriteFile(t, t.TempDir(), "private.pem")
	t.Setenv("SSL_CERT_FILE", file)
	t.Setenv("SSL_CERT_DIR", filepath.Join(t.TempDir(), "none"))
	os.Mkdir(os.Getenv("SSL_CERT_DIR"), 0o755)
	cfg, err := tlsdefault.ClientConfig()
	if err != nil {
		if !strings.Contains(err.Error(), "x509usefallbackroots=1") || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
			t.Fatalf("refused, but the error does not name the setting and the variable: %v", err)
		}
		return
	}
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}}
	cli, sv := pipe(t)
	errc := make(chan error, 1)
	go func() { errc <- tls.Server(sv, srv).Handshake() }()
	c := cfg.Clone()
	c.ServerName = "localhost"
	cerr := tls.Client(cli, c).Handshake()
	cli.Close()
	<-errc
	if cerr != nil {
		t.Errorf("the default client, SSL_CERT_FILE=%s (one private CA), GODEBUG x509usefallbackroots=1 with x509roots/fallback registered: the private CA's server is refused (%v): the trust store was silently replaced (by the embedded Mozilla roots that x509roots/fallback registers) (RootCAs is not the pool of %s: %v)", file, cerr, file, !cfg.RootCAs.Equal(ca.Pool()))
	}
}

// pipe is a connected pair of loopback TCP connections.
func pipe(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	client.SetDeadline(time.Now().Add(10 * time.Second))
	server.SetDeadline(time.Now().Add(10 * time.Second))
	return client, server
}

// Without SSL_CERT_FILE or SSL_CERT_DIR, GODEBUG x509usefallbackroots=1
// asks for the fallback roots: the system store is the embedded Mozilla
// roots (the data x509roots/fallback registers), described as such, and
// listed.
func TestFallbackRootsDescribed(t *testing.T) {
	t.Setenv("SSL_CERT_FILE", "")
	t.Setenv("SSL_CERT_DIR", "")
	p, err := capool.System()
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Describe(); !strings.Contains(d, "x509usefallbackroots=1") || !strings.Contains(d, "Mozilla") {
		t.Errorf("described as %q", d)
	}
	if n := p.Len(); n < 100 {
		t.Errorf("%d certificates listed; want the embedded Mozilla roots", n)
	}
}

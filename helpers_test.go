package tlsdefault_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// handshake runs one real handshake over loopback TCP between a client and
// a server config and returns the client's view of the connection and the
// first error of either side (client first).
func handshake(t *testing.T, client, server *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	serr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			serr <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(c, server)
		err = tc.Handshake()
		if err == nil {
			// Let the client read a byte so that TLS 1.3 client
			// certificate failures surface on the client too.
			_, err = tc.Write([]byte("x"))
		}
		serr <- err
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	cfg := client.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
	}
	tc := tls.Client(raw, cfg)
	cerr := tc.Handshake()
	if cerr == nil {
		var b [1]byte
		_, cerr = io.ReadFull(tc, b[:])
	}
	se := <-serr
	if cerr != nil {
		return tc.ConnectionState(), cerr
	}
	return tc.ConnectionState(), se
}

// serveHTTPS serves h over TLS with a plain crypto/tls listener (a peer
// that is not built with this package) and returns its address.
func serveHTTPS(t *testing.T, cfg *tls.Config, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if h == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	}
	srv := &http.Server{Handler: h, ErrorLog: quietLog(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// serveListener serves h on a listener (from tlsdefault.Listen) and returns
// its address.
func serveListener(t *testing.T, ln net.Listener, h http.Handler) string {
	t.Helper()
	if h == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	}
	srv := &http.Server{Handler: h, ErrorLog: quietLog()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func mustAs[T error](t *testing.T, err error) T {
	t.Helper()
	v, ok := errors.AsType[T](err)
	if !ok {
		var zero T
		t.Fatalf("error %v (%T) does not wrap %T", err, err, zero)
	}
	return v
}

// runChild runs one test of this binary again in a child process with extra
// environment, for settings that are read once per process.
func runChild(t *testing.T, test string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+strings.ReplaceAll(regexp.QuoteMeta(test), "/", "$/^")+"$", "-test.v")
	cmd.Env = append(append(os.Environ(), "TLSDEFAULT_CHILD=1"), env...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// syncBuffer is the package's one synchronised buffer: a bytes.Buffer that
// a logger, a server or a subprocess's output copier may write while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

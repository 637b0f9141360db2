package legacy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// recorder collects events from OnHandshake.
type recorder struct {
	mu     sync.Mutex
	events []legacy.Event
}

func (r *recorder) record(ev legacy.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) get() []legacy.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]legacy.Event(nil), r.events...)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
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

var discardLog = log.New(io.Discard, "", 0)

func hello(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }

// goServer starts a plain crypto/tls HTTPS server (not tlsdefault) with cfg
// and returns its URL.
func goServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(hello))
	ts.TLS = cfg
	ts.Config.ErrorLog = discardLog
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL
}

// oldServers are plain Go servers that the defaults refuse.
func oldServers(t *testing.T, ca *testpki.CA) []struct {
	name    string
	url     string
	version uint16
	suites  []uint16 // what the legacy client may negotiate
} {
	ec := ca.Server(t)
	rsa := ca.Issue(t, testpki.RSABits(2048))
	type srv = struct {
		name    string
		url     string
		version uint16
		suites  []uint16
	}
	return []srv{
		{"TLS1.0-only", goServer(t, &tls.Config{Certificates: []tls.Certificate{ec.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}), tls.VersionTLS10, nil},
		{"TLS1.1-only", goServer(t, &tls.Config{Certificates: []tls.Certificate{ec.TLS()}, MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}), tls.VersionTLS11, nil},
		{"RSA-kex-only", goServer(t, &tls.Config{Certificates: []tls.Certificate{rsa.TLS()}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA}}),
			tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA}},
		{"3DES-only", goServer(t, &tls.Config{Certificates: []tls.Certificate{rsa.TLS()}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}),
			tls.VersionTLS12, []uint16{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}},
		{"CBC-only", goServer(t, &tls.Config{Certificates: []tls.Certificate{ec.TLS()}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}}),
			tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}},
	}
}

// noProxy keeps a proxy from the environment out of the tests.
func noProxy(t *testing.T, c *http.Client) *http.Client {
	t.Helper()
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T, want *http.Transport", c.Transport)
	}
	tr.Proxy = nil
	return c
}

func newClient(t *testing.T, opts ...tlsdefault.Option) *http.Client {
	t.Helper()
	c, err := tlsdefault.NewClient(opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return noProxy(t, c)
}

func get(c *http.Client, u string) (*http.Response, error) {
	resp, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// wantLegacyRefusal checks that err is a handshake error through NewClient
// that names package legacy.
func wantLegacyRefusal(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("connected; want the handshake refused")
	}
	if _, ok := errors.AsType[*url.Error](err); !ok {
		t.Errorf("error is %T, want *url.Error: %v", err, err)
	}
	he, ok := errors.AsType[*tlsdefault.HandshakeError](err)
	if !ok {
		t.Fatalf("error does not contain a *tlsdefault.HandshakeError: %v", err)
	}
	if !strings.Contains(he.Error(), "legacy") {
		t.Errorf("handshake error does not name package legacy: %v", he)
	}
	t.Logf("refused: %v", err)
}

func TestClientRefusesOldServersByDefault(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, s := range oldServers(t, ca) {
		t.Run(s.name, func(t *testing.T) {
			c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()))
			_, err := get(c, s.url)
			wantLegacyRefusal(t, err)
		})
	}
}

func TestAllowConnectsToOldServers(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, s := range oldServers(t, ca) {
		t.Run(s.name, func(t *testing.T) {
			var rec recorder
			var n legacy.Counter
			c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()),
				legacy.Allow(legacy.Quiet(), legacy.OnHandshake(rec.record), legacy.Observe(&n)))
			resp, err := get(c, s.url)
			if err != nil {
				t.Fatalf("legacy.Allow: %v", err)
			}
			if resp.TLS == nil {
				t.Fatal("no TLS state in the response")
			}
			if resp.TLS.Version != s.version {
				t.Errorf("negotiated %s, want %s", tls.VersionName(resp.TLS.Version), tls.VersionName(s.version))
			}
			if s.suites != nil && !slices.Contains(s.suites, resp.TLS.CipherSuite) {
				t.Errorf("negotiated %s, want one of the server's suites", tls.CipherSuiteName(resp.TLS.CipherSuite))
			}
			evs := rec.get()
			if len(evs) != 1 {
				t.Fatalf("OnHandshake called %d times, want 1: %v", len(evs), evs)
			}
			ev := evs[0]
			if ev.Side != "client" || ev.Host != "127.0.0.1" || ev.Version != resp.TLS.Version || ev.CipherSuite != resp.TLS.CipherSuite || ev.Time.IsZero() {
				t.Errorf("event = %+v; want client, 127.0.0.1, %s, %s", ev, tls.VersionName(resp.TLS.Version), tls.CipherSuiteName(resp.TLS.CipherSuite))
			}
			if n.Count() != 1 {
				t.Errorf("Counter.Count = %d, want 1", n.Count())
			}
			if last, ok := n.Last(); !ok || last.CipherSuite != ev.CipherSuite {
				t.Errorf("Counter.Last = %v, %v", last, ok)
			}
			if p := n.Peers()["127.0.0.1"]; p.Count != 1 {
				t.Errorf("Counter.Peers = %v, want one handshake with 127.0.0.1", n.Peers())
			}
		})
	}
}

func TestModernHandshakesAreNotReported(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t)
	tls13 := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}})
	tls12 := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MaxVersion: tls.VersionTLS12})
	var rec recorder
	var n legacy.Counter
	warn := &syncBuffer{}
	c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()),
		legacy.Allow(legacy.WarnTo(warn), legacy.OnHandshake(rec.record), legacy.Observe(&n)))
	for _, tc := range []struct {
		url     string
		version uint16
	}{{tls13, tls.VersionTLS13}, {tls12, tls.VersionTLS12}} {
		resp, err := get(c, tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tls.VersionName(tc.version), err)
		}
		if resp.TLS.Version != tc.version {
			t.Errorf("negotiated %s, want %s", tls.VersionName(resp.TLS.Version), tls.VersionName(tc.version))
		}
	}
	if evs := rec.get(); len(evs) != 0 {
		t.Errorf("OnHandshake called for modern handshakes: %v", evs)
	}
	if n.Count() != 0 {
		t.Errorf("Counter.Count = %d, want 0", n.Count())
	}
	if _, ok := n.Last(); ok {
		t.Error("Counter.Last reports an event")
	}
	if warn.String() != "" {
		t.Errorf("warning for modern handshakes: %q", warn.String())
	}
}

func TestWarningOncePerPeer(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test", "other.test")
	u := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
	warn := &syncBuffer{}
	c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.WarnTo(warn)))
	redirect(t, c, map[string]string{"old.test": hostPort(t, u), "other.test": hostPort(t, u)})
	for _, host := range []string{"old.test", "old.test", "other.test", "old.test"} {
		c.CloseIdleConnections() // a new handshake each time
		if _, err := get(c, "https://"+host+"/"); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(warn.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one warning for each of 2 peers, got %d:\n%s", len(lines), warn.String())
	}
	for i, host := range []string{"old.test", "other.test"} {
		if !strings.Contains(lines[i], host) || !strings.Contains(lines[i], "TLS 1.0") || !strings.Contains(lines[i], "legacy") {
			t.Errorf("warning %d = %q; want the host %s, TLS 1.0 and legacy", i, lines[i], host)
		}
	}
}

func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// redirect makes c's transport dial addrs[host] for those host names, so
// that names with a certificate can be served on loopback.
func redirect(t *testing.T, c *http.Client, addrs map[string]string) {
	t.Helper()
	tr := c.Transport.(*http.Transport)
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		to, ok := addrs[host]
		if !ok {
			return nil, errors.New("test: no address for " + host)
		}
		return d.DialContext(ctx, network, to)
	}
}

func TestForHostsClient(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test", "new.test", "a.old.example", "modern.test")
	tls10 := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}))
	modern := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}}))
	var n legacy.Counter
	c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()),
		legacy.Allow(legacy.ForHosts("old.test", "*.old.example"), legacy.Quiet(), legacy.Observe(&n)))
	redirect(t, c, map[string]string{"old.test": tls10, "new.test": tls10, "a.old.example": tls10, "modern.test": modern})

	for _, host := range []string{"old.test", "a.old.example"} {
		resp, err := get(c, "https://"+host+"/")
		if err != nil {
			t.Fatalf("%s is in scope: %v", host, err)
		}
		if resp.TLS.Version != tls.VersionTLS10 {
			t.Errorf("%s: negotiated %s, want TLS 1.0", host, tls.VersionName(resp.TLS.Version))
		}
	}
	_, err := get(c, "https://new.test/")
	wantLegacyRefusal(t, err)

	resp, err := get(c, "https://modern.test/")
	if err != nil {
		t.Fatalf("modern.test through the same client: %v", err)
	}
	if resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("modern.test: negotiated %s, want TLS 1.3", tls.VersionName(resp.TLS.Version))
	}

	peers := n.Peers()
	if n.Count() != 2 || peers["old.test"].Count != 1 || peers["a.old.example"].Count != 1 {
		t.Errorf("Counter: %d handshakes, peers %v; want one with old.test and one with a.old.example", n.Count(), peers)
	}
}

// TestForHostsClientConfig checks that ClientConfig and NewTransport, which
// return a config for any host, refuse a scope: crypto/tls cannot tell
// hosts apart before the handshake, and the only callback that sees the
// version (VerifyConnection) is one assignment away from being replaced.
// The error says what to use instead, and what it says works: a config
// with legacy.Allow() without ForHosts, used only for the old host, reaches
// it at TLS 1.0; NewClient with the scope reaches it too.
func TestForHostsClientConfig(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test", "new.test")
	addr := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}))
	scoped := []tlsdefault.Option{tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet())}
	for name, build := range map[string]func() error{
		"ClientConfig": func() error { _, err := tlsdefault.ClientConfig(scoped...); return err },
		"NewTransport": func() error { _, err := tlsdefault.NewTransport(scoped...); return err },
	} {
		err := build()
		if err == nil {
			t.Errorf("%s with legacy.ForHosts: built; want an error", name)
			continue
		}
		msg := err.Error()
		for _, want := range []string{"tlsdefault: " + name + ": legacy.ForHosts needs a client that widens per connection", "use NewClient", "legacy.Allow() without ForHosts"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s with legacy.ForHosts: error lacks %q: %s", name, want, msg)
			}
		}
	}

	// What the error says to do instead.
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ServerName = "old.test"
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("old.test with ClientConfig(legacy.Allow()): %v", err)
	}
	if v := conn.ConnectionState().Version; v != tls.VersionTLS10 {
		t.Errorf("old.test: %s, want TLS 1.0", tls.VersionName(v))
	}
	conn.Close()
	c := newClient(t, scoped...)
	redirect(t, c, map[string]string{"old.test": addr, "new.test": addr})
	if resp, err := get(c, "https://old.test/"); err != nil {
		t.Errorf("old.test with NewClient(legacy.ForHosts(old.test)): %v", err)
	} else if resp.TLS.Version != tls.VersionTLS10 {
		t.Errorf("old.test with NewClient: %s, want TLS 1.0", tls.VersionName(resp.TLS.Version))
	}
	if _, err := get(c, "https://new.test/"); err == nil {
		t.Error("new.test with NewClient(legacy.ForHosts(old.test)): reached at TLS 1.0 though out of scope")
	}
}

// --- Server side ---

// legacyServer serves HTTPS with tlsdefault.Listen and the options, and
// returns its address.
func legacyServer(t *testing.T, leaf *testpki.Leaf, opts ...tlsdefault.Option) string {
	t.Helper()
	opts = append([]tlsdefault.Option{tlsdefault.WithCertificate(leaf.TLS()), tlsdefault.WithErrorLog(discardLog)}, opts...)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(hello), ErrorLog: discardLog, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// peer finds an external program; under CI=true a missing one fails the
// test, elsewhere it skips.
func peer(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (CI=true): %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

func runPeer(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestServerOpenSSLTLS10(t *testing.T) {
	openssl := peer(t, "openssl")
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	leaf := ca.Server(t)
	s := func(addr string) (string, error) {
		return runPeer(t, openssl, "s_client", "-connect", addr, "-servername", "localhost",
			"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0", "-CAfile", caFile, "-verify_return_error", "-brief")
	}

	t.Run("Allow", func(t *testing.T) {
		var rec recorder
		addr := legacyServer(t, leaf, legacy.Allow(legacy.Quiet(), legacy.OnHandshake(rec.record)))
		out, err := s(addr)
		if err != nil {
			t.Fatalf("openssl s_client -tls1 refused by a server with legacy.Allow: %v\n%s", err, out)
		}
		if !strings.Contains(out, "TLSv1\n") && !strings.Contains(out, "TLSv1\r\n") {
			t.Errorf("openssl did not report TLSv1:\n%s", out)
		}
		waitEvents(t, &rec, 1)
		ev := rec.get()[0]
		if ev.Side != "server" || ev.Host != "localhost" || ev.RemoteAddr == "" || ev.Version != tls.VersionTLS10 {
			t.Errorf("event = %+v; want server, localhost, a remote address, TLS 1.0", ev)
		}
	})
	t.Run("default", func(t *testing.T) {
		addr := legacyServer(t, leaf)
		out, err := s(addr)
		if err == nil {
			t.Fatalf("openssl s_client -tls1 accepted by a default server:\n%s", out)
		}
		t.Logf("refused: %v\n%s", err, out)
	})
}

const pythonTLS10 = `
import socket, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.minimum_version = ssl.TLSVersion.TLSv1
ctx.maximum_version = ssl.TLSVersion.TLSv1
ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
ctx.check_hostname = False
ctx.load_verify_locations(cafile)
with socket.create_connection((host, port), timeout=10) as sock:
    with ctx.wrap_socket(sock, server_hostname="localhost") as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        print(s.version(), s.cipher()[0])
        print(data.decode().split("\r\n\r\n", 1)[-1])
`

func TestServerPythonTLS10(t *testing.T) {
	python := peer(t, "python3")
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	leaf := ca.Server(t)
	run := func(addr string) (string, error) {
		host, port, _ := net.SplitHostPort(addr)
		return runPeer(t, python, "-W", "ignore", "-c", pythonTLS10, host, port, caFile)
	}
	t.Run("Allow", func(t *testing.T) {
		var n legacy.Counter
		addr := legacyServer(t, leaf, legacy.Allow(legacy.Quiet(), legacy.Observe(&n)))
		out, err := run(addr)
		if err != nil {
			t.Fatalf("python3 pinned to TLS 1.0 refused by a server with legacy.Allow: %v\n%s", err, out)
		}
		if !strings.HasPrefix(out, "TLSv1 ") || !strings.Contains(out, "hello") {
			t.Errorf("python3 output = %q; want TLSv1 and the body", out)
		}
		if n.Count() != 1 {
			t.Errorf("Counter.Count = %d, want 1", n.Count())
		}
	})
	t.Run("default", func(t *testing.T) {
		addr := legacyServer(t, leaf)
		out, err := run(addr)
		if err == nil {
			t.Fatalf("python3 pinned to TLS 1.0 accepted by a default server:\n%s", out)
		}
		t.Logf("refused: %v\n%s", err, out)
	})
}

// waitEvents waits for the listener's handshake goroutine to report.
func waitEvents(t *testing.T, rec *recorder, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.get()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d events, want %d", len(rec.get()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dialTLS10(addr, serverName string, ca *testpki.CA) (tls.ConnectionState, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{
		RootCAs:    ca.Pool(),
		ServerName: serverName,
		MinVersion: tls.VersionTLS10,
		MaxVersion: tls.VersionTLS10,
	})
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.ConnectionState(), nil
}

func TestServerObservation(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t)
	var rec recorder
	addr := legacyServer(t, leaf, legacy.Allow(legacy.Quiet(), legacy.OnHandshake(rec.record)))

	// A modern client: not reported.
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatalf("modern client: %v", err)
	}
	if v := conn.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Errorf("modern client negotiated %s, want TLS 1.3", tls.VersionName(v))
	}
	conn.Close()

	// A TLS 1.0 client: reported.
	if _, err := dialTLS10(addr, "localhost", ca); err != nil {
		t.Fatalf("TLS 1.0 client: %v", err)
	}
	waitEvents(t, &rec, 1)
	time.Sleep(50 * time.Millisecond)
	evs := rec.get()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1 (the TLS 1.0 client only): %v", len(evs), evs)
	}
	if evs[0].Side != "server" || evs[0].Version != tls.VersionTLS10 || !strings.HasPrefix(evs[0].RemoteAddr, "127.0.0.1:") {
		t.Errorf("event = %+v", evs[0])
	}
}

func TestForHostsServer(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test", "new.test", "127.0.0.1")
	var n legacy.Counter
	addr := legacyServer(t, leaf, legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet(), legacy.Observe(&n)))

	cs, err := dialTLS10(addr, "old.test", ca)
	if err != nil {
		t.Fatalf("SNI old.test is in scope: %v", err)
	}
	if cs.Version != tls.VersionTLS10 {
		t.Errorf("old.test: %s, want TLS 1.0", tls.VersionName(cs.Version))
	}
	if _, err := dialTLS10(addr, "new.test", ca); err == nil {
		t.Error("SNI new.test is out of scope but connected at TLS 1.0")
	}
	// By IP address: no SNI, out of scope.
	if _, err := dialTLS10(addr, "127.0.0.1", ca); err == nil {
		t.Error("a client without SNI connected at TLS 1.0 to a scoped server")
	}
	if p := n.Peers(); n.Count() != 1 || p["old.test"].Count != 1 {
		t.Errorf("Counter: %d, %v; want one handshake with old.test", n.Count(), p)
	}
}

// --- SSL 3.0 ---

// ssl3Server accepts TLS connections and answers every ClientHello with an
// SSL 3.0 ServerHello, as a server that speaks nothing newer does.
func ssl3Server(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				hdr := make([]byte, 5)
				if _, err := io.ReadFull(c, hdr); err != nil || hdr[0] != 22 {
					return
				}
				body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
				if _, err := io.ReadFull(c, body); err != nil || len(body) == 0 || body[0] != 1 {
					return // not a ClientHello
				}
				c.Write(ssl3ServerHello())
				io.Copy(io.Discard, c) // until the client gives up
			}(c)
		}
	}()
	return ln.Addr().String()
}

// ssl3ServerHello is an SSL 3.0 record holding a ServerHello that picks
// SSL 3.0 and SSL_RSA_WITH_3DES_EDE_CBC_SHA.
func ssl3ServerHello() []byte {
	hello := []byte{0x03, 0x00}                // server_version: SSL 3.0
	hello = append(hello, make([]byte, 32)...) // random
	for i := 2; i < 34; i++ {
		hello[i] = byte(i)
	}
	hello = append(hello, 0)          // session_id: empty
	hello = append(hello, 0x00, 0x0a) // cipher_suite
	hello = append(hello, 0)          // compression_method: null
	msg := append([]byte{2, 0, byte(len(hello) >> 8), byte(len(hello))}, hello...)
	return append([]byte{22, 0x03, 0x00, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

func TestSSL3OnlyServer(t *testing.T) {
	ca := testpki.NewCA(t)
	addr := ssl3Server(t)
	for _, tc := range []struct {
		name string
		opts []tlsdefault.Option
	}{
		{"default", []tlsdefault.Option{tlsdefault.WithCAData(ca.CertPEM())}},
		{"Allow", []tlsdefault.Option{tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.Quiet())}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.opts...)
			_, err := get(c, "https://"+addr+"/")
			if err == nil {
				t.Fatal("connected to an SSL 3.0-only server")
			}
			he, ok := errors.AsType[*tlsdefault.HandshakeError](err)
			if !ok {
				t.Fatalf("error does not contain a *tlsdefault.HandshakeError: %v", err)
			}
			msg := he.Error()
			t.Logf("error: %v", err)
			for _, want := range []string{"SSL 3.0", "Go cannot speak", "proxy"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error does not say %q: %v", want, msg)
				}
			}
		})
	}
}

// --- Options ---

func TestOptionErrors(t *testing.T) {
	cases := []struct {
		name string
		opts []tlsdefault.Option
		want string
	}{
		{"empty name", []tlsdefault.Option{legacy.Allow(legacy.ForHosts(""))}, "empty host name"},
		{"no names", []tlsdefault.Option{legacy.Allow(legacy.ForHosts())}, "no names"},
		{"star", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("*"))}, `"*"`},
		{"inner star", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("a.*.com"))}, `"a.*.com"`},
		{"partial star", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("*a.example.com"))}, `"*a.example.com"`},
		{"TLD pattern", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("*.com"))}, "too broad"},
		{"port", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("old.test:443"))}, "port"},
		{"URL", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("https://old.test/"))}, "not a host name"},
		{"bad char", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("old test"))}, "white space"},
		{"hyphen", []tlsdefault.Option{legacy.Allow(legacy.ForHosts("-old.test"))}, "hyphen"},
		{"nil scope", []tlsdefault.Option{legacy.Allow(nil)}, "scope 1 is nil"},
		{"nil callback", []tlsdefault.Option{legacy.Allow(legacy.OnHandshake(nil))}, "OnHandshake"},
		{"nil counter", []tlsdefault.Option{legacy.Allow(legacy.Observe(nil))}, "Observe"},
		{"nil writer", []tlsdefault.Option{legacy.Allow(legacy.WarnTo(nil))}, "WarnTo"},
		{"quiet and warn", []tlsdefault.Option{legacy.Allow(legacy.Quiet(), legacy.WarnTo(io.Discard))}, "contradict"},
		{"twice", []tlsdefault.Option{legacy.Allow(), legacy.Allow(legacy.ForHosts("old.test"))}, "more than once"},
		{"same twice", func() []tlsdefault.Option { o := legacy.Allow(); return []tlsdefault.Option{o, o} }(), "more than once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tlsdefault.ClientConfig(tc.opts...)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "legacy: ") {
				t.Errorf("error %q does not start with %q", err, "legacy: ")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			leaf := testpki.NewCA(t).Server(t)
			if _, err := tlsdefault.ServerConfig(append([]tlsdefault.Option{tlsdefault.WithCertificate(leaf.TLS())}, tc.opts...)...); err == nil || !strings.HasPrefix(err.Error(), "legacy: ") {
				t.Errorf("ServerConfig: error %v, want one starting with legacy: ", err)
			}
		})
	}
}

func TestOptionValid(t *testing.T) {
	var n legacy.Counter
	opt := legacy.Allow(
		legacy.ForHosts("Old.Test.", "*.old.example", "192.0.2.7", "2001:db8::7", "[::1]", "svc_host.internal"),
		legacy.ForHosts("more.test"),
		legacy.OnHandshake(func(legacy.Event) {}),
		legacy.Observe(&n),
		legacy.WarnTo(io.Discard),
	)
	if _, err := tlsdefault.NewClient(opt); err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	// The same option for a second constructor is fine.
	if _, err := tlsdefault.ServerConfig(opt, tlsdefault.WithCertificate(testpki.NewCA(t).Server(t).TLS())); err != nil {
		t.Fatalf("ServerConfig with the same option: %v", err)
	}
}

func TestEventString(t *testing.T) {
	ev := legacy.Event{Side: "server", Host: "old.test", RemoteAddr: "192.0.2.1:5555", Version: tls.VersionTLS10, CipherSuite: tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}
	want := "legacy server handshake with old.test (192.0.2.1:5555): TLS 1.0, TLS_RSA_WITH_3DES_EDE_CBC_SHA"
	if got := ev.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestRootDoesNotImportLegacy checks the gate: package tlsdefault must not
// depend on package legacy, so that nothing but an explicit legacy.Allow
// can lower the floor.
func TestRootDoesNotImportLegacy(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil && os.Getenv("GOROOT") != "" {
		goTool, err = exec.LookPath(filepath.Join(os.Getenv("GOROOT"), "bin", "go"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not found: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/tlsdefault/tlsdefault").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/tlsdefault/tlsdefault") {
		t.Fatalf("go list -deps did not list the root package itself:\n%s", out)
	}
	for _, d := range deps {
		if d == "github.com/tlsdefault/tlsdefault/legacy" || strings.HasPrefix(d, "github.com/tlsdefault/tlsdefault/legacy/") {
			t.Errorf("package tlsdefault depends on %s", d)
		}
	}
}

// TestTLS12SHA1SignaturesNeedGODEBUG pins down what the package
// documentation says about Go 1.25 and later: a TLS 1.2 server that signs
// only with SHA-1 (here openssl s_server -sigalgs RSA+SHA1) is out of reach
// of legacy.Allow unless the program sets GODEBUG=tlssha1=1.
func TestTLS12SHA1SignaturesNeedGODEBUG(t *testing.T) {
	openssl := peer(t, "openssl")
	ca := testpki.NewCA(t)
	leaf := ca.Issue(t, testpki.RSABits(2048))
	certFile, keyFile := leaf.WriteFiles(t, t.TempDir())
	addr := opensslServer(t, openssl, "-cert", certFile, "-key", keyFile,
		"-tls1_2", "-sigalgs", "RSA+SHA1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
	u := "https://" + addr + "/"
	opts := []tlsdefault.Option{tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.Quiet())}

	t.Setenv("GODEBUG", "tlssha1=0")
	if _, err := get(newClient(t, opts...), u); err == nil {
		t.Fatal("legacy.Allow connected to a SHA-1-only TLS 1.2 server without GODEBUG=tlssha1=1; update the package documentation")
	} else {
		t.Logf("without tlssha1=1: %v", err)
	}

	t.Setenv("GODEBUG", "tlssha1=1")
	resp, err := get(newClient(t, opts...), u)
	if err != nil {
		t.Fatalf("with GODEBUG=tlssha1=1: %v", err)
	}
	if resp.TLS.Version != tls.VersionTLS12 {
		t.Errorf("negotiated %s, want TLS 1.2", tls.VersionName(resp.TLS.Version))
	}
}

// opensslServer runs openssl s_server -www with args on a loopback port
// and returns its address once it accepts connections.
func opensslServer(t *testing.T, openssl string, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(openssl, append([]string{"s_server", "-accept", addr, "-www", "-quiet"}, args...)...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("openssl s_server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOnlyLegacySetsTheGate checks that no non-test source of the module
// outside package legacy creates a Legacy value, assigns a Legacy field or
// implements the hook (internal/legacyhook): the settings that go below the
// defaults are reachable only through legacy.Allow.
func TestOnlyLegacySetsTheGate(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "legacy" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		isLegacyType := func(e ast.Expr) bool {
			switch x := e.(type) {
			case *ast.SelectorExpr:
				return x.Sel.Name == "Legacy"
			case *ast.Ident:
				return x.Name == "Legacy"
			}
			return false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncDecl:
				// Only package legacy implements legacyhook.Hook.
				if x.Recv != nil && (x.Name.Name == "ClientConfigFor" || x.Name.Name == "ServerConfigFor") {
					t.Errorf("%s: method %s implements the legacy hook; only package legacy may", fset.Position(x.Pos()), x.Name.Name)
				}
			case *ast.CompositeLit:
				if x.Type != nil && isLegacyType(x.Type) {
					t.Errorf("%s: creates a Legacy value; only package legacy may", fset.Position(x.Pos()))
				}
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "new" && len(x.Args) == 1 && isLegacyType(x.Args[0]) {
					t.Errorf("%s: creates a Legacy value; only package legacy may", fset.Position(x.Pos()))
				}
			case *ast.AssignStmt:
				for _, lhs := range x.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Legacy" {
						t.Errorf("%s: assigns a Legacy field; only package legacy may", fset.Position(x.Pos()))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}

// A legacy server must not offer h2 to a client that ends up on TLS 1.0:
// HTTP/2 forbids old versions and suites, and net/http's HTTP/2 server
// would drop the connection.
func TestServerLegacyClientGetsHTTP1(t *testing.T) {
	ca := testpki.NewCA(t)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()), legacy.Allow(legacy.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(hello), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	defer srv.Close()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP1(true)
	tr.Protocols.SetHTTP2(true)
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/1.1" || resp.TLS.Version != tls.VersionTLS10 {
		t.Fatalf("proto %s version %s", resp.Proto, tls.VersionName(resp.TLS.Version))
	}
	// A modern client of the same server still gets HTTP/2.
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.Get("https://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("modern client got %s", resp.Proto)
	}
}

func TestMinVersionContradictsAllow(t *testing.T) {
	_, err := tlsdefault.ClientConfig(legacy.Allow(), tlsdefault.WithMinVersion(tls.VersionTLS13))
	if err == nil || !strings.Contains(err.Error(), "contradict") {
		t.Fatalf("got %v", err)
	}
}

package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/tlsdefault/tlsdefault"
)

// pebbleVersion is the Pebble release the test is written against.
const pebbleVersion = "v2.10.3"

// need finds a Pebble binary on PATH; under CI=true a missing one fails.
func need(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := fmt.Sprintf("%s is not on PATH (%v); run ../.ci/interop.sh, or go install github.com/letsencrypt/pebble/v2/cmd/%s@%s", name, err, name, pebbleVersion)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (under CI=true this is a failure)")
		}
		t.Skip(msg)
	}
	return path
}

// pebbleSource is the directory of the Pebble module (for its test CA and
// server certificate): PEBBLE_DIR, or the module cache.
func pebbleSource(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("PEBBLE_DIR"); dir != "" {
		return dir
	}
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/letsencrypt/pebble/v2@"+pebbleVersion).Output()
	if err != nil {
		t.Fatalf("finding the Pebble module source (set PEBBLE_DIR to skip this): %v", err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go mod download: %v %s", err, out)
	}
	return m.Dir
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a process's or a logger's output.
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

// start runs a command until the test ends, and returns its output.
func start(t *testing.T, env []string, name string, args ...string) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() || testing.Verbose() {
			t.Logf("%s output:\n%s", filepath.Base(name), out.String())
		}
	})
	return out
}

// waitTCP waits (at most 20 s) until addr accepts connections.
func waitTCP(t *testing.T, addr string) {
	t.Helper()
	for range 200 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never accepted a connection", addr)
}

// pebble is a running Pebble, with pebble-challtestsrv as its DNS server
// answering 127.0.0.1 for every name.
type pebble struct {
	// dirURL is the ACME directory.
	dirURL string
	// caFile is Pebble's own test CA, which issued its HTTPS certificate.
	caFile string
	// http is a tlsdefault client trusting caFile, for ACME clients that
	// take one.
	http *http.Client
	// root is the root that issues the certificates Pebble signs, from its
	// management endpoint (a new one at each Pebble start).
	root []byte
}

// startPebble starts pebble-challtestsrv and Pebble until the test ends,
// with Pebble's TLS-ALPN-01 validation dialling 127.0.0.1:tlsPort.
func startPebble(t *testing.T, tlsPort int) *pebble {
	t.Helper()
	pebbleBin, challtest := need(t, "pebble"), need(t, "pebble-challtestsrv")
	src := pebbleSource(t)
	p := &pebble{caFile: filepath.Join(src, "test", "certs", "pebble.minica.pem")}

	// pebble-challtestsrv answers every name with 127.0.0.1; its other
	// challenge servers are off.
	dnsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start(t, nil, challtest, "-dnsserver", dnsAddr, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-management", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "")

	acmeAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	mgmtAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  acmeAddr,
		"managementListenAddress":        mgmtAddr,
		"certificate":                    filepath.Join(src, "test", "certs", "localhost", "cert.pem"),
		"privateKey":                     filepath.Join(src, "test", "certs", "localhost", "key.pem"),
		"httpPort":                       freePort(t),
		"tlsPort":                        tlsPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":                   "ecdsa",
		"profiles":                       map[string]any{"default": map[string]any{"description": "default", "validityPeriod": 7776000}},
	}}
	cfgJSON, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(t.TempDir(), "pebble-config.json")
	if err := os.WriteFile(cfgFile, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	// No random sleeps before validation, no random nonce rejections:
	// the tests are about the TLS path, not ACME client retries.
	start(t, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"}, pebbleBin, "-config", cfgFile, "-dnsserver", dnsAddr)
	waitTCP(t, acmeAddr)
	waitTCP(t, mgmtAddr)
	p.dirURL = "https://" + acmeAddr + "/dir"

	var err error
	p.http, err = tlsdefault.NewClient(tlsdefault.WithCAFile(p.caFile))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.http.Get("https://" + mgmtAddr + "/roots/0")
	if err != nil {
		t.Fatalf("Pebble's issuing root: %v", err)
	}
	p.root, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Pebble's issuing root: %d %v", resp.StatusCode, err)
	}
	return p
}

// reservePort listens on a loopback port for the library's listener, so
// that Pebble can be told where TLS-ALPN-01 validation connects before the
// certificate source exists.
func reservePort(t *testing.T) (net.Listener, int) {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	return inner, inner.Addr().(*net.TCPAddr).Port
}

// serveSource serves a page on inner through the library's listener and
// server, with certificates from src and the ACME TLS-ALPN-01 protocol
// accepted; it returns the listener's log.
func serveSource(t *testing.T, inner net.Listener, src tlsdefault.CertificateSource) *syncBuffer {
	t.Helper()
	logs := &syncBuffer{}
	ln, err := tlsdefault.NewListener(inner,
		tlsdefault.WithCertificateSource(src),
		tlsdefault.WithALPN(acme.ALPNProto),
		// The first handshake for a name waits for the whole ACME order.
		tlsdefault.WithHandshakeTimeout(90*time.Second),
		tlsdefault.WithErrorLog(log.New(logs, "", 0)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s over %s", r.Host, r.Proto)
	}))
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return logs
}

// pinnedClient is a tlsdefault client that trusts only root and dials addr
// for any name.
func pinnedClient(t *testing.T, root []byte, addr string) (*http.Client, *http.Transport) {
	t.Helper()
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(root), tlsdefault.WithHandshakeTimeout(90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	client.Timeout = 2 * time.Minute
	tr := client.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return client, tr
}

// checkServed fetches https://name/ with client and checks that the page
// came over HTTP/2 with a verified certificate for name issued by Pebble.
func checkServed(t *testing.T, client *http.Client, logs *syncBuffer, name string) {
	t.Helper()
	resp, err := client.Get("https://" + name + "/")
	if err != nil {
		t.Fatalf("GET: %v\nlistener log: %s", err, logs.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "hello " + name + " over HTTP/2.0"; resp.Proto != "HTTP/2.0" || string(body) != want {
		t.Fatalf("%s %q, want HTTP/2.0 %q", resp.Proto, body, want)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != name || len(resp.TLS.VerifiedChains) == 0 {
		t.Fatalf("served certificate: %v, chains %d", leaf.DNSNames, len(resp.TLS.VerifiedChains))
	}
	if !strings.Contains(leaf.Issuer.CommonName, "Pebble") {
		t.Fatalf("issuer %q is not Pebble", leaf.Issuer)
	}
	t.Logf("served %q issued by %q", leaf.DNSNames, leaf.Issuer.CommonName)
}

// checkCached fetches a page again on a new connection and checks that it
// does not wait for an ACME order.
func checkCached(t *testing.T, client *http.Client, tr *http.Transport, name string) {
	t.Helper()
	tr.CloseIdleConnections()
	begin := time.Now()
	resp, err := client.Get("https://" + name + "/again")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(begin); d > 5*time.Second {
		t.Fatalf("second handshake took %v: the certificate was not cached", d)
	}
}

// checkRefused checks that a handshake for name is refused: the client
// gets an explained *tlsdefault.HandshakeError with the server's alert,
// and the listener's log names the SNI name and contains every one of
// explain.
func checkRefused(t *testing.T, client *http.Client, logs *syncBuffer, name string, explain ...string) {
	t.Helper()
	_, err := client.Get("https://" + name + "/")
	if err == nil {
		t.Fatalf("%s was served", name)
	}
	// The client is told the server refused it (an internal_error
	// alert: the source had no certificate), explained.
	var he *tlsdefault.HandshakeError
	var alert tls.AlertError
	if !errors.As(err, &he) || !errors.As(err, &alert) {
		t.Fatalf("client error is not an explained handshake failure with the server's alert: %v", err)
	}
	t.Logf("client: %v", err)
	quoted := fmt.Sprintf("%q", name)
	var got string
	for range 100 {
		if got = logs.String(); strings.Contains(got, quoted) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(got, "SNI name "+quoted) || !strings.Contains(got, "WithCertificateSource") {
		t.Fatalf("listener log does not explain the refusal of %s: %q", name, got)
	}
	for _, s := range explain {
		if !strings.Contains(got, s) {
			t.Fatalf("listener log does not say %q: %q", s, got)
		}
	}
	t.Logf("listener: %s", strings.TrimSpace(got))
}

// TestAutocertTLSALPN01: an autocert.Manager behind tlsdefault's listener
// obtains a certificate from Pebble by TLS-ALPN-01 during the first
// handshake for a name, serves it over HTTP/2, and refuses a name outside
// its HostPolicy with an explained log line.
func TestAutocertTLSALPN01(t *testing.T) {
	// The library's listener port first: Pebble's TLS-ALPN-01 port points at it.
	inner, tlsPort := reservePort(t)
	p := startPebble(t, tlsPort)

	// autocert talks to Pebble through a tlsdefault client that trusts
	// Pebble's own test CA (which issued its HTTPS certificate).
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist("www.example.com"),
		Cache:      autocert.DirCache(t.TempDir()),
		Client:     &acme.Client{DirectoryURL: p.dirURL, HTTPClient: p.http},
	}
	logs := serveSource(t, inner, m)
	client, tr := pinnedClient(t, p.root, inner.Addr().String())

	t.Run("first handshake obtains the certificate", func(t *testing.T) {
		checkServed(t, client, logs, "www.example.com")
	})
	t.Run("second handshake is served from the cache", func(t *testing.T) {
		checkCached(t, client, tr, "www.example.com")
	})
	t.Run("name outside HostPolicy", func(t *testing.T) {
		checkRefused(t, client, logs, "other.example.com", "not configured")
	})
}

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

// TestAutocertTLSALPN01: an autocert.Manager behind tlsdefault.Listen
// obtains a certificate from Pebble by TLS-ALPN-01 during the first
// handshake for a name, serves it over HTTP/2, and refuses a name outside
// its HostPolicy with an explained log line.
func TestAutocertTLSALPN01(t *testing.T) {
	pebble, challtest := need(t, "pebble"), need(t, "pebble-challtestsrv")
	src := pebbleSource(t)
	pebbleCA := filepath.Join(src, "test", "certs", "pebble.minica.pem")

	// The library's listener first: Pebble's TLS-ALPN-01 port points at it.
	logs := &syncBuffer{}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist("www.example.com"),
		Cache:      autocert.DirCache(t.TempDir()),
	}
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificateSource(m),
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
	tlsPort := ln.Addr().(*net.TCPAddr).Port

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
	// the test is about the TLS path, not ACME client retries.
	start(t, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"}, pebble, "-config", cfgFile, "-dnsserver", dnsAddr)
	waitTCP(t, acmeAddr)
	waitTCP(t, mgmtAddr)

	// autocert talks to Pebble through a tlsdefault client that trusts
	// Pebble's own test CA (which issued its HTTPS certificate).
	acmeHTTP, err := tlsdefault.NewClient(tlsdefault.WithCAFile(pebbleCA))
	if err != nil {
		t.Fatal(err)
	}
	m.Client = &acme.Client{DirectoryURL: "https://" + acmeAddr + "/dir", HTTPClient: acmeHTTP}

	// The root that issues the certificates Pebble signs, from its
	// management endpoint (a new one at each Pebble start).
	resp, err := acmeHTTP.Get("https://" + mgmtAddr + "/roots/0")
	if err != nil {
		t.Fatalf("Pebble's issuing root: %v", err)
	}
	root, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Pebble's issuing root: %d %v", resp.StatusCode, err)
	}

	// A client for the served name: trusts only Pebble's issuing root and
	// dials the listener for any name.
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(root), tlsdefault.WithHandshakeTimeout(90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	client.Timeout = 2 * time.Minute
	tr := client.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
	}

	t.Run("first handshake obtains the certificate", func(t *testing.T) {
		resp, err := client.Get("https://www.example.com/")
		if err != nil {
			t.Fatalf("GET: %v\nlistener log: %s", err, logs.String())
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Proto != "HTTP/2.0" || string(body) != "hello www.example.com over HTTP/2.0" {
			t.Fatalf("%s %q", resp.Proto, body)
		}
		leaf := resp.TLS.PeerCertificates[0]
		if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "www.example.com" || len(resp.TLS.VerifiedChains) == 0 {
			t.Fatalf("served certificate: %v, chains %d", leaf.DNSNames, len(resp.TLS.VerifiedChains))
		}
		if !strings.Contains(leaf.Issuer.CommonName, "Pebble") {
			t.Fatalf("issuer %q is not Pebble", leaf.Issuer)
		}
		t.Logf("served %q issued by %q", leaf.DNSNames, leaf.Issuer.CommonName)
	})

	t.Run("second handshake is served from the cache", func(t *testing.T) {
		tr.CloseIdleConnections()
		begin := time.Now()
		resp, err := client.Get("https://www.example.com/again")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if d := time.Since(begin); d > 5*time.Second {
			t.Fatalf("second handshake took %v: the certificate was not cached", d)
		}
	})

	t.Run("name outside HostPolicy", func(t *testing.T) {
		_, err := client.Get("https://other.example.com/")
		if err == nil {
			t.Fatal("a name outside HostPolicy was served")
		}
		// The client is told the server refused it (an internal_error
		// alert: the source had no certificate), explained.
		var he *tlsdefault.HandshakeError
		var alert tls.AlertError
		if !errors.As(err, &he) || !errors.As(err, &alert) {
			t.Fatalf("client error is not an explained handshake failure with the server's alert: %v", err)
		}
		t.Logf("client: %v", err)
		var got string
		for range 100 {
			if got = logs.String(); strings.Contains(got, `"other.example.com"`) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !strings.Contains(got, `SNI name "other.example.com"`) || !strings.Contains(got, "not configured") || !strings.Contains(got, "WithCertificateSource") {
			t.Fatalf("listener log does not explain the refusal: %q", got)
		}
	})
}

package tlsdefault_test

// Integration tests against real peers that nobody here wrote: OpenSSL's
// s_client and s_server, curl, and Python's ssl module. Everything runs on
// 127.0.0.1 with a PKI made in the test and written to t.TempDir().
//
// A missing peer program skips its test with a message, or fails it when
// CI=true. Every subprocess is bounded by integPeerTimeout and killed in
// t.Cleanup at the latest.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// integPeerTimeout bounds every subprocess.
const integPeerTimeout = 20 * time.Second

// requirePeer returns the path of the program name, or skips the test (fails
// it under CI=true) when it is not installed.
func requirePeer(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("integration peer %q is not installed (%v); CI must provide it (.ci/run installs openssl, curl and python3)", name, err)
		}
		t.Skipf("integration peer %q is not installed (%v); install it to run this test (under CI=true this is a failure)", name, err)
	}
	return path
}

// peerOutput collects a subprocess's output while the test reads it: the
// package's one synchronised buffer (helpers_test.go).
type peerOutput = syncBuffer

// waitFor polls s until re matches, and returns the first submatch (or the
// whole match).
func (s *peerOutput) waitFor(re *regexp.Regexp, d time.Duration) (string, bool) {
	deadline := time.Now().Add(d)
	for {
		if m := re.FindStringSubmatch(s.String()); m != nil {
			return m[len(m)-1], true
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// integResult is what a finished subprocess left.
type integResult struct {
	stdout, stderr string
	err            error // from Wait: nil only for exit status 0
}

func (r integResult) output() string { return r.stdout + r.stderr }

func (r integResult) String() string {
	return fmt.Sprintf("exit: %v\n--- stdout ---\n%s\n--- stderr ---\n%s", r.err, r.stdout, r.stderr)
}

// runIntegPeer runs a peer program to completion with stdin (empty: /dev/null),
// bounded by integPeerTimeout.
func runIntegPeer(t *testing.T, stdin string, name string, args ...string) integResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), integPeerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = time.Second
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out after %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), integPeerTimeout, stdout.String(), stderr.String())
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("%s: %v", name, err)
	}
	return integResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// integPeer is a peer server running while the test runs.
type integPeer struct {
	cmd            *exec.Cmd
	stdout, stderr *peerOutput
	done           chan struct{}
}

// startIntegPeer starts a long-running peer program. It is killed in t.Cleanup,
// and in any case after integPeerTimeout.
func startIntegPeer(t *testing.T, name string, args ...string) *integPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), integPeerTimeout)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = time.Second
	p := &integPeer{cmd: cmd, stdout: new(peerOutput), stderr: new(peerOutput), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel() // kills the process
		<-p.done
	})
	return p
}

// waitReady waits until the peer prints a line matching re (whose last
// submatch is returned), failing the test if it exits or takes too long.
func (p *integPeer) waitReady(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if v, ok := p.stdout.waitFor(re, 20*time.Millisecond); ok {
			return v
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\nstdout: %s\nstderr: %s", p.cmd.Path, p.cmd.ProcessState, p.stdout, p.stderr)
		default:
		}
	}
	t.Fatalf("%s not ready after 10s\nstdout: %s\nstderr: %s", p.cmd.Path, p.stdout, p.stderr)
	return ""
}

// integPKI is the PKI of one test, written to a temporary directory.
type integPKI struct {
	dir    string
	ca     *testpki.CA
	caFile string

	server              *testpki.Leaf // ECDSA P-256, for localhost and 127.0.0.1
	serverCrt, serverKy string

	client              *testpki.Leaf // CN "alice", clientAuth
	clientCrt, clientKy string
}

const integClientCN = "alice"

func newIntegPKI(t *testing.T) *integPKI {
	t.Helper()
	dir := t.TempDir()
	p := &integPKI{dir: dir, ca: testpki.NewCA(t)}
	p.caFile = p.ca.WriteFile(t, dir, "ca.pem")
	p.server = p.ca.Server(t)
	p.serverCrt, p.serverKy = p.server.WriteFilesNamed(t, dir, "server")
	p.client = p.ca.Client(t, integClientCN)
	p.clientCrt, p.clientKy = p.client.WriteFilesNamed(t, dir, "client")
	return p
}

// integServer is a server from tlsdefault.Listen with http.Server behind it.
type integServer struct {
	addr, port string
	log        *peerOutput // the listener's log of failed handshakes
	requests   atomic.Int32
}

// startIntegServer serves with tlsdefault.Listen on 127.0.0.1. Its handler
// answers with what it saw: HTTP protocol, TLS version, client certificate
// common name.
func startIntegServer(t *testing.T, p *integPKI, opts ...tlsdefault.Option) *integServer {
	t.Helper()
	return startIntegServerWith(t, p.server, opts...)
}

// startIntegServerWith is startIntegServer with the server certificate leaf.
func startIntegServerWith(t *testing.T, leaf *testpki.Leaf, opts ...tlsdefault.Option) *integServer {
	t.Helper()
	s := &integServer{log: new(peerOutput)}
	opts = append([]tlsdefault.Option{
		tlsdefault.WithCertificate(leaf.TLS()),
		tlsdefault.WithErrorLog(log.New(s.log, "", 0)),
	}, opts...)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.TLS == nil {
			http.Error(w, "no TLS state", http.StatusInternalServerError)
			return
		}
		cn := "-"
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, "proto=%s version=%s cn=%s\n", r.Proto, tls.VersionName(r.TLS.Version), cn)
	})
	s.addr = serveListener(t, ln, h)
	_, s.port, _ = net.SplitHostPort(s.addr)
	return s
}

// waitLog waits for the listener to log a failed handshake that contains
// want, and fails the test otherwise.
func (s *integServer) waitLog(t *testing.T, want string) {
	t.Helper()
	if _, ok := s.log.waitFor(regexp.MustCompile(regexp.QuoteMeta(want)), 3*time.Second); !ok {
		t.Errorf("server log does not mention %q; log:\n%s", want, s.log)
	}
}

// newIntegClient is tlsdefault.NewClient with a timeout.
func newIntegClient(t *testing.T, opts ...tlsdefault.Option) *http.Client {
	t.Helper()
	c, err := tlsdefault.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	c.Timeout = 10 * time.Second
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// ---- openssl s_client against tlsdefault.Listen ----

func TestIntegrationOpenSSLClient(t *testing.T) {
	t.Parallel()
	openssl := requirePeer(t, "openssl")
	p := newIntegPKI(t)
	const request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

	sClient := func(t *testing.T, s *integServer, stdin string, extra ...string) integResult {
		t.Helper()
		args := []string{"s_client",
			"-connect", "127.0.0.1:" + s.port,
			"-servername", "localhost",
			"-verify_hostname", "localhost",
			"-CAfile", p.caFile,
			"-verify_return_error",
		}
		if stdin != "" {
			args = append(args, "-ign_eof") // read the whole answer
		}
		return runIntegPeer(t, stdin, openssl, append(args, extra...)...)
	}

	accepted := []struct {
		name     string
		args     []string
		protocol string // s_client's "Protocol :" line
		version  string // what the server's handler saw
		cipher   string // s_client's cipher, when pinned
	}{
		{"tls1_2", []string{"-tls1_2"}, "TLSv1.2", "TLS 1.2", ""},
		{"tls1_3", []string{"-tls1_3"}, "TLSv1.3", "TLS 1.3", ""},
		{"tls1_2 ECDHE-ECDSA-AES128-GCM-SHA256", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}, "TLSv1.2", "TLS 1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"},
	}
	for _, tc := range accepted {
		t.Run("accept "+tc.name, func(t *testing.T) {
			t.Parallel()
			s := startIntegServer(t, p)
			r := sClient(t, s, request, tc.args...)
			out := r.output()
			if r.err != nil {
				t.Fatalf("s_client %v failed:\n%v", tc.args, r)
			}
			// Refused handshakes print a Protocol line too (the version
			// attempted), so the "New, ..." line of an established session
			// is required as well.
			if !regexp.MustCompile(`(?m)^\s*Protocol\s*:\s*`+regexp.QuoteMeta(tc.protocol)+`\s*$`).MatchString(out) ||
				!strings.Contains(out, "New, "+tc.protocol+", Cipher is ") {
				t.Errorf("s_client did not establish a %s session:\n%v", tc.protocol, r)
			}
			if !strings.Contains(out, "Verify return code: 0 (ok)") {
				t.Errorf("s_client did not verify the server:\n%v", r)
			}
			if tc.cipher != "" && !regexp.MustCompile(`Cipher\s*(is|:)\s*`+regexp.QuoteMeta(tc.cipher)).MatchString(out) {
				t.Errorf("s_client did not negotiate %s:\n%v", tc.cipher, r)
			}
			if !strings.Contains(out, "HTTP/1.1 200 OK") || !strings.Contains(out, "version="+tc.version) {
				t.Errorf("no HTTP answer over %s from the server:\n%v", tc.version, r)
			}
			if n := s.requests.Load(); n != 1 {
				t.Errorf("server handled %d requests, want 1", n)
			}
		})
	}

	refused := []struct {
		name  string
		args  []string
		alert string // the alert s_client received from our server
		log   string // what our server logged
		rsa   bool   // serve an RSA certificate, which RSA key exchange needs
	}{
		{"tls1", []string{"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"}, "alert protocol version", "legacy", false},
		{"tls1_1", []string{"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"}, "alert protocol version", "legacy", false},
		// With an ECDSA certificate no server could agree to AES128-SHA;
		// with an RSA one, only the suite policy refuses it.
		{"tls1_2 AES128-SHA", []string{"-tls1_2", "-cipher", "AES128-SHA"}, "alert handshake failure", "legacy", true},
	}
	for _, tc := range refused {
		t.Run("refuse "+tc.name, func(t *testing.T) {
			t.Parallel()
			leaf := p.server
			if tc.rsa {
				leaf = p.ca.Issue(t, testpki.RSABits(2048))
			}
			s := startIntegServerWith(t, leaf)
			r := sClient(t, s, "", tc.args...)
			if r.err == nil {
				t.Fatalf("s_client %v succeeded, want a refusal:\n%v", tc.args, r)
			}
			// A received alert proves that our server refused, not the
			// local OpenSSL (which would say "no protocols available" or
			// "no cipher match").
			if !strings.Contains(r.output(), tc.alert) {
				t.Errorf("s_client output does not show the server's %q:\n%v", tc.alert, r)
			}
			if !strings.Contains(r.output(), "CONNECTED") {
				t.Errorf("s_client never connected:\n%v", r)
			}
			s.waitLog(t, tc.log)
			if n := s.requests.Load(); n != 0 {
				t.Errorf("server handled %d requests after a refused handshake", n)
			}
		})
	}
}

// ---- openssl s_server as the server for our client ----

var integOpenSSLAccept = regexp.MustCompile(`(?m)^ACCEPT\s+\S*:(\d+)\s*$`)

// startIntegSServer starts `openssl s_server -www` (which answers a GET
// with a status page describing the session) on 127.0.0.1 and returns its
// port. Given port 0, OpenSSL 3 binds a free port itself and prints it
// ("ACCEPT 127.0.0.1:NNNN") once it listens, so there is no window in which
// another process could take a port picked here.
func startIntegSServer(t *testing.T, certFile, keyFile string, extra ...string) (port string, peer *integPeer) {
	t.Helper()
	openssl := requirePeer(t, "openssl")
	args := append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", certFile, "-key", keyFile, "-www"}, extra...)
	peer = startIntegPeer(t, openssl, args...)
	port = peer.waitReady(t, integOpenSSLAccept)
	if port == "0" {
		t.Fatalf("openssl s_server did not report the port it bound:\n%s", peer.stdout)
	}
	return port, peer
}

func TestIntegrationOpenSSLServer(t *testing.T) {
	t.Parallel()
	requirePeer(t, "openssl")
	p := newIntegPKI(t)

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		port, _ := startIntegSServer(t, p.serverCrt, p.serverKy)
		c := newIntegClient(t, tlsdefault.WithCAFile(p.caFile))
		resp, body, err := get(t, c, "https://127.0.0.1:"+port+"/")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Errorf("status %d, want 200", resp.StatusCode)
		}
		if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
			t.Errorf("negotiated %v, want TLS 1.3", resp.TLS)
		}
		if !strings.Contains(body, "Ciphers supported in s_server binary") || !strings.Contains(body, "New, TLSv1.3, Cipher is ") {
			t.Errorf("not s_server's status page for a TLSv1.3 session:\n%s", body)
		}
		if !strings.Contains(body, "no client certificate available") {
			t.Errorf("s_server saw a client certificate that was never configured:\n%s", body)
		}
	})

	t.Run("tls1_2", func(t *testing.T) {
		t.Parallel()
		port, _ := startIntegSServer(t, p.serverCrt, p.serverKy, "-tls1_2")
		c := newIntegClient(t, tlsdefault.WithCAFile(p.caFile))
		resp, _, err := get(t, c, "https://127.0.0.1:"+port+"/")
		if err != nil {
			t.Fatal(err)
		}
		if resp.TLS.Version != tls.VersionTLS12 {
			t.Errorf("negotiated %s, want TLS 1.2", tls.VersionName(resp.TLS.Version))
		}
		if name := tls.CipherSuiteName(resp.TLS.CipherSuite); !strings.HasPrefix(name, "TLS_ECDHE_ECDSA_") {
			t.Errorf("suite %s, want ECDHE-ECDSA", name)
		}
	})

	t.Run("tls1 only refused", func(t *testing.T) {
		t.Parallel()
		port, _ := startIntegSServer(t, p.serverCrt, p.serverKy, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
		c := newIntegClient(t, tlsdefault.WithCAFile(p.caFile))
		_, _, err := get(t, c, "https://127.0.0.1:"+port+"/")
		if err == nil {
			t.Fatal("a TLS 1.0-only server was accepted")
		}
		he := mustAs[*tlsdefault.HandshakeError](t, err)
		if !strings.Contains(he.Error(), "legacy") || !strings.Contains(he.Error(), "protocol") {
			t.Errorf("error does not explain the old protocol and name package legacy: %v", he)
		}
		if he.Side != "server" {
			t.Errorf("Side = %q, want server (s_server refused our versions)", he.Side)
		}
		if a := mustAs[tls.AlertError](t, err); a != 70 {
			t.Errorf("alert %d (%v), want protocol_version (70)", uint8(a), a)
		}
	})

	t.Run("RSA key exchange only refused", func(t *testing.T) {
		t.Parallel()
		rsaLeaf := p.ca.Issue(t, testpki.RSABits(2048))
		crt, key := rsaLeaf.WriteFilesNamed(t, t.TempDir(), "rsa")
		port, ssrv := startIntegSServer(t, crt, key, "-tls1_2", "-cipher", "AES128-SHA")
		c := newIntegClient(t, tlsdefault.WithCAFile(p.caFile))
		_, _, err := get(t, c, "https://127.0.0.1:"+port+"/")
		if err == nil {
			t.Fatal("an AES128-SHA-only server was accepted")
		}
		he := mustAs[*tlsdefault.HandshakeError](t, err)
		if !strings.Contains(he.Error(), "legacy") || !strings.Contains(he.Error(), "cipher suite") {
			t.Errorf("error does not explain the suite mismatch and name package legacy: %v", he)
		}
		if he.Side != "server" {
			t.Errorf("Side = %q, want server (s_server refused our suites)", he.Side)
		}
		if a := mustAs[tls.AlertError](t, err); a != 40 {
			t.Errorf("alert %d (%v), want handshake_failure (40)", uint8(a), a)
		}
		if _, ok := ssrv.stderr.waitFor(regexp.MustCompile(`no shared cipher`), 3*time.Second); !ok {
			t.Errorf("s_server did not report 'no shared cipher':\n%s", ssrv.stderr)
		}
	})

	t.Run("RSA-1024 leaf refused", func(t *testing.T) {
		t.Parallel()
		weak := p.ca.Issue(t, testpki.RSABits(1024))
		crt, key := weak.WriteFilesNamed(t, t.TempDir(), "weak")
		port, _ := startIntegSServer(t, crt, key, "-cipher", "DEFAULT:@SECLEVEL=0")
		c := newIntegClient(t, tlsdefault.WithCAFile(p.caFile))
		_, _, err := get(t, c, "https://127.0.0.1:"+port+"/")
		if err == nil {
			t.Fatal("an RSA-1024 server certificate was accepted")
		}
		if fipsChainRefusal(t, err) {
			return
		}
		pe := mustAs[*tlsdefault.PolicyError](t, err)
		if !strings.Contains(pe.Error(), "1024") {
			t.Errorf("policy error does not mention the key size: %v", pe)
		}
	})

	t.Run("mutual TLS", func(t *testing.T) {
		t.Parallel()
		port, ssrv := startIntegSServer(t, p.serverCrt, p.serverKy, "-Verify", "1", "-CAfile", p.caFile, "-verify_return_error")
		url := "https://127.0.0.1:" + port + "/"

		c := newIntegClient(t, tlsdefault.WithCAFile(p.caFile), tlsdefault.WithCertificate(p.client.TLS()))
		resp, body, err := get(t, c, url)
		if err != nil {
			t.Fatalf("with a client certificate: %v\ns_server: %s", err, ssrv.stderr)
		}
		if resp.StatusCode != 200 || !regexp.MustCompile(`Subject:\s*CN\s*=\s*`+integClientCN+`\b`).MatchString(body) {
			t.Errorf("s_server did not see client certificate %q (status %d):\n%s", integClientCN, resp.StatusCode, body)
		}

		// In TLS 1.3 the server refuses after the client's side of the
		// handshake is done, so the error comes from the first read: the
		// certificate_required alert, or a reset when the server closed
		// with our request unread. s_server's log says why.
		bare := newIntegClient(t, tlsdefault.WithCAFile(p.caFile))
		if _, body, err := get(t, bare, url); err == nil {
			t.Fatalf("without a client certificate the request succeeded:\n%s", body)
		} else {
			t.Logf("without a client certificate: %v", err)
		}
		if _, ok := ssrv.stderr.waitFor(regexp.MustCompile(`peer did not return a certificate`), 3*time.Second); !ok {
			t.Errorf("s_server did not report the missing client certificate:\n%s", ssrv.stderr)
		}
	})
}

// ---- curl against tlsdefault.Listen ----

func TestIntegrationCurl(t *testing.T) {
	t.Parallel()
	curlPath := requirePeer(t, "curl")
	p := newIntegPKI(t)

	curl := func(t *testing.T, s *integServer, extra ...string) (integResult, string) {
		t.Helper()
		bodyFile := filepath.Join(t.TempDir(), "body")
		args := append([]string{"-sS", "--noproxy", "*", "--max-time", "10",
			"--cacert", p.caFile,
			"--resolve", "localhost:" + s.port + ":127.0.0.1",
			"-o", bodyFile, "-w", "%{http_version}",
		}, extra...)
		args = append(args, "https://localhost:"+s.port+"/")
		r := runIntegPeer(t, "", curlPath, args...)
		body, _ := os.ReadFile(bodyFile)
		return r, string(body)
	}

	t.Run("http2", func(t *testing.T) {
		t.Parallel()
		s := startIntegServer(t, p)
		r, body := curl(t, s, "--http2")
		if r.err != nil {
			t.Fatalf("curl failed:\n%v", r)
		}
		if strings.TrimSpace(r.stdout) != "2" {
			t.Errorf("curl http_version = %q, want 2", r.stdout)
		}
		if !strings.Contains(body, "proto=HTTP/2.0") || !strings.Contains(body, "version=TLS 1.3") {
			t.Errorf("server did not answer over HTTP/2 and TLS 1.3: %q", body)
		}
	})

	t.Run("tls1.0-1.1 refused", func(t *testing.T) {
		t.Parallel()
		s := startIntegServer(t, p)
		r, _ := curl(t, s, "--tlsv1.0", "--tls-max", "1.1", "--ciphers", "DEFAULT:@SECLEVEL=0")
		if r.err == nil {
			t.Fatalf("curl over TLS 1.0/1.1 succeeded:\n%v", r)
		}
		if !strings.Contains(r.stderr, "alert protocol version") {
			t.Errorf("curl's error is not the server's protocol_version alert:\n%v", r)
		}
		s.waitLog(t, "legacy")
		if n := s.requests.Load(); n != 0 {
			t.Errorf("server handled %d requests", n)
		}
	})

	t.Run("client certificate", func(t *testing.T) {
		t.Parallel()
		s := startIntegServer(t, p, tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAFile(p.caFile))
		r, body := curl(t, s, "--cert", p.clientCrt, "--key", p.clientKy)
		if r.err != nil {
			t.Fatalf("curl with a client certificate failed:\n%v", r)
		}
		if !strings.Contains(body, "cn="+integClientCN) {
			t.Errorf("server did not see client %q: %q", integClientCN, body)
		}

		// TLS 1.3: the server refuses after curl's side of the handshake
		// is done; curl sees the certificate_required alert or, when the
		// server has already closed, a reset. The server's log says why.
		r, body = curl(t, s)
		if r.err == nil {
			t.Fatalf("curl without a client certificate succeeded: %q", body)
		}
		t.Logf("curl without a client certificate: %s", strings.TrimSpace(r.stderr))
		s.waitLog(t, "certificate")
		if n := s.requests.Load(); n != 1 {
			t.Errorf("server handled %d requests, want 1 (only the one with a certificate)", n)
		}
	})
}

// ---- Python's ssl module ----

// integPythonClient connects with ssl.create_default_context(cafile=...),
// optionally load_cert_chain, optionally pinned to TLS 1.1, sends one GET
// and prints the negotiated version and the answer.
//
// argv: port cafile mode [certfile keyfile]
const integPythonClient = `
import socket, ssl, sys
port, cafile, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
if mode == "tls1.1":
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
if len(sys.argv) > 5:
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        print("version", s.version(), flush=True)
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        sys.stdout.write(data.decode())
`

// integPythonServer serves HTTPS with
// ssl.create_default_context(ssl.Purpose.CLIENT_AUTH), requiring a client
// certificate, prints its port, and answers with the client's common name.
//
// argv: certfile keyfile cafile
const integPythonServer = `
import http.server, ssl, sys
cert, key, cafile = sys.argv[1:4]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.load_verify_locations(cafile)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peer = self.connection.getpeercert()
        cn = [v for rdn in peer["subject"] for (k, v) in rdn if k == "commonName"][0]
        body = ("hello %s over %s\n" % (cn, self.connection.version())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("PORT", srv.server_address[1], flush=True)
srv.serve_forever()
`

func TestIntegrationPython(t *testing.T) {
	t.Parallel()
	python := requirePeer(t, "python3")
	p := newIntegPKI(t)

	pyClient := func(t *testing.T, s *integServer, mode string, withCert bool) integResult {
		t.Helper()
		args := []string{"-c", integPythonClient, s.port, p.caFile, mode}
		if withCert {
			args = append(args, p.clientCrt, p.clientKy)
		}
		return runIntegPeer(t, "", python, args...)
	}
	mtlsServer := func(t *testing.T) *integServer {
		return startIntegServer(t, p, tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAFile(p.caFile))
	}

	t.Run("client mutual TLS", func(t *testing.T) {
		t.Parallel()
		s := mtlsServer(t)
		r := pyClient(t, s, "default", true)
		if r.err != nil {
			t.Fatalf("python client failed:\n%v", r)
		}
		if !strings.Contains(r.stdout, "version TLSv1.3") {
			t.Errorf("python did not negotiate TLSv1.3:\n%v", r)
		}
		if !strings.Contains(r.stdout, "200 OK") || !strings.Contains(r.stdout, "cn="+integClientCN) {
			t.Errorf("server did not see client %q:\n%v", integClientCN, r)
		}
	})

	t.Run("client without certificate refused", func(t *testing.T) {
		t.Parallel()
		s := mtlsServer(t)
		r := pyClient(t, s, "default", false)
		if r.err == nil {
			t.Fatalf("python client without a certificate succeeded:\n%v", r)
		}
		// The handshake completed on Python's side (TLS 1.3); the refusal
		// arrives as the certificate_required alert or, when the server
		// has already closed, a reset.
		if !strings.Contains(r.stdout, "version TLSv1.3") {
			t.Errorf("python did not get through its side of the handshake:\n%v", r)
		}
		if !strings.Contains(r.stderr, "CERTIFICATE_REQUIRED") && !strings.Contains(r.stderr, "ConnectionResetError") {
			t.Errorf("python's error is neither the server's certificate_required alert nor a reset:\n%v", r)
		}
		if n := s.requests.Load(); n != 0 {
			t.Errorf("server handled %d requests without a client certificate", n)
		}
		s.waitLog(t, "certificate")
	})

	t.Run("client TLS 1.1 refused", func(t *testing.T) {
		t.Parallel()
		s := startIntegServer(t, p)
		r := pyClient(t, s, "tls1.1", false)
		if r.err == nil {
			t.Fatalf("python client over TLS 1.1 succeeded:\n%v", r)
		}
		// Received from our server; a local refusal would be
		// NO_PROTOCOLS_AVAILABLE or UNSUPPORTED_PROTOCOL.
		if !strings.Contains(r.stderr, "ALERT_PROTOCOL_VERSION") {
			t.Errorf("python's error is not the server's protocol_version alert:\n%v", r)
		}
		s.waitLog(t, "legacy")
	})

	t.Run("server mutual TLS", func(t *testing.T) {
		t.Parallel()
		peer := startIntegPeer(t, python, "-c", integPythonServer, p.serverCrt, p.serverKy, p.caFile)
		port := peer.waitReady(t, regexp.MustCompile(`(?m)^PORT (\d+)$`))
		url := "https://127.0.0.1:" + port + "/"

		c := newIntegClient(t, tlsdefault.WithCAFile(p.caFile), tlsdefault.WithCertificate(p.client.TLS()))
		resp, body, err := get(t, c, url)
		if err != nil {
			t.Fatalf("fetch from python with a client certificate: %v\npython: %s", err, peer.stderr)
		}
		if resp.StatusCode != 200 || body != "hello "+integClientCN+" over TLSv1.3\n" {
			t.Errorf("python answered %d %q, want 200 with client %q over TLSv1.3", resp.StatusCode, body, integClientCN)
		}
		if resp.TLS.Version != tls.VersionTLS13 {
			t.Errorf("negotiated %s, want TLS 1.3", tls.VersionName(resp.TLS.Version))
		}

		// TLS 1.3: Python refuses after our side of the handshake is
		// done, so the error (certificate_required alert, or a reset)
		// comes from the first read.
		bare := newIntegClient(t, tlsdefault.WithCAFile(p.caFile))
		if _, body, err := get(t, bare, url); err == nil {
			t.Fatalf("without a client certificate python answered %q", body)
		} else {
			t.Logf("without a client certificate: %v", err)
		}
		// The server is still there, and still serves a client with a
		// certificate: the refusal was about the missing certificate.
		if resp, body, err := get(t, c, url); err != nil || resp.StatusCode != 200 {
			t.Errorf("second fetch with a client certificate: %v %q", err, body)
		}
	})
}

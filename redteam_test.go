package tlsdefault_test

// Red-team reproductions (security review of the day's changes). Each test
// asserts the secure behaviour: a test that fails shows a weakness.

import (
	"crypto/tls"
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

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

func acceptAll(tls.ConnectionState) error { return nil }

// A client with legacy.Allow(legacy.ForHosts("old.example")) used to offer
// TLS 1.0 to every server and rely on VerifyConnection alone to refuse it
// from a server out of scope: one assignment, VerifyConnection replaced
// (an OCSP or logging hook written without wrapping), let every server
// negotiate TLS 1.0, which crypto/tls with the same roots refuses. Now no
// config code outside the library can reach is widened for a scope:
// ClientConfig and NewTransport refuse a scope, and NewClient's
// TLSClientConfig stays strict (its dialler widens a private clone for a
// host in scope), so no single assignment lets a host out of scope in.
func TestRedteamLegacyScopeHookReplaced(t *testing.T) {
	ca := testpki.NewCA(t)
	old := &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}

	std := &tls.Config{RootCAs: ca.Pool(), VerifyConnection: acceptAll}
	if _, err := handshake(t, std, old); err == nil {
		t.Fatal("control: crypto/tls accepted a TLS 1.0 server")
	}
	opts := []tlsdefault.Option{tlsdefault.WithCAData(ca.CertDER()), legacy.Allow(legacy.ForHosts("old.example"), legacy.Quiet())}

	// The constructors that return a config for any host refuse a scope.
	if cfg, err := tlsdefault.ClientConfig(opts...); err == nil {
		cfg.VerifyConnection = acceptAll
		if cs, err := handshake(t, cfg, old); err == nil {
			t.Errorf("ClientConfig(legacy.ForHosts(old.example)) with VerifyConnection replaced accepted %s from localhost (out of scope)", tls.VersionName(cs.Version))
		}
		t.Error("ClientConfig(legacy.ForHosts(old.example)) built a config; want an error (the config is used for any host)")
	} else if msg := err.Error(); !strings.HasPrefix(msg, "tlsdefault: ClientConfig: legacy.ForHosts") || !strings.Contains(msg, "NewClient") || !strings.Contains(msg, "without ForHosts") {
		t.Errorf("ClientConfig(legacy.ForHosts(old.example)): error %q does not say what to use instead", msg)
	}
	if _, err := tlsdefault.NewTransport(opts...); err == nil {
		t.Error("NewTransport(legacy.ForHosts(old.example)) built a transport; want an error")
	} else if msg := err.Error(); !strings.HasPrefix(msg, "tlsdefault: NewTransport: legacy.ForHosts") || !strings.Contains(msg, "NewClient") {
		t.Errorf("NewTransport(legacy.ForHosts(old.example)): error %q does not say what to use instead", msg)
	}

	// NewClient's TLSClientConfig is strict: with VerifyConnection
	// replaced, it still refuses TLS 1.0, used as it is (tls.Dial, or
	// net/http through a proxy) and through the dialler.
	c, err := tlsdefault.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	tr := c.Transport.(*http.Transport)
	if tr.TLSClientConfig.MinVersion < tls.VersionTLS12 {
		t.Errorf("NewClient(legacy.ForHosts(old.example)): TLSClientConfig.MinVersion is %s", tls.VersionName(tr.TLSClientConfig.MinVersion))
	}
	tr.TLSClientConfig.VerifyConnection = acceptAll
	if cs, err := handshake(t, tr.TLSClientConfig, old); err == nil {
		t.Errorf("NewClient(legacy.ForHosts(old.example)): TLSClientConfig with VerifyConnection replaced accepted %s from localhost (out of scope)", tls.VersionName(cs.Version))
	}
	addr := serveHTTPS(t, old, nil)
	if resp, _, err := get(t, c, "https://localhost:"+port(addr)+"/"); err == nil {
		t.Errorf("NewClient(legacy.ForHosts(old.example)) with VerifyConnection replaced accepted %s from localhost (out of scope)", tls.VersionName(resp.TLS.Version))
	}
	tr.DialTLSContext = nil // net/http handshakes with TLSClientConfig itself
	if resp, _, err := get(t, c, "https://localhost:"+port(addr)+"/"); err == nil {
		t.Errorf("NewClient(legacy.ForHosts(old.example)) without its dialler, VerifyConnection replaced, accepted %s from localhost (out of scope)", tls.VersionName(resp.TLS.Version))
	}
}

// WithPeerCheck on a client runs only in VerifyConnection: replacing that
// hook (one assignment) drops the allow-list, although the chain policy
// survives it (VerifyPeerCertificate applies it as well).
func TestRedteamClientPeerCheckHookReplaced(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := plainServer(ca.Server(t))
	deny := tlsdefault.WithPeerCheck(func(tls.ConnectionState) error { return errors.New("not on the allow-list") })
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertDER()), deny)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg, srv); err == nil {
		t.Fatal("control: the peer check did not refuse")
	}
	cfg.VerifyConnection = acceptAll
	if _, err := handshake(t, cfg, srv); err == nil {
		t.Error("ClientConfig(WithPeerCheck(deny)) with VerifyConnection replaced accepted the server: the peer check was dropped")
	}
}

// The same on a server: ServerConfig(WithClientAuth, WithPeerCheck(deny))
// with VerifyConnection replaced lets a client in that the check refuses.
func TestRedteamServerPeerCheckHookReplaced(t *testing.T) {
	ca := testpki.NewCA(t)
	deny := tlsdefault.WithPeerCheck(func(tls.ConnectionState) error { return errors.New("SPIFFE ID not allowed") })
	scfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertDER()), deny)
	if err != nil {
		t.Fatal(err)
	}
	cli := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{ca.Client(t, "mallory").TLS()}}
	if _, err := handshake(t, cli, scfg); err == nil {
		t.Fatal("control: the peer check did not refuse")
	}
	scfg.VerifyConnection = acceptAll
	if _, err := handshake(t, cli, scfg); err == nil {
		t.Error("ServerConfig(WithPeerCheck(deny)) with VerifyConnection replaced let the client in: the peer check was dropped")
	}
}

// A CA removed from a WithCAFile file is refused after the reload only by
// VerifyConnection (checkAnchored): ClientConfig keeps the RootCAs of
// construction. Replacing VerifyConnection (one assignment) makes the
// config trust the removed CA again, while the chain policy survives.
func TestRedteamClientReloadedCAHookReplaced(t *testing.T) {
	ca1, ca2 := testpki.NewCA(t), testpki.NewCA(t)
	srv := plainServer(ca1.Server(t))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca1.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAFile(caFile), tlsdefault.WithReloadInterval(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg, srv); err != nil {
		t.Fatalf("control: CA1 server before the change: %v", err)
	}
	if err := os.WriteFile(caFile+".new", ca2.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(caFile+".new", caFile); err != nil {
		t.Fatal(err)
	}
	fresh := cfg.Clone()
	fresh.ClientSessionCache = nil
	if _, err := handshake(t, fresh, srv); err == nil {
		t.Fatal("control: CA1 server accepted after CA1 was removed, with the library's hooks")
	}
	fresh.VerifyConnection = acceptAll
	if _, err := handshake(t, fresh, srv); err == nil {
		t.Error("ClientConfig(WithCAFile) with VerifyConnection replaced accepted a server whose CA was removed from the file")
	}
}

// GODEBUG=tlssha1=1 is checked only when a constructor runs. Code in the
// same program that sets it later (os.Setenv, as TestTLS12SHA1...'s own
// recipe does for one old peer) weakens every client already built:
// crypto/tls reads the setting at each handshake, and the default client
// then accepts a TLS 1.2 server that signs its key exchange with SHA-1.
func TestRedteamGODEBUGTLSSHA1AfterConstruction(t *testing.T) {
	openssl := requirePeer(t, "openssl")
	ca := testpki.NewCA(t)
	leaf := ca.Issue(t, testpki.RSABits(2048))
	certFile, keyFile := leaf.WriteFiles(t, t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(openssl, "s_server", "-accept", addr, "-www", "-quiet", "-cert", certFile, "-key", keyFile,
		"-tls1_2", "-sigalgs", "RSA+SHA1", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("openssl s_server did not start")
		}
	}
	u := "https://" + addr + "/"

	t.Setenv("GODEBUG", "tlssha1=0")
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	c.Timeout = 10 * time.Second
	if _, _, err := get(t, c, u); err == nil {
		t.Fatal("control: SHA-1-signing server accepted without tlssha1=1")
	}
	c.CloseIdleConnections()
	os.Setenv("GODEBUG", "tlssha1=1") // restored by t.Setenv's cleanup
	if resp, _, err := get(t, c, u); err == nil {
		t.Errorf("a default client built before GODEBUG=tlssha1=1 was set accepted a TLS 1.2 server signing with SHA-1 (%s), without legacy.Allow", tls.VersionName(resp.TLS.Version))
	}
}

type echoSource struct{}

func (echoSource) GetCertificate(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
	// As a naive source would: the client's name in its error, unquoted.
	return nil, fmt.Errorf("no certificate for %s (ALPN %s)", h.ServerName, strings.Join(h.SupportedProtos, ","))
}

// A hostile ClientHello must not put control bytes or unbounded text into
// the listener's failed-handshake log, also through the error of a
// certificate source that repeats the SNI name and ALPN list unquoted.
func TestRedteamSourceErrorLogEscaped(t *testing.T) {
	var buf rtLogBuf
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificateSource(echoSource{}),
		tlsdefault.WithErrorLog(log.New(&buf, "", 0)))
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
			c.Close()
		}
	}()
	long := strings.Repeat("a.", 2000) + "example"
	for _, sni := range []string{"evil\x1b[31m.example", "evil\nFAKE.example", long} {
		raw, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		raw.SetDeadline(time.Now().Add(5 * time.Second))
		tls.Client(raw, &tls.Config{ServerName: sni, InsecureSkipVerify: true}).Handshake()
		raw.Close()
		time.Sleep(1100 * time.Millisecond) // the log is rate-limited to a line a second
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(buf.String(), "\n") < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out := buf.String()
	t.Logf("log: %d bytes, %d lines; all: %q", len(out), strings.Count(out, "\n"), out)
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if len(line) > 1024 {
			t.Errorf("log line %d is %d bytes (over 1 KiB)", i, len(line))
		}
		if strings.ContainsAny(line, "\x1b\u0085") || strings.Contains(line, "FAKE") && !strings.Contains(line, `\nFAKE`) {
			t.Errorf("log line %d carries peer control bytes: %q", i, line[:min(200, len(line))])
		}
	}
}

type rtLogBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *rtLogBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *rtLogBuf) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A CA deleted from a hashed capath is refused on resumption only by
// VerifyConnection (crypto/tls re-checks a resumed chain against RootCAs,
// which still holds the CA read at construction). A clone of the config
// (it shares the session cache) with VerifyConnection replaced resumes
// into acceptance of a server whose CA was deleted.
func TestRedteamCAPathDeletedResumedHookReplaced(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := plainServer(ca.Server(t))
	dir, files := hashedDir(t, ca)
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg, srv); err != nil {
		t.Fatalf("control: first handshake: %v", err)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg.Clone(), srv); err == nil {
		t.Fatal("control: accepted after the CA was deleted, with the library's hooks")
	}
	if _, err := handshake(t, cfg, srv); err == nil {
		t.Fatal("control: accepted after the CA was deleted, with the library's hooks")
	}
	// A fresh session for the clone to resume: put the CA back, connect, delete it again.
	if err := os.WriteFile(files[0], ca.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg, srv); err != nil {
		t.Fatalf("control: CA restored: %v", err)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	c2 := cfg.Clone()
	c2.VerifyConnection = acceptAll
	if cs, err := handshake(t, c2, srv); err == nil {
		t.Errorf("clone of ClientConfig(WithCAPath) with VerifyConnection replaced accepted a server whose CA was deleted (resumed: %v)", cs.DidResume)
	}
}

// A session ticket key file owned by another user (mode 0600) is accepted:
// its owner can read and replace the keys, decrypt the sessions resumed
// with them, and mint tickets that resume as any client whose (public)
// certificate chain it has. SSLKEYLOGFILE refuses such a file; the ticket
// key file checks only the mode.
func TestRedteamTicketKeyFileOtherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file to another user")
	}
	ca := testpki.NewCA(t)
	path := filepath.Join(t.TempDir(), "ticket.keys")
	if err := os.WriteFile(path, []byte("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatalf("giving the file to another user as root: %v", err)
	}
	_, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t).TLS()), tlsdefault.WithSessionTicketKeyFile(path))
	if err == nil {
		t.Error("WithSessionTicketKeyFile accepted a key file owned by user 65534 (another user)")
	}
}

// The README's SPIFFE check indexes cs.PeerCertificates[0]. With
// WithClientAuth(tls.VerifyClientCertIfGiven) the check also runs for a
// client that sent no certificate, and its panic, in the listener's
// handshake goroutine, ends the whole server process: any anonymous client
// can crash it. Expected: a panic in a peer check refuses that handshake
// (or the check is documented, and run, only with a certificate).
func TestRedteamPeerCheckPanicCrashesServer(t *testing.T) {
	if os.Getenv("TLSDEFAULT_REDTEAM_CHILD") == "panic" {
		ca := testpki.NewCA(t)
		ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
			tlsdefault.WithCertificate(ca.Server(t).TLS()),
			tlsdefault.WithClientAuth(tls.VerifyClientCertIfGiven),
			tlsdefault.WithCAData(ca.CertDER()),
			tlsdefault.WithErrorLog(log.New(io.Discard, "", 0)),
			tlsdefault.WithPeerCheck(func(cs tls.ConnectionState) error {
				for _, u := range cs.PeerCertificates[0].URIs { // as in the README
					if u.String() == "spiffe://example.org/web" {
						return nil
					}
				}
				return errors.New("SPIFFE ID not allowed")
			}))
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
				c.Close()
			}
		}()
		raw, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		raw.SetDeadline(time.Now().Add(5 * time.Second))
		tls.Client(raw, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}).Handshake() // no client certificate
		raw.Close()
		time.Sleep(300 * time.Millisecond)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRedteamPeerCheckPanicCrashesServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TLSDEFAULT_REDTEAM_CHILD=panic")
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "panic:") {
		i := strings.Index(string(out), "panic:")
		t.Errorf("an anonymous client crashed the server process through the peer check: %s", string(out)[i:min(i+200, len(out))])
	} else if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// Holds: a server whose VerifyConnection was replaced still refuses a
// client resuming a session whose CA was deleted from a hashed capath
// (GetConfigForClient gives each handshake the CAs in force, and
// crypto/tls re-checks a resumed chain against them).
func TestRedteamServerCAPathDeletedResumedHookReplaced(t *testing.T) {
	ca := testpki.NewCA(t)
	dir, files := hashedDir(t, ca)
	scfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	scfg.VerifyConnection = acceptAll
	cli := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{ca.Client(t, "alice").TLS()}, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	if _, err := handshake(t, cli, scfg); err != nil {
		t.Fatalf("control: %v", err)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	if cs, err := handshake(t, cli, scfg); err == nil {
		t.Errorf("server with VerifyConnection replaced let a client in after its CA was deleted (resumed: %v)", cs.DidResume)
	}
}

// Holds: NewClient with a hashed capath (its connections verify lazily,
// with InsecureSkipVerify on their private clone) does not resume a
// session that an InsecureSkipVerify config sharing its session cache got
// from an impostor.
func TestRedteamLazySharedSessionCache(t *testing.T) {
	ca := testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	evil := plainServer(testpki.NewCA(t).Server(t, "localhost", "127.0.0.1"))
	addr := serveHTTPS(t, evil, nil)
	shared := tls.NewLRUClientSessionCache(8)
	insecure := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", ClientSessionCache: shared}
	conn, err := tls.Dial("tcp", addr, insecure)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	io.ReadAll(conn) // the ticket arrives with the response
	conn.Close()
	c, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	c.Timeout = 10 * time.Second
	c.Transport.(*http.Transport).TLSClientConfig.ClientSessionCache = shared
	if resp, _, err := get(t, c, "https://localhost:"+port(addr)+"/"); err == nil {
		t.Errorf("NewClient(WithCAPath) accepted the impostor through a shared session cache (resumed: %v)", resp.TLS.DidResume)
	}
}

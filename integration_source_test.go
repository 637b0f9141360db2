package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// startSourceServer serves HTTP with NewServer on a listener whose
// certificates come from src, and returns its port and log.
func startSourceServer(t *testing.T, src tlsdefault.CertificateSource, opts ...tlsdefault.Option) (string, *peerOutput) {
	t.Helper()
	logs := new(peerOutput)
	opts = append([]tlsdefault.Option{tlsdefault.WithCertificateSource(src), tlsdefault.WithErrorLog(log.New(logs, "", 0))}, opts...)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proto=%s sni=%s\n", r.Proto, r.TLS.ServerName)
	}))
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, logs
}

func waitLogFor(t *testing.T, logs *peerOutput, want ...string) {
	t.Helper()
	for range 100 {
		got := logs.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(got, w)
		}
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("listener log %q lacks %q", logs.String(), want)
}

// TestIntegrationCertificateSource: curl, python3 and openssl s_client
// against a server whose certificates come from a CertificateSource.
func TestIntegrationCertificateSource(t *testing.T) {
	curl, python, openssl := requirePeer(t, "curl"), requirePeer(t, "python3"), requirePeer(t, "openssl")
	p := newIntegPKI(t)
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	weak := rsaCA.Issue(t, testpki.RSABits(1024)).TLS()
	good := p.server.TLS()
	chall := p.ca.Server(t, "challenge.example").TLS()
	src := sourceFunc(func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		switch {
		case len(h.SupportedProtos) == 1 && h.SupportedProtos[0] == "acme-tls/1":
			return &chall, nil
		case h.ServerName == "localhost":
			return &good, nil
		case h.ServerName == "weak.localhost":
			return &weak, nil
		}
		return nil, errors.New("no certificate for this name")
	})
	port, logs := startSourceServer(t, src, tlsdefault.WithALPN("acme-tls/1"))

	t.Run("curl", func(t *testing.T) {
		r := runIntegPeer(t, "", curl, "-sS", "--http2", "--cacert", p.caFile, "https://localhost:"+port+"/")
		if r.err != nil || !strings.Contains(r.stdout, "proto=HTTP/2.0 sni=localhost") {
			t.Fatalf("curl: %v", r)
		}
		// Plain HTTP on the TLS port: the 400 of http.Server.ServeTLS.
		r = runIntegPeer(t, "", curl, "-sS", "-i", "http://localhost:"+port+"/")
		if r.err != nil || !strings.HasPrefix(r.stdout, "HTTP/1.0 400 Bad Request") || !strings.Contains(r.stdout, "Client sent an HTTP request to an HTTPS server.") {
			t.Fatalf("curl http://: %v", r)
		}
	})
	t.Run("python3", func(t *testing.T) {
		script := fmt.Sprintf(`
import socket, ssl
ctx = ssl.create_default_context(cafile=%q)
with socket.create_connection(("127.0.0.1", %s), timeout=10) as s:
    with ctx.wrap_socket(s, server_hostname="localhost") as t:
        t.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = t.recv(4096)
            if not chunk:
                break
            data += chunk
        print(t.version(), data.decode().splitlines()[-1])
`, p.caFile, port)
		r := runIntegPeer(t, "", python, "-c", script)
		if r.err != nil || !strings.Contains(r.stdout, "TLSv1.3 proto=HTTP/1.1 sni=localhost") {
			t.Fatalf("python3: %v", r)
		}
	})
	t.Run("openssl-acme-tls", func(t *testing.T) {
		r := runIntegPeer(t, "", openssl, "s_client", "-connect", "127.0.0.1:"+port, "-servername", "challenge.example", "-alpn", "acme-tls/1", "-CAfile", p.caFile, "-verify_return_error")
		out := r.output()
		if !strings.Contains(out, "ALPN protocol: acme-tls/1") || !regexp.MustCompile(`DNS:challenge\.example|subject=.*tlsdefault test leaf`).MatchString(out+r.stdout) || !strings.Contains(out, "Verify return code: 0 (ok)") {
			t.Fatalf("openssl s_client -alpn acme-tls/1: %v", r)
		}
	})
	t.Run("rsa1024-refused", func(t *testing.T) {
		r := runIntegPeer(t, "", curl, "-sS", "--cacert", p.caFile, "--resolve", "weak.localhost:"+port+":127.0.0.1", "https://weak.localhost:"+port+"/")
		if r.err == nil {
			t.Fatalf("curl accepted a source's RSA-1024 certificate: %v", r)
		}
		waitLogFor(t, logs, `SNI name "weak.localhost"`, "1024 bits")
	})
	t.Run("source-error", func(t *testing.T) {
		script := fmt.Sprintf(`
import socket, ssl
ctx = ssl.create_default_context()
try:
    with socket.create_connection(("127.0.0.1", %s), timeout=10) as s:
        ctx.wrap_socket(s, server_hostname="unknown.localhost")
    print("connected")
except ssl.SSLError as e:
    print("refused", e.reason)
`, port)
		r := runIntegPeer(t, "", python, "-c", script)
		if !strings.Contains(r.stdout, "refused") {
			t.Fatalf("python3: %v", r)
		}
		waitLogFor(t, logs, `SNI name "unknown.localhost"`, "no certificate for this name")
	})
}

// TestIntegrationPeerCheck: WithPeerCheck refuses a curl client
// certificate by its SAN on the server side, and an openssl s_server by
// its SAN on the client side, on TLS 1.2 and 1.3 and on resumption.
func TestIntegrationPeerCheck(t *testing.T) {
	curl, openssl := requirePeer(t, "curl"), requirePeer(t, "openssl")
	p := newIntegPKI(t)
	dir := t.TempDir()
	allowedCrt, allowedKey := p.ca.Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names("spiffe://example.org/web")).WriteFilesNamed(t, dir, "web")
	deniedCrt, deniedKey := p.ca.Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names("spiffe://example.org/db")).WriteFilesNamed(t, dir, "db")
	for _, v := range []struct{ name, curlFlag, opensslFlag string }{{"TLS1.2", "--tls-max", "-tls1_2"}, {"TLS1.3", "--tls-max", "-tls1_3"}} {
		t.Run("server/"+v.name, func(t *testing.T) {
			a := &allowList{}
			a.set("spiffe://example.org/web")
			s := startIntegServer(t, p, tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAFile(p.caFile), tlsdefault.WithPeerCheck(a.check))
			maxV := map[string]string{"TLS1.2": "1.2", "TLS1.3": "1.3"}[v.name]
			r := runIntegPeer(t, "", curl, "-sS", "--tls-max", maxV, "--cacert", p.caFile, "--cert", allowedCrt, "--key", allowedKey, "https://localhost:"+s.port+"/")
			if r.err != nil {
				t.Fatalf("allowed client: %v", r)
			}
			r = runIntegPeer(t, "", curl, "-sS", "--tls-max", maxV, "--cacert", p.caFile, "--cert", deniedCrt, "--key", deniedKey, "https://localhost:"+s.port+"/")
			if r.err == nil {
				t.Fatalf("curl with a SAN off the allow-list was served: %v", r)
			}
			if _, ok := s.log.waitFor(regexp.MustCompile(`WithPeerCheck.*spiffe://example.org/db`), 5*time.Second); !ok {
				t.Fatalf("listener log: %q", s.log.String())
			}
			// Resumption with openssl s_client: the saved session of an
			// allowed client is refused once the check refuses its SAN.
			sess := dir + "/sess-" + v.name + ".pem"
			args := []string{"s_client", "-connect", "127.0.0.1:" + s.port, "-servername", "localhost", v.opensslFlag, "-CAfile", p.caFile, "-cert", allowedCrt, "-key", allowedKey, "-ign_eof"}
			req := "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
			r = runIntegPeer(t, req, openssl, append(args, "-sess_out", sess)...)
			if !strings.Contains(r.stdout, "proto=HTTP/1.1") {
				t.Fatalf("openssl s_client, allowed: %v", r)
			}
			r = runIntegPeer(t, req, openssl, append(args, "-sess_in", sess)...)
			if !strings.Contains(r.stdout, "Reused, TLSv1.") || !strings.Contains(r.stdout, "proto=HTTP/1.1") {
				t.Fatalf("openssl s_client, resumed: %v", r)
			}
			a.set()
			r = runIntegPeer(t, req, openssl, append(args, "-sess_in", sess)...)
			if !strings.Contains(r.stdout, "Reused, TLSv1.") || strings.Contains(r.stdout, "proto=HTTP/1.1") {
				t.Fatalf("openssl s_client, resumed after the check started refusing: %v", r)
			}
			if calls := a.resumed(); len(calls) < 2 || !calls[len(calls)-1] {
				t.Fatalf("the check did not see the resumed handshake: %v", calls)
			}
		})
		t.Run("client/"+v.name, func(t *testing.T) {
			srv := startIntegPeer(t, openssl, "s_server", "-accept", "127.0.0.1:0", "-cert", p.serverCrt, "-key", p.serverKy, v.opensslFlag, "-rev")
			port := srv.waitReady(t, regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)`))
			a := &allowList{}
			a.set("localhost")
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAFile(p.caFile), tlsdefault.WithPeerCheck(a.check))
			if err != nil {
				t.Fatal(err)
			}
			cfg.ServerName = "localhost"
			dial := func() (tls.ConnectionState, error) {
				c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", "127.0.0.1:"+port, cfg)
				if err != nil {
					return tls.ConnectionState{}, err
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				// Read what the server sends after the handshake (TLS 1.3
				// tickets arrive with the first read).
				c.Write([]byte("ping\n"))
				buf := make([]byte, 64)
				c.Read(buf)
				return c.ConnectionState(), nil
			}
			if _, err := dial(); err != nil {
				t.Fatalf("allowed server: %v", err)
			}
			cs, err := dial()
			if err != nil || !cs.DidResume {
				t.Fatalf("second connection: %v, resumed %v", err, cs.DidResume)
			}
			a.set("spiffe://example.org/web")
			if _, err := dial(); !errors.Is(err, errDenied) {
				t.Fatalf("resumed session with a server off the allow-list: %v", err)
			}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAFile(p.caFile), tlsdefault.WithPeerCheck(a.check))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get("https://localhost:" + port + "/"); !errors.Is(err, errDenied) {
				t.Fatalf("NewClient against a refused server: %v", err)
			}
		})
	}
}

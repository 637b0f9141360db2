package tlsdefault_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// sourceFunc is a CertificateSource made of a function.
type sourceFunc func(*tls.ClientHelloInfo) (*tls.Certificate, error)

func (f sourceFunc) GetCertificate(h *tls.ClientHelloInfo) (*tls.Certificate, error) { return f(h) }

// tlsServer is a listener from tlsdefault.Listen whose accepted
// connections are echoed one byte and closed, with its log.
type tlsServer struct {
	ln       net.Listener
	addr     string
	log      *syncBuffer
	accepted atomic.Int32
}

func startTLSServer(t *testing.T, opts ...tlsdefault.Option) *tlsServer {
	t.Helper()
	s := &tlsServer{log: &syncBuffer{}}
	opts = append(opts, tlsdefault.WithErrorLog(log.New(s.log, "", 0)))
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte("x"))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return s
}

// waitLog waits (at most 5 s) for the log to contain all of want.
func (s *tlsServer) waitLog(t *testing.T, want ...string) string {
	t.Helper()
	var got string
	for range 100 {
		got = s.log.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(got, w)
		}
		if ok {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("log %q lacks %q", got, want)
	return ""
}

// dialTLS handshakes with addr and reads the server's first byte.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return c.ConnectionState(), err
	}
	return c.ConnectionState(), nil
}

func TestServerConfigWithoutCertificate(t *testing.T) {
	cfg, err := tlsdefault.ServerConfig()
	if err != nil {
		t.Fatalf("ServerConfig(): %v", err)
	}
	if cfg.GetCertificate != nil || len(cfg.Certificates) != 0 || cfg.MinVersion != tls.VersionTLS12 || cfg.NextProtos[0] != "h2" {
		t.Fatalf("config: %+v", cfg)
	}
	// The caller completes it.
	ca := testpki.NewCA(t)
	cfg.Certificates = []tls.Certificate{ca.Server(t).TLS()}
	if _, err := handshake(t, &tls.Config{RootCAs: ca.Pool()}, cfg); err != nil {
		t.Fatalf("handshake with Certificates set: %v", err)
	}
	for _, name := range []string{"Listen", "NewListener"} {
		var err error
		if name == "Listen" {
			_, err = tlsdefault.Listen("tcp", "127.0.0.1:0")
		} else {
			inner, lerr := net.Listen("tcp", "127.0.0.1:0")
			if lerr != nil {
				t.Fatal(lerr)
			}
			defer inner.Close()
			_, err = tlsdefault.NewListener(inner)
		}
		if err == nil || !strings.Contains(err.Error(), "no server certificate") || !strings.Contains(err.Error(), "WithCertificateSource") {
			t.Errorf("%s without a certificate: %v", name, err)
		}
	}
}

func TestCertificateSourceOptions(t *testing.T) {
	ca := testpki.NewCA(t)
	src := sourceFunc(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, nil })
	var nilSrc *nilSource
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t).WriteFiles(t, dir)
	tests := []struct {
		name   string
		server bool
		opts   []tlsdefault.Option
		want   string
	}{
		{"nil-source", true, []tlsdefault.Option{tlsdefault.WithCertificateSource(nil)}, "nil source"},
		{"typed-nil-source", true, []tlsdefault.Option{tlsdefault.WithCertificateSource(nilSrc)}, "nil source"},
		{"two-sources", true, []tlsdefault.Option{tlsdefault.WithCertificateSource(src), tlsdefault.WithCertificateSource(src)}, "given twice"},
		{"source-and-certificate", true, []tlsdefault.Option{tlsdefault.WithCertificateSource(src), tlsdefault.WithCertificate(ca.Server(t).TLS())}, "cannot be combined"},
		{"source-and-files", true, []tlsdefault.Option{tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithCertificateSource(src)}, "cannot be combined"},
		{"source-on-client", false, []tlsdefault.Option{tlsdefault.WithCertificateSource(src)}, "applies to servers"},
		{"alpn-on-client", false, []tlsdefault.Option{tlsdefault.WithALPN("acme-tls/1")}, "applies to servers"},
		{"alpn-none", true, []tlsdefault.Option{tlsdefault.WithCertificateSource(src), tlsdefault.WithALPN()}, "no protocol"},
		{"alpn-empty", true, []tlsdefault.Option{tlsdefault.WithCertificateSource(src), tlsdefault.WithALPN("x", "")}, "empty protocol"},
		{"alpn-long", true, []tlsdefault.Option{tlsdefault.WithCertificateSource(src), tlsdefault.WithALPN(strings.Repeat("a", 256))}, "255-byte"},
		{"nil-peer-check", false, []tlsdefault.Option{tlsdefault.WithPeerCheck(nil)}, "nil check"},
		{"nil-password", false, []tlsdefault.Option{tlsdefault.WithKeyPassword(nil)}, "nil password"},
		{"password-without-files", true, []tlsdefault.Option{tlsdefault.WithCertificate(ca.Server(t).TLS()), tlsdefault.WithKeyPassword(func() ([]byte, error) { return nil, nil })}, "WithKeyPairFiles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.server {
				_, err = tlsdefault.ServerConfig(tt.opts...)
				if ln, lerr := tlsdefault.Listen("tcp", "127.0.0.1:0", tt.opts...); lerr == nil {
					ln.Close()
					t.Error("Listen accepted the options")
				}
			} else {
				_, err = tlsdefault.ClientConfig(tt.opts...)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tlsdefault: ") {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

type nilSource struct{}

func (*nilSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, nil }

func TestCertificateSourcePolicy(t *testing.T) {
	ca := testpki.NewCA(t)
	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
	good := ca.Server(t, "a.example", "b.example").TLS()
	weak := rsaCA.Issue(t, testpki.RSABits(1024), testpki.Names("a.example")).TLS()
	expired := ca.Issue(t, testpki.Expired(), testpki.Names("a.example")).TLS()
	garbage := tls.Certificate{Certificate: [][]byte{[]byte("not a certificate")}, PrivateKey: good.PrivateKey}
	mismatch := good
	mismatch.PrivateKey = ca.Server(t).TLS().PrivateKey
	tests := []struct {
		name string
		cert *tls.Certificate
		err  error
		want []string // in the log; none when the handshake succeeds
	}{
		{"good", &good, nil, nil},
		{"rsa1024", &weak, nil, []string{"1024 bits", `SNI name "a.example"`, "refused"}},
		{"expired", &expired, nil, []string{"expired on", `"a.example"`}},
		{"garbage", &garbage, nil, []string{"does not parse", `"a.example"`}},
		{"mismatch", &mismatch, nil, []string{"does not match", `"a.example"`}},
		{"error", nil, errors.New("acme: rate limited"), []string{"returned an error", `SNI name "a.example"`, "acme: rate limited"}},
		{"nil", nil, nil, []string{"returned no certificate", `"a.example"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			src := sourceFunc(func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
				calls.Add(1)
				return tt.cert, tt.err
			})
			s := startTLSServer(t, tlsdefault.WithCertificateSource(src))
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				cs, err := dialTLS(t, s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "a.example", MinVersion: v, MaxVersion: v})
				if tt.want == nil {
					if err != nil {
						t.Fatalf("%s: %v", tls.VersionName(v), err)
					}
					if !cs.PeerCertificates[0].Equal(good.Leaf) && string(cs.PeerCertificates[0].Raw) != string(good.Certificate[0]) {
						t.Fatalf("served another certificate")
					}
					continue
				}
				if err == nil {
					t.Fatalf("%s: handshake succeeded with a refused source certificate", tls.VersionName(v))
				}
				if v == tls.VersionTLS12 {
					t.Log(s.waitLog(t, append(tt.want, "handshake with 127.0.0.1:", "certificate source")...))
				}
			}
			if calls.Load() != 2 {
				t.Errorf("source asked %d times for 2 handshakes", calls.Load())
			}
		})
	}
}

func TestCertificateSourceSNIIsQuoted(t *testing.T) {
	src := sourceFunc(func(h *tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, errors.New("unknown host") })
	s := startTLSServer(t, tlsdefault.WithCertificateSource(src))
	// A name with a newline: the log line must stay one line.
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	tls.Client(c, &tls.Config{ServerName: "evil\nname.example", InsecureSkipVerify: true}).Handshake()
	got := s.waitLog(t, `SNI name "evil\nname.example"`, "unknown host")
	if strings.Count(got, "\n") != 1 {
		t.Fatalf("log is not one line: %q", got)
	}
}

func TestCertificateSourceCombined(t *testing.T) {
	// A source sees the hello: SNI, ALPN; the same source serves names and
	// the library's defaults still apply (TLS 1.1 refused).
	ca := testpki.NewCA(t)
	certs := map[string]tls.Certificate{
		"a.example": ca.Server(t, "a.example").TLS(),
		"b.example": ca.Server(t, "b.example").TLS(),
	}
	src := sourceFunc(func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		c, ok := certs[h.ServerName]
		if !ok {
			return nil, errors.New("no certificate for this name")
		}
		return &c, nil
	})
	s := startTLSServer(t, tlsdefault.WithCertificateSource(src))
	for name := range certs {
		cs, err := dialTLS(t, s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cs.PeerCertificates[0].DNSNames[0] != name || cs.NegotiatedProtocol != "" {
			t.Fatalf("%s: got %v, protocol %q", name, cs.PeerCertificates[0].DNSNames, cs.NegotiatedProtocol)
		}
	}
	if _, err := dialTLS(t, s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "a.example", MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10}); err == nil {
		t.Fatal("TLS 1.1 accepted with a certificate source")
	}
}

func TestALPN(t *testing.T) {
	ca := testpki.NewCA(t)
	cert := ca.Server(t).TLS()
	chall := ca.Server(t, "challenge.example").TLS()
	var challenges atomic.Int32
	src := sourceFunc(func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		// What autocert does: the challenge certificate for a hello that
		// offers only acme-tls/1.
		if len(h.SupportedProtos) == 1 && h.SupportedProtos[0] == "acme-tls/1" {
			challenges.Add(1)
			return &chall, nil
		}
		return &cert, nil
	})
	opts := []tlsdefault.Option{tlsdefault.WithCertificateSource(src), tlsdefault.WithALPN("acme-tls/1", "h2", "myproto", "acme-tls/1")}
	cfg, err := tlsdefault.ServerConfig(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.NextProtos, ","); got != "h2,http/1.1,acme-tls/1,myproto" {
		t.Fatalf("NextProtos = %s", got)
	}
	s := startTLSServer(t, opts...)
	// A TLS-ALPN-01 validation: the handshake completes with the
	// challenge certificate, and the connection is closed by the
	// listener, never returned from Accept.
	cs, err := dialTLS(t, s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "challenge.example", NextProtos: []string{"acme-tls/1"}})
	if err == nil || !errors.Is(err, io.EOF) {
		t.Fatalf("acme-tls/1 connection: %v (want EOF after the handshake)", err)
	}
	if cs.NegotiatedProtocol != "acme-tls/1" || cs.PeerCertificates[0].DNSNames[0] != "challenge.example" || challenges.Load() != 1 {
		t.Fatalf("acme-tls/1: protocol %q, names %v, challenges %d", cs.NegotiatedProtocol, cs.PeerCertificates[0].DNSNames, challenges.Load())
	}
	for _, proto := range []string{"h2", "http/1.1", "myproto"} {
		cs, err := dialTLS(t, s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", NextProtos: []string{"acme-tls/1x", proto}})
		if err != nil || cs.NegotiatedProtocol != proto {
			t.Fatalf("%s: %v, negotiated %q", proto, err, cs.NegotiatedProtocol)
		}
	}
	if n := s.accepted.Load(); n != 3 {
		t.Fatalf("Accept returned %d connections, want 3 (not the acme-tls/1 one)", n)
	}
}

// TestPlainHTTPOnTLSPort: curl http:// on the TLS port gets the 400 that
// http.Server.ServeTLS sends, not an empty reply.
func TestPlainHTTPOnTLSPort(t *testing.T) {
	ca := testpki.NewCA(t)
	s := startTLSServer(t, tlsdefault.WithCertificate(ca.Server(t).TLS()))
	for _, req := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"} {
		c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, req)
		got, err := io.ReadAll(bufio.NewReader(c))
		c.Close()
		if string(got) != "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n" {
			t.Fatalf("reply %q, %v", got, err)
		}
	}
	// Not HTTP: no reply, as before.
	c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
	if got, _ := io.ReadAll(c); len(got) != 0 {
		t.Fatalf("reply to SSH: %q", got)
	}
}

var _ = x509.ParseCertificate

// BenchmarkServerHandshake compares a full TLS 1.3 handshake with a fixed
// certificate and with the same certificate from a CertificateSource
// (policy checked once, expiry at each handshake), over an in-memory pipe.
func BenchmarkServerHandshake(b *testing.B) {
	ca := testpki.NewCA(b)
	cert := ca.Server(b).TLS()
	for _, bc := range []struct {
		name string
		opt  tlsdefault.Option
	}{
		{"certificate", tlsdefault.WithCertificate(cert)},
		{"source", tlsdefault.WithCertificateSource(sourceFunc(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil }))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg, err := tlsdefault.ServerConfig(bc.opt)
			if err != nil {
				b.Fatal(err)
			}
			client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
			b.ReportAllocs()
			for b.Loop() {
				c, s := net.Pipe()
				done := make(chan error, 1)
				go func() {
					ts := tls.Server(s, cfg)
					err := ts.Handshake()
					if err == nil {
						_, err = ts.Write([]byte("x"))
					}
					s.Close()
					done <- err
				}()
				tc := tls.Client(c, client)
				var one [1]byte
				if err := tc.Handshake(); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(tc, one[:]); err != nil {
					b.Fatal(err)
				}
				c.Close()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

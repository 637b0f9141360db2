package tlsdefault_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// record is one slog record as a test sees it.
type record struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
}

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu      sync.Mutex
	records []record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]slog.Value{}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
	r.mu.Lock()
	r.records = append(r.records, record{rec.Level, rec.Message, m})
	r.mu.Unlock()
	return nil
}

// events returns the records whose "event" is event.
func (r *recorder) events(event string) []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []record
	for _, rec := range r.records {
		if rec.attrs["event"].String() == event {
			out = append(out, rec)
		}
	}
	return out
}

// wait polls (bounded, 3 s) until the recorder holds n records of event.
func (r *recorder) wait(t *testing.T, event string, n int) []record {
	t.Helper()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if got := r.events(event); len(got) >= n {
			return got
		}
	}
	t.Fatalf("%d %s records, want %d: %+v", len(r.events(event)), event, n, r.records)
	return nil
}

// assertAttrs checks a record's level and that it has exactly the named
// attributes, with the values given where not "".
func assertAttrs(t *testing.T, rec record, level slog.Level, want map[string]string) {
	t.Helper()
	if rec.level != level {
		t.Errorf("%q: level %v, want %v", rec.msg, rec.level, level)
	}
	for k, v := range want {
		got, ok := rec.attrs[k]
		if !ok {
			t.Errorf("%q: no attribute %q (has %v)", rec.msg, k, rec.attrs)
			continue
		}
		if v != "" && got.String() != v {
			t.Errorf("%q: %s = %q, want %q", rec.msg, k, got.String(), v)
		}
	}
	for k := range rec.attrs {
		if _, ok := want[k]; !ok {
			t.Errorf("%q: undocumented attribute %q", rec.msg, k)
		}
	}
}

func TestLoggerHandshakeFailed(t *testing.T) {
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	listen := func(opts ...tlsdefault.Option) (string, *recorder) {
		rec := new(recorder)
		ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", append([]tlsdefault.Option{tlsdefault.WithCertificate(ca.Server(t).TLS()), tlsdefault.WithLogger(slog.New(rec))}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return serveListener(t, ln, nil), rec
	}

	// Plain HTTP: scanner noise, at debug.
	addr, rec := listen()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	io.Copy(io.Discard, c)
	c.Close()
	got := rec.wait(t, tlsdefault.EventHandshakeFailed, 1)
	if cause := got[0].attrs["cause"].String(); cause != tlsdefault.CausePlainHTTP.String() && cause != tlsdefault.CauseNotTLS.String() {
		t.Errorf("plain HTTP: cause %q", cause)
	}
	assertAttrs(t, got[0], slog.LevelDebug, map[string]string{
		"event": tlsdefault.EventHandshakeFailed, "cause": "", "side": "",
		"peer": c.LocalAddr().String(), "sni": "", "error": "", "more": "0",
	})

	// A client certificate from an untrusted CA: at warn, with the SNI.
	addr, rec = listen(tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM()))
	mallory := other.Client(t, "mallory").TLS()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost",
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &mallory, nil }})
	if err == nil {
		conn.Read(make([]byte, 1))
		conn.Close()
	}
	got = rec.wait(t, tlsdefault.EventHandshakeFailed, 1)
	assertAttrs(t, got[0], slog.LevelWarn, map[string]string{
		"event": tlsdefault.EventHandshakeFailed, "cause": tlsdefault.CausePeerCertRefused.String(), "side": "",
		"peer": "", "sni": "localhost", "error": "", "more": "0",
	})
	if e := got[0].attrs["error"].String(); !strings.Contains(e, "handshake with") {
		t.Errorf("error attribute %q", e)
	}
}

func TestLoggerReloads(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	a, b := ca.Server(t), ca.Server(t)
	certFile, keyFile := a.WriteFiles(t, dir)
	caFile := ca.WriteFile(t, dir, "ca.pem")
	keysFile := filepath.Join(dir, "ticket.keys")
	writeTicketKeys(t, keysFile, newTicketKey(t))
	rec := new(recorder)
	cfg, err := tlsdefault.ServerConfig(
		tlsdefault.WithKeyPairFiles(certFile, keyFile),
		tlsdefault.WithClientAuth(tls.VerifyClientCertIfGiven), tlsdefault.WithCAFile(caFile),
		tlsdefault.WithSessionTicketKeyFile(keysFile),
		tlsdefault.WithLogger(slog.New(rec)), tlsdefault.WithReloadInterval(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(0)}
	shake := func() {
		t.Helper()
		if _, err := handshake(t, client, cfg); err != nil {
			t.Fatal(err)
		}
	}
	shake()
	if n := len(rec.events(tlsdefault.EventReload)); n != 0 {
		t.Fatalf("%d reload records before any change", n)
	}
	b.WriteFiles(t, dir)
	ca.WriteFile(t, dir, "ca.pem")
	writeTicketKeys(t, keysFile, newTicketKey(t))
	client.ClientSessionCache = tls.NewLRUClientSessionCache(0) // a full handshake, to pick the certificate
	shake()
	shake() // a ticket issued and presented
	ok := rec.events(tlsdefault.EventReload)
	seen := map[string]bool{}
	for _, r := range ok {
		assertAttrs(t, r, slog.LevelInfo, map[string]string{"event": tlsdefault.EventReload, "what": "", "path": "", "ok": "true"})
		seen[r.attrs["what"].String()] = true
	}
	for _, what := range []string{"key_pair", "trust", "ticket_keys"} {
		if !seen[what] {
			t.Errorf("no reload record for %s: %+v", what, ok)
		}
	}

	secret := newTicketKey(t)
	os.WriteFile(certFile, []byte("garbage"), 0o644)
	os.WriteFile(caFile, []byte("garbage"), 0o644)
	writeTicketKeys(t, keysFile, secret[:40])
	client.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	shake()
	shake()
	failed := map[string]record{}
	for _, r := range rec.events(tlsdefault.EventReload) {
		if r.attrs["ok"].Bool() {
			continue
		}
		assertAttrs(t, r, slog.LevelError, map[string]string{"event": tlsdefault.EventReload, "what": "", "path": "", "ok": "false", "error": ""})
		if _, dup := failed[r.attrs["what"].String()]; dup {
			t.Errorf("failure of %s reported twice", r.attrs["what"])
		}
		failed[r.attrs["what"].String()] = r
		if strings.Contains(r.attrs["error"].String(), secret[:12]) {
			t.Errorf("key material in %v", r.attrs)
		}
	}
	for what, path := range map[string]string{"key_pair": certFile, "trust": caFile, "ticket_keys": keysFile} {
		if r, ok := failed[what]; !ok || r.attrs["path"].String() != path {
			t.Errorf("failed reload of %s: %+v", what, r)
		}
	}
}

func TestLoggerCertificateExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ca := testpki.NewCA(t)
		now := time.Now()
		fresh := ca.Issue(t, testpki.Validity(now.Add(-time.Hour), now.Add(90*24*time.Hour)))
		old := ca.Issue(t, testpki.Validity(now.Add(-70*24*time.Hour), now.Add(20*24*time.Hour))) // past 2/3
		soon := ca.Issue(t, testpki.Validity(now.Add(-time.Hour), now.Add(6*24*time.Hour)))       // within 7 days
		expired := ca.Issue(t, testpki.Validity(now.Add(-90*24*time.Hour), now.Add(-time.Hour)))
		for _, tc := range []struct {
			name  string
			leaf  *testpki.Leaf
			level slog.Level
			none  bool
		}{
			{"fresh", fresh, 0, true},
			{"past two thirds", old, slog.LevelWarn, false},
			{"within 7 days", soon, slog.LevelWarn, false},
			{"expired", expired, slog.LevelError, false},
		} {
			rec := new(recorder)
			start := time.Now()
			cfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(tc.leaf.TLS()), tlsdefault.WithLogger(slog.New(rec)))
			if err != nil {
				t.Fatal(err)
			}
			got := rec.events(tlsdefault.EventCertificateExpiry)
			if tc.none {
				if len(got) != 0 {
					t.Errorf("%s: %+v", tc.name, got)
				}
				continue
			}
			if len(got) != 1 {
				t.Fatalf("%s: %d records at load, want 1", tc.name, len(got))
			}
			assertAttrs(t, got[0], tc.level, map[string]string{
				"event": tlsdefault.EventCertificateExpiry, "side": "server", "subject": "", "serial": tc.leaf.Cert.SerialNumber.Text(16),
				"not_after": "", "expires_in": tc.leaf.Cert.NotAfter.Sub(start).Round(time.Second).String(),
			})
			// Served all day: no more records until a day has passed.
			for range 10 {
				cfg.GetCertificate(&tls.ClientHelloInfo{})
				time.Sleep(time.Hour)
			}
			if n := len(rec.events(tlsdefault.EventCertificateExpiry)); n != 1 {
				t.Fatalf("%s: %d records within a day, want 1", tc.name, n)
			}
			time.Sleep(15 * time.Hour)
			cfg.GetCertificate(&tls.ClientHelloInfo{})
			if n := len(rec.events(tlsdefault.EventCertificateExpiry)); n != 2 {
				t.Fatalf("%s: %d records after a day, want 2", tc.name, n)
			}
		}
	})
}

func TestLoggerLegacyHandshake(t *testing.T) {
	skipInFIPS(t, "a TLS 1.0 handshake is impossible in FIPS mode")
	ca := testpki.NewCA(t)
	leaf := ca.Server(t)
	tls10 := &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}}

	// Client side.
	srv := tls10.Clone()
	srv.Certificates = []tls.Certificate{leaf.TLS()}
	addr := serveHTTPS(t, srv, nil)
	rec := new(recorder)
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.ForHosts("localhost"), legacy.Quiet()), tlsdefault.WithLogger(slog.New(rec)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if _, _, err := get(t, c, "https://localhost:"+strings.Split(addr, ":")[1]+"/"); err != nil {
		t.Fatal(err)
	}
	got := rec.wait(t, tlsdefault.EventLegacyHandshake, 1)
	assertAttrs(t, got[0], slog.LevelWarn, map[string]string{
		"event": tlsdefault.EventLegacyHandshake, "side": "client", "host": "localhost", "peer": "", "version": "TLS 1.0", "cipher_suite": "",
	})

	// Server side.
	rec = new(recorder)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(leaf.TLS()), legacy.Allow(legacy.Quiet()), tlsdefault.WithLogger(slog.New(rec)))
	if err != nil {
		t.Fatal(err)
	}
	addr = serveListener(t, ln, nil)
	cl := tls10.Clone()
	cl.RootCAs, cl.ServerName = ca.Pool(), "localhost"
	conn, err := tls.Dial("tcp", addr, cl)
	if err != nil {
		t.Fatal(err)
	}
	local := conn.LocalAddr().String()
	conn.Close()
	got = rec.wait(t, tlsdefault.EventLegacyHandshake, 1)
	assertAttrs(t, got[0], slog.LevelWarn, map[string]string{
		"event": tlsdefault.EventLegacyHandshake, "side": "server", "host": "localhost", "peer": local, "version": "TLS 1.0", "cipher_suite": "",
	})
}

// TestClientCertReplacedClosesIdle: when a client's certificate files are
// replaced, its transport's idle connections are closed and the next
// request presents the new certificate.
func TestClientCertReplacedClosesIdle(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	a, b := ca.Client(t, "first"), ca.Client(t, "second")
	certFile, keyFile := a.WriteFiles(t, dir)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithErrorLog(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + serveListener(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	})) + "/"
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithReloadInterval(20*time.Millisecond), tlsdefault.WithErrorLog(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if _, body, err := get(t, c, url); err != nil || body != "first" {
		t.Fatalf("%q, %v", body, err)
	}
	b.WriteFiles(t, dir)
	for end := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, body, err := get(t, c, url)
		if err != nil {
			t.Fatal(err)
		}
		if body == "second" {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the kept-alive connection still presents the old certificate after 3 s")
		}
	}
}

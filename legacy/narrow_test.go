package legacy_test

import (
	"crypto/tls"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// One AEAD suite: a user's narrowing of CipherSuites.
var narrowSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}

// A user's narrowing of the versions or suites of a client's config, made
// after the constructor returned it, is never undone by legacy mode: for a
// host in scope, with and without ForHosts, through NewClient's transport
// and (without ForHosts, which ClientConfig refuses) through ClientConfig.
//
// A scoped client's TLSClientConfig holds the defaults (TLS 1.2) and its
// dialler widens its own clone for a host in scope while a field still
// holds them: MinVersion set to TLS 1.2 there changes nothing (as on a
// scoped server); TLS 1.3 holds. The package documentation says so.
func TestClientNarrowingHolds(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test")
	tls10 := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}))
	cbc := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}))
	narrowings := []struct {
		name   string
		server string
		narrow func(*tls.Config)
	}{
		{"MinVersion", tls10, func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 }},
		{"MinVersion=TLS1.3", tls10, func(c *tls.Config) { c.MinVersion = tls.VersionTLS13 }},
		{"CipherSuites", cbc, func(c *tls.Config) { c.CipherSuites = narrowSuites }},
	}
	for _, scope := range []struct {
		name   string
		scopes []legacy.Scope
	}{
		{"ForHosts", []legacy.Scope{legacy.ForHosts("old.test")}},
		{"unscoped", nil},
	} {
		opts := func() []tlsdefault.Option {
			return []tlsdefault.Option{tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(append([]legacy.Scope{legacy.Quiet()}, scope.scopes...)...)}
		}
		for _, nw := range narrowings {
			if scope.scopes != nil && nw.name == "MinVersion" {
				continue // TLS 1.2 is the default of a scoped client's config: see above
			}
			t.Run(scope.name+"/transport/"+nw.name, func(t *testing.T) {
				c := newClient(t, opts()...)
				redirect(t, c, map[string]string{"old.test": nw.server})
				if _, err := get(c, "https://old.test/"); err != nil {
					t.Fatalf("before narrowing: %v", err)
				}
				c.CloseIdleConnections()
				nw.narrow(c.Transport.(*http.Transport).TLSClientConfig)
				if resp, err := get(c, "https://old.test/"); err == nil {
					t.Fatalf("after narrowing %s: connected with %s, %s", nw.name, tls.VersionName(resp.TLS.Version), tls.CipherSuiteName(resp.TLS.CipherSuite))
				}
			})
			if scope.scopes != nil {
				continue // ClientConfig refuses ForHosts (TestForHostsClientConfig)
			}
			t.Run(scope.name+"/ClientConfig/"+nw.name, func(t *testing.T) {
				cfg, err := tlsdefault.ClientConfig(opts()...)
				if err != nil {
					t.Fatal(err)
				}
				cfg.ServerName = "old.test"
				dial := func() error {
					conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", nw.server, cfg)
					if err == nil {
						conn.Close()
					}
					return err
				}
				if err := dial(); err != nil {
					t.Fatalf("before narrowing: %v", err)
				}
				nw.narrow(cfg)
				if err := dial(); err == nil {
					t.Fatalf("after narrowing %s: connected", nw.name)
				}
			})
		}
	}
}

// serverHandshake runs one handshake on loopback between a crypto/tls
// client with cli and a server with srv, and returns the server's error.
func serverHandshake(t *testing.T, srv, cli *tls.Config) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		done <- tls.Server(raw, srv).Handshake()
	}()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), cli)
	if err == nil {
		conn.Close()
	}
	return <-done
}

// The same on the server side: a CipherSuites list or a floor the user set
// on the config from ServerConfig after building it holds for a client in
// scope (the server used to widen the suites again).
func TestServerNarrowingHolds(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test")
	tls10 := &tls.Config{RootCAs: ca.Pool(), ServerName: "old.test", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}
	cbc := &tls.Config{RootCAs: ca.Pool(), ServerName: "old.test", MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}
	for _, scope := range []struct {
		name   string
		scopes []legacy.Scope
	}{
		{"ForHosts", []legacy.Scope{legacy.ForHosts("old.test")}},
		{"unscoped", nil},
	} {
		for _, nw := range []struct {
			name   string
			client *tls.Config
			narrow func(*tls.Config)
		}{
			{"MinVersion=TLS1.1", tls10, func(c *tls.Config) { c.MinVersion = tls.VersionTLS11 }},
			{"MinVersion=TLS1.2", tls10, func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 }},
			{"MinVersion=TLS1.3", tls10, func(c *tls.Config) { c.MinVersion = tls.VersionTLS13 }},
			{"CipherSuites", cbc, func(c *tls.Config) { c.CipherSuites = narrowSuites }},
		} {
			if scope.scopes != nil && nw.name == "MinVersion=TLS1.2" {
				// A scoped server's config holds the defaults (TLS 1.2)
				// and is widened per handshake: setting TLS 1.2 changes
				// nothing. The package documentation says so.
				continue
			}
			t.Run(scope.name+"/"+nw.name, func(t *testing.T) {
				cfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(leaf.TLS()), legacy.Allow(append([]legacy.Scope{legacy.Quiet()}, scope.scopes...)...))
				if err != nil {
					t.Fatal(err)
				}
				if err := serverHandshake(t, cfg, nw.client); err != nil {
					t.Fatalf("before narrowing: %v", err)
				}
				nw.narrow(cfg)
				if err := serverHandshake(t, cfg, nw.client); err == nil {
					t.Fatalf("after narrowing %s: the server accepted", nw.name)
				} else {
					t.Logf("refused: %v", err)
				}
			})
		}
	}
}

// A connection through NewClient's dialler offers the old versions and
// suites only to a host in scope: what a host out of scope receives in the
// ClientHello is the defaults, and the transport's TLSClientConfig holds
// the defaults too (the dialler widens its own clone for a host in scope).
func TestTransportOffersLegacyOnlyInScope(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test", "new.test")
	var mu sync.Mutex
	hellos := map[string]*tls.ClientHelloInfo{}
	srv := goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		hellos[h.ServerName] = h
		return nil, nil
	}})
	c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet()))
	if cfg := c.Transport.(*http.Transport).TLSClientConfig; cfg.MinVersion != tls.VersionTLS12 || slices.ContainsFunc(cfg.CipherSuites, func(s uint16) bool { return !slices.Contains(defaultSuites, s) }) {
		t.Errorf("TLSClientConfig of a scoped client: MinVersion %s, suites %x; want the defaults", tls.VersionName(cfg.MinVersion), cfg.CipherSuites)
	}
	redirect(t, c, map[string]string{"old.test": hostPort(t, srv), "new.test": hostPort(t, srv)})
	for _, host := range []string{"old.test", "new.test"} {
		if _, err := get(c, "https://"+host+"/"); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	old, other := hellos["old.test"], hellos["new.test"]
	if old == nil || other == nil {
		t.Fatalf("ClientHellos seen: %v", hellos)
	}
	if !slices.Contains(old.SupportedVersions, tls.VersionTLS10) || !slices.Contains(old.CipherSuites, tls.TLS_RSA_WITH_AES_128_CBC_SHA) {
		t.Errorf("old.test (in scope) was offered versions %x, suites %x; want TLS 1.0 and the legacy suites", old.SupportedVersions, old.CipherSuites)
	}
	if slices.Contains(other.SupportedVersions, tls.VersionTLS10) || slices.Contains(other.SupportedVersions, tls.VersionTLS11) {
		t.Errorf("new.test (out of scope) was offered versions %x", other.SupportedVersions)
	}
	for _, s := range other.CipherSuites {
		if s != 0x00ff /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */ && !slices.Contains(defaultSuites, s) {
			t.Errorf("new.test (out of scope) was offered %s", tls.CipherSuiteName(s))
		}
	}
}

// defaultSuites are the suites of the defaults, TLS 1.3's included.
var defaultSuites = []uint16{
	tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

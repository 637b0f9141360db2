package tlsdefault_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// stateCheck is a peer check that reads the fields of the ConnectionState
// that VerifyPeerCertificate cannot give (the name, the version, the
// suite): it refuses a state without them, and pins the name.
type stateCheck struct {
	name string
	mu   sync.Mutex
	seen []tls.ConnectionState
}

func (s *stateCheck) check(cs tls.ConnectionState) error {
	s.mu.Lock()
	s.seen = append(s.seen, cs)
	s.mu.Unlock()
	if cs.ServerName != s.name {
		return fmt.Errorf("server name %q, want %q", cs.ServerName, s.name)
	}
	if cs.Version < tls.VersionTLS12 || cs.CipherSuite == 0 {
		return fmt.Errorf("version %#x suite %#x: TLS 1.2 or later required", cs.Version, cs.CipherSuite)
	}
	if len(cs.PeerCertificates) == 0 || len(cs.VerifiedChains) == 0 {
		return errors.New("no verified certificate")
	}
	return nil
}

func (s *stateCheck) calls() []tls.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tls.ConnectionState(nil), s.seen...)
}

// checkSaw fails unless the check ran once per handshake, with the
// version negotiated, on a full handshake and then on a resumed one.
func checkSaw(t *testing.T, s *stateCheck, version uint16) {
	t.Helper()
	calls := s.calls()
	if len(calls) != 2 {
		t.Fatalf("the check ran %d times for 2 handshakes", len(calls))
	}
	for i, cs := range calls {
		if cs.Version != version || cs.DidResume != (i == 1) {
			t.Errorf("call %d: version %#x resumed %v, want %#x resumed %v", i, cs.Version, cs.DidResume, version, i == 1)
		}
	}
}

// TestPeerCheckSeesWholeState: a client's WithPeerCheck gets the whole
// ConnectionState (ServerName, Version, CipherSuite, chains) on full and
// resumed handshakes, TLS 1.2 and 1.3, through ClientConfig with tls.Dial,
// NewTransport and NewClient, with the library's hooks as they are. (Found
// by the second red-team pass: the checks ran from VerifyPeerCertificate
// with only the certificates set, refusing every legitimate server to a
// check that pins the name or the version.)
func TestPeerCheckSeesWholeState(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}, MinVersion: v, MaxVersion: v}
		addr := serveHTTPS(t, srv, nil)
		url := "https://localhost:" + port(addr) + "/"
		t.Run(tls.VersionName(v)+"/ClientConfig", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if _, err := handshake(t, cfg, srv); err != nil {
					t.Fatalf("handshake %d: %v", i, err)
				}
			}
			checkSaw(t, s, v)
		})
		t.Run(tls.VersionName(v)+"/NewTransport", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: tr}
			for i := range 2 {
				if _, _, err := get(t, c, url); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				tr.CloseIdleConnections()
			}
			checkSaw(t, s, v)
		})
		t.Run(tls.VersionName(v)+"/NewClient", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if _, _, err := get(t, c, url); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				c.CloseIdleConnections()
			}
			checkSaw(t, s, v)
		})
		t.Run(tls.VersionName(v)+"/NewClientVerifyConnectionReplaced", func(t *testing.T) {
			// NewClient's dialler runs the checks after a replaced
			// VerifyConnection itself, with the whole state.
			s := &stateCheck{name: "localhost"}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			c.Transport.(*http.Transport).TLSClientConfig.VerifyConnection = acceptAll
			for i := range 2 {
				if _, _, err := get(t, c, url); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				c.CloseIdleConnections()
			}
			checkSaw(t, s, v)
			deny, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()),
				tlsdefault.WithPeerCheck(func(tls.ConnectionState) error { return errDenied }))
			if err != nil {
				t.Fatal(err)
			}
			deny.Transport.(*http.Transport).TLSClientConfig.VerifyConnection = acceptAll
			if _, _, err := get(t, deny, url); !errors.Is(err, errDenied) {
				t.Fatalf("a refusing check after VerifyConnection was replaced: %v", err)
			}
		})
	}
}

// TestPeerCheckVerifyConnectionReplaced: on a config from ClientConfig
// whose VerifyConnection is replaced, the checks still run (from
// VerifyPeerCertificate, on full handshakes) and fail closed: a check
// that needs the name or version refuses, and the error says why.
func TestPeerCheckVerifyConnectionReplaced(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}}
	s := &stateCheck{name: "localhost"}
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
	if err != nil {
		t.Fatal(err)
	}
	cfg.VerifyConnection = acceptAll
	_, err = handshake(t, cfg, srv)
	pe, ok := errors.AsType[*tlsdefault.PeerCheckError](err)
	if !ok || !pe.Partial || !strings.Contains(err.Error(), "VerifyConnection is no longer the library's") {
		t.Fatalf("a check needing the name, VerifyConnection replaced: %v", err)
	}
	if he := tlsdefault.Diagnose(err); he.Cause != tlsdefault.CausePeerCheck || !strings.Contains(he.Error(), "VerifyConnection is no longer the library's") {
		t.Fatalf("Diagnose: %v (cause %v)", he, he.Cause)
	}
	// Untouched, the same check passes.
	cfg2, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg2, srv); err != nil {
		t.Fatalf("the same check with the hooks untouched: %v", err)
	}
}

// A VerifyConnection that wraps the library's is, to the library, no
// longer its own: the checks run from VerifyPeerCertificate too (with the
// certificates), then again in the library's VerifyConnection. A check of
// the certificates alone behaves the same; one that refuses still refuses.
func TestPeerCheckVerifyConnectionWrapped(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}}
	for _, tc := range []struct {
		name   string
		allow  []string
		refuse bool
	}{{"allowed", []string{"localhost"}, false}, {"denied", []string{"other.example"}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			a := &allowList{}
			a.set(tc.allow...)
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(a.check))
			if err != nil {
				t.Fatal(err)
			}
			ours := cfg.VerifyConnection
			wrapped := 0
			cfg.VerifyConnection = func(cs tls.ConnectionState) error { wrapped++; return ours(cs) }
			_, err = handshake(t, cfg, srv)
			if tc.refuse != errors.Is(err, errDenied) || (!tc.refuse && err != nil) {
				t.Fatalf("wrapped VerifyConnection, %s: %v", tc.name, err)
			}
			if !tc.refuse && wrapped != 1 {
				t.Fatalf("the wrapper ran %d times", wrapped)
			}
		})
	}
}

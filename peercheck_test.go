package tlsdefault_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

var errDenied = errors.New("identity not on the allow-list")

// allowList is a peer check that accepts only leaf certificates with one
// of the allowed URI SANs (SPIFFE IDs) or DNS names, and records what it
// saw.
type allowList struct {
	mu      sync.Mutex
	allowed []string
	calls   []bool // DidResume of each call
}

func (a *allowList) set(names ...string) {
	a.mu.Lock()
	a.allowed = names
	a.mu.Unlock()
}

func (a *allowList) check(cs tls.ConnectionState) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, cs.DidResume)
	if len(cs.PeerCertificates) == 0 || len(cs.VerifiedChains) == 0 {
		return errors.New("no verified peer certificate")
	}
	leaf := cs.PeerCertificates[0]
	var ids []string
	for _, u := range leaf.URIs {
		ids = append(ids, u.String())
	}
	ids = append(ids, leaf.DNSNames...)
	for _, id := range ids {
		if slices.Contains(a.allowed, id) {
			return nil
		}
	}
	return fmt.Errorf("%w: %q", errDenied, ids)
}

func (a *allowList) resumed() []bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

func TestPeerCheckServer(t *testing.T) {
	ca := testpki.NewCA(t)
	clientCert := func(id string) tls.Certificate {
		return ca.Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names(id)).TLS()
	}
	good, bad := clientCert("spiffe://example.org/web"), clientCert("spiffe://example.org/other")
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			a := &allowList{}
			a.set("spiffe://example.org/web")
			s := startTLSServer(t, tlsdefault.WithCertificate(ca.Server(t).TLS()),
				tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM()),
				tlsdefault.WithPeerCheck(a.check))
			client := func(c tls.Certificate, cache tls.ClientSessionCache) *tls.Config {
				return &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", MinVersion: v, MaxVersion: v, Certificates: []tls.Certificate{c}, ClientSessionCache: cache}
			}
			// The library's own verification comes first: a certificate
			// from another CA never reaches the check.
			other := testpki.NewCA(t).Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth), testpki.Names("spiffe://example.org/web")).TLS()
			if _, err := dialTLS(t, s.addr, client(other, nil)); err == nil {
				t.Fatal("a client certificate from another CA was accepted")
			}
			if n := len(a.resumed()); n != 0 {
				t.Fatalf("the check ran %d times for a chain the library refused", n)
			}
			if _, err := dialTLS(t, s.addr, client(bad, nil)); err == nil {
				t.Fatal("a client outside the allow-list was accepted")
			}
			s.waitLog(t, "WithPeerCheck", "spiffe://example.org/other", "not on the allow-list", "handshake with 127.0.0.1:")
			// Resumption: accepted first, then the same session is
			// refused once the identity is off the list.
			cache := tls.NewLRUClientSessionCache(4)
			if _, err := dialTLS(t, s.addr, client(good, cache)); err != nil {
				t.Fatalf("allowed client: %v", err)
			}
			if cs, err := dialTLS(t, s.addr, client(good, cache)); err != nil || !cs.DidResume {
				t.Fatalf("second connection: %v, resumed %v", err, cs.DidResume)
			}
			a.set()
			if _, err := dialTLS(t, s.addr, client(good, cache)); err == nil {
				t.Fatal("a resumed session was accepted after the check started refusing it")
			}
			calls := a.resumed()
			if want := []bool{false, false, true, true}; !slices.Equal(calls, want) {
				t.Fatalf("check calls (DidResume) = %v, want %v", calls, want)
			}
		})
	}
}

func TestPeerCheckClient(t *testing.T) {
	ca := testpki.NewCA(t)
	s := startTLSServer(t, tlsdefault.WithCertificate(ca.Server(t, "a.example").TLS()))
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			a := &allowList{}
			a.set("b.example")
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(a.check))
			if err != nil {
				t.Fatal(err)
			}
			cfg.ServerName, cfg.MinVersion, cfg.MaxVersion = "b.example", v, v
			if _, err := dialTLS(t, s.addr, cfg); err == nil || errors.Is(err, errDenied) || len(a.resumed()) != 0 {
				t.Fatalf("wrong host name: %v; the check ran %d times before the library's hostname check", err, len(a.resumed()))
			}
			cfg.ServerName = "a.example"
			_, err = dialTLS(t, s.addr, cfg)
			if !errors.Is(err, errDenied) {
				t.Fatalf("server outside the allow-list: %v", err)
			}
			pe := mustAs[*tlsdefault.PeerCheckError](t, err)
			if pe.Peer != "server" || !strings.Contains(err.Error(), "WithPeerCheck") {
				t.Fatalf("error %v", err)
			}
			a.set("a.example")
			if _, err := dialTLS(t, s.addr, cfg); err != nil {
				t.Fatalf("allowed server: %v", err)
			}
			if cs, err := dialTLS(t, s.addr, cfg); err != nil || !cs.DidResume {
				t.Fatalf("second connection: %v, resumed %v", err, cs.DidResume)
			}
			a.set()
			if _, err := dialTLS(t, s.addr, cfg); !errors.Is(err, errDenied) {
				t.Fatalf("resumed session after the check started refusing: %v", err)
			}
			if calls := a.resumed(); !slices.Equal(calls, []bool{false, false, true, true}) {
				t.Fatalf("check calls (DidResume) = %v", calls)
			}
		})
	}
	t.Run("NewClient", func(t *testing.T) {
		a := &allowList{}
		c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(a.check))
		if err != nil {
			t.Fatal(err)
		}
		// Dialled by IP: the check still sees the verified chain.
		s := startTLSServer(t, tlsdefault.WithCertificate(ca.Server(t).TLS()))
		_, _, err = get(t, c, "https://"+s.addr)
		if err == nil || !errors.Is(err, errDenied) {
			t.Fatalf("NewClient: %v", err)
		}
		mustAs[*tlsdefault.PeerCheckError](t, err)
		if he := mustAs[*tlsdefault.HandshakeError](t, err); he.Cause != tlsdefault.CausePeerCheck || he.Side != "client" {
			t.Fatalf("HandshakeError cause %v side %q: %v", he.Cause, he.Side, he)
		}
	})
}

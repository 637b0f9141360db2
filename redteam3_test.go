package tlsdefault_test

// Third red-team pass (the day's changes: peer checks from VerifyConnection
// with the whole state, GODEBUG tlsmlkem=0, the trust watcher stamping
// around the read, NewClient's lazy verification in VerifyConnection).
// Each test asserts the secure behaviour: a failing test shows a defect.

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// denyTLS12 is a deny-list check of the kind SECURITY.md suggests for
// WithPeerCheck: it refuses what it recognises (here a TLS 1.2 session, a
// policy "TLS 1.3 only for this client") and accepts the rest.
func denyTLS12(calls *atomic.Int32) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		calls.Add(1)
		if cs.Version == tls.VersionTLS12 {
			return errors.New("TLS 1.2 refused by policy")
		}
		return nil
	}
}

// TestRedteam3WrappedVerifyConnectionPartialPass: the documented way to
// add a check of one's own is to wrap the library's VerifyConnection
// (SECURITY.md, the PeerCheckError message). On a ClientConfig config
// whose VerifyConnection wraps the library's, VerifyPeerCertificate runs
// the WithPeerCheck checks with the partial state (Version 0): a deny-list
// check passes there, and the library's VerifyConnection, called by the
// wrapper with the whole state, then skips the checks as already run. A
// TLS 1.2 server that the check refuses with the hooks untouched is
// accepted with the hook wrapped.
func TestRedteam3WrappedVerifyConnectionPartialPass(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}, MaxVersion: tls.VersionTLS12}
	var calls atomic.Int32
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(denyTLS12(&calls)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cfg, srv); err == nil {
		t.Fatal("control: the check did not refuse TLS 1.2 with the hooks untouched")
	}
	lib := cfg.VerifyConnection
	var wrapped atomic.Int32
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		wrapped.Add(1)
		return lib(cs) // wraps the library's, as documented
	}
	calls.Store(0)
	cs, err := handshake(t, cfg, srv)
	if wrapped.Load() == 0 {
		t.Fatalf("the wrapper did not run (%v)", err)
	}
	if err == nil {
		t.Errorf("ClientConfig(WithPeerCheck(refuse TLS 1.2)) with VerifyConnection wrapped (calling the library's) accepted %s: the check ran only from VerifyPeerCertificate with Version 0, and the library's VerifyConnection skipped it as already run (%d call(s))",
			tls.VersionName(cs.Version), calls.Load())
	}
}

// TestRedteam3WrappedVerifyConnectionRefusesGoodServer: the same wrapped
// hook with a check that pins the name (TestPeerCheckSeesWholeState's
// stateCheck) refuses the right server (fail closed: VerifyPeerCertificate
// cannot tell a wrapper from a replacement), and the error used to tell
// the user to do what they had done: "wrap the library's VerifyConnection
// instead of replacing it". It must say what works.
func TestRedteam3WrappedVerifyConnectionRefusesGoodServer(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}}
	s := &stateCheck{name: "localhost"}
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
	if err != nil {
		t.Fatal(err)
	}
	lib := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error { return lib(cs) }
	_, err = handshake(t, cfg, srv)
	if err == nil {
		return // whole state seen: better than promised
	}
	pe, ok := errors.AsType[*tlsdefault.PeerCheckError](err)
	if !ok || !pe.Partial {
		t.Fatalf("refused, but not as a partial-state peer check: %v", err)
	}
	for _, msg := range []string{err.Error(), tlsdefault.Diagnose(err).Error()} {
		if strings.Contains(msg, "wrap the library's VerifyConnection instead") {
			t.Errorf("a name-pinning check with VerifyConnection wrapped as documented refused the right server with advice to wrap the hook: %s", msg)
		}
		if !strings.Contains(msg, "NewClient") || !strings.Contains(msg, "with WithPeerCheck") {
			t.Errorf("the refusal does not say what works instead (checks given with WithPeerCheck, or NewClient): %s", msg)
		}
	}
}

// A clone of NewTransport's transport (Transport.Clone, which clones
// TLSClientConfig) keeps the peer checks with its hooks untouched or with
// VerifyConnection wrapped. With VerifyConnection replaced by a hook that
// does not call the library's, the clone runs none: the
// VerifyPeerCertificate it shares cannot see the clone (crypto/tls gives
// a hook no reference to the config in use) and finds the original's
// VerifyConnection still the library's. That limit is documented in
// SECURITY.md ("Left:") and on WithPeerCheck; the third red-team pass
// found it (this test then asserted the replaced case, and failed).
func TestTransportClonePeerCheck(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}}
	addr := serveHTTPS(t, srv, nil)
	url := "https://localhost:" + port(addr) + "/"
	var calls atomic.Int32
	deny := tlsdefault.WithPeerCheck(func(tls.ConnectionState) error { calls.Add(1); return errDenied })
	tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.CertPEM()), deny)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.CloseIdleConnections()
	if _, _, err := get(t, &http.Client{Transport: tr}, url); !errors.Is(err, errDenied) {
		t.Fatalf("control: the original transport: %v", err)
	}
	for _, tc := range []struct {
		name string
		hook func(ours func(tls.ConnectionState) error) func(tls.ConnectionState) error
	}{
		{"untouched", func(ours func(tls.ConnectionState) error) func(tls.ConnectionState) error { return ours }},
		{"wrapped", func(ours func(tls.ConnectionState) error) func(tls.ConnectionState) error {
			return func(cs tls.ConnectionState) error { return ours(cs) }
		}},
	} {
		cl := tr.Clone()
		cl.TLSClientConfig.VerifyConnection = tc.hook(cl.TLSClientConfig.VerifyConnection)
		calls.Store(0)
		_, _, err := get(t, &http.Client{Transport: cl}, url)
		cl.CloseIdleConnections()
		if !errors.Is(err, errDenied) || calls.Load() == 0 {
			t.Errorf("Transport.Clone, VerifyConnection %s: %v (the check ran %d times); want the check's refusal", tc.name, err, calls.Load())
		}
	}
}

// TestRedteam3PeerCheckCounts: with the hooks untouched the checks run
// exactly once per handshake, full and resumed, TLS 1.2 and 1.3, through
// ClientConfig, NewTransport (and its clone), NewClient (and with
// TLSClientConfig replaced by a clone of itself); a refusal is reported as
// CausePeerCheck by Diagnose and by NewClient.
func TestRedteam3PeerCheckCounts(t *testing.T) {
	ca := testpki.NewCA(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}, MinVersion: v, MaxVersion: v}
		addr := serveHTTPS(t, srv, nil)
		url := "https://localhost:" + port(addr) + "/"
		twice := func(t *testing.T, s *stateCheck, do func() error) {
			t.Helper()
			for i := range 2 {
				if err := do(); err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
			}
			checkSaw(t, s, v)
		}
		t.Run(tls.VersionName(v)+"/TransportClone", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			cl := tr.Clone()
			c := &http.Client{Transport: cl}
			twice(t, s, func() error { _, _, err := get(t, c, url); cl.CloseIdleConnections(); return err })
		})
		t.Run(tls.VersionName(v)+"/NewClientConfigCloned", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			tr := c.Transport.(*http.Transport)
			tr.TLSClientConfig = tr.TLSClientConfig.Clone()
			twice(t, s, func() error { _, _, err := get(t, c, url); c.CloseIdleConnections(); return err })
		})
		t.Run(tls.VersionName(v)+"/NewClientNoDialler", func(t *testing.T) {
			// net/http handshakes with TLSClientConfig itself (as through
			// a proxy): the library's hooks as they are.
			s := &stateCheck{name: "localhost"}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			c.Transport.(*http.Transport).DialTLSContext = nil
			twice(t, s, func() error { _, _, err := get(t, c, url); c.CloseIdleConnections(); return err })
		})
		t.Run(tls.VersionName(v)+"/Refusal", func(t *testing.T) {
			deny := tlsdefault.WithPeerCheck(func(tls.ConnectionState) error { return errDenied })
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()), deny)
			if err != nil {
				t.Fatal(err)
			}
			_, err = handshake(t, cfg, srv)
			if he := tlsdefault.Diagnose(err); he == nil || he.Cause != tlsdefault.CausePeerCheck || !errors.Is(err, errDenied) {
				t.Errorf("ClientConfig: refusal %v, Diagnose %v", err, he)
			}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), deny)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = get(t, c, url)
			if he, ok := errors.AsType[*tlsdefault.HandshakeError](err); !ok || he.Cause != tlsdefault.CausePeerCheck {
				t.Errorf("NewClient: refusal %v not CausePeerCheck", err)
			}
		})
	}
}

// TestRedteam3GODEBUGTLSMLKEMResumedHookReplaced: GODEBUG=tlsmlkem=0 set
// after construction is refused "at each handshake" (SECURITY.md) by
// VerifyPeerCertificate and VerifyConnection. A resumed TLS 1.3 handshake
// makes a new key exchange (PSK with (EC)DHE), but crypto/tls calls no
// VerifyPeerCertificate then: with VerifyConnection replaced (one
// assignment, which the tlssha1 check survives because a resumption has
// no signature) the client resumes with a classical key exchange only.
func TestRedteam3GODEBUGTLSMLKEMResumedHookReplaced(t *testing.T) {
	ca := testpki.NewCA(t)
	srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}, MinVersion: tls.VersionTLS13}
	t.Setenv("GODEBUG", "")
	for _, ctor := range []string{"ClientConfig", "NewClient"} {
		t.Run(ctor, func(t *testing.T) {
			os.Setenv("GODEBUG", "")
			var cfg *tls.Config
			var c *http.Client
			var url string
			if ctor == "ClientConfig" {
				var err error
				if cfg, err = tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM())); err != nil {
					t.Fatal(err)
				}
			} else {
				var err error
				if c, err = tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM())); err != nil {
					t.Fatal(err)
				}
				cfg = c.Transport.(*http.Transport).TLSClientConfig
				url = "https://localhost:" + port(serveHTTPS(t, srv, nil)) + "/"
			}
			cfg.VerifyConnection = acceptAll
			connect := func() (tls.ConnectionState, error) {
				if c == nil {
					return handshake(t, cfg, srv)
				}
				defer c.CloseIdleConnections()
				resp, _, err := get(t, c, url)
				if err != nil {
					return tls.ConnectionState{}, err
				}
				return *resp.TLS, nil
			}
			cs, err := connect()
			if err != nil || cs.CurveID != tls.X25519MLKEM768 {
				t.Fatalf("control: first handshake: %v, group %v", err, cs.CurveID)
			}
			os.Setenv("GODEBUG", "tlsmlkem=0") // restored by t.Setenv's cleanup
			cs, err = connect()
			if err == nil {
				t.Errorf("%s with VerifyConnection replaced, GODEBUG=tlsmlkem=0 set after construction: the handshake succeeded (resumed %v, group %v): no post-quantum key exchange, without legacy.Allow", ctor, cs.DidResume, cs.CurveID)
			} else if !strings.Contains(err.Error(), "tlsmlkem=0") {
				t.Errorf("refused, but the error does not name tlsmlkem=0: %v", err)
			}
		})
	}
}

// TestRedteam3GODEBUGWideningSuites: GODEBUG settings that put old suites
// and versions back into Go's defaults (tlsrsakex=1, tls3des=1,
// tls10server=1) change nothing for a config of the library, also after a
// user set CipherSuites to nil (Go's defaults, which these settings widen)
// or MinVersion to 0: the library's VerifyConnection refuses a suite or
// version outside its defaults, client and server side.
func TestRedteam3GODEBUGWideningSuites(t *testing.T) {
	t.Setenv("GODEBUG", "tlsrsakex=1,tls3des=1,tls10server=1")
	ca := testpki.NewCA(t)
	leaf := ca.Issue(t, testpki.RSABits(2048))
	for _, suite := range []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA} {
		name := tls.CipherSuiteName(suite)
		old := &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}}
		std := &tls.Config{RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}}
		if _, err := handshake(t, std, old); err != nil {
			t.Fatalf("control: %s not negotiable under this GODEBUG: %v", name, err)
		}
		cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()))
		if err != nil {
			t.Fatal(err)
		}
		cfg.CipherSuites = nil
		if cs, err := handshake(t, cfg, old); err == nil {
			t.Errorf("ClientConfig with CipherSuites=nil accepted %s under GODEBUG %s", tls.CipherSuiteName(cs.CipherSuite), os.Getenv("GODEBUG"))
		}
		scfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(leaf.TLS()))
		if err != nil {
			t.Fatal(err)
		}
		scfg.CipherSuites = nil
		if cs, err := handshake(t, std, scfg); err == nil {
			t.Errorf("ServerConfig with CipherSuites=nil accepted %s under GODEBUG %s", tls.CipherSuiteName(cs.CipherSuite), os.Getenv("GODEBUG"))
		}
	}
	// tls10server=1: a server whose MinVersion was set to 0 (Go's default,
	// TLS 1.0 under this setting) still refuses TLS 1.0.
	scfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(leaf.TLS()))
	if err != nil {
		t.Fatal(err)
	}
	scfg.MinVersion, scfg.CipherSuites = 0, nil
	tls10 := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}
	if cs, err := handshake(t, tls10, scfg); err == nil {
		t.Errorf("ServerConfig with MinVersion=0 accepted %s under tls10server=1", tls.VersionName(cs.Version))
	}
}

// TestRedteam3CAPathLayoutSwitch: a WithCAPath directory that switches
// between the hashed layout (<hash>.0 only) and the plain one (ca.pem)
// after construction is followed by NewClient, ClientConfig (a CA removed
// is refused) and Listen: the watcher no longer reads an unchanged hashed
// directory's names, and stamps a plain one after the read at
// construction.
func TestRedteam3CAPathLayoutSwitch(t *testing.T) {
	ca0, ca1, ca2 := testpki.NewCA(t), testpki.NewCA(t), testpki.NewCA(t)
	hashName := func(ca *testpki.CA) string { return fmt.Sprintf("%08x.0", capool.SubjectHash(ca.Cert)) }
	for _, start := range []string{"hashed", "plain"} {
		t.Run("from "+start, func(t *testing.T) {
			dir := t.TempDir()
			put := func(layout string, ca *testpki.CA) {
				t.Helper()
				ents, _ := os.ReadDir(dir)
				for _, e := range ents {
					os.Remove(filepath.Join(dir, e.Name()))
				}
				name := "ca.pem"
				if layout == "hashed" {
					name = hashName(ca)
				}
				if err := os.WriteFile(filepath.Join(dir, name), ca.CertPEM(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			other := map[string]string{"hashed": "plain", "plain": "hashed"}[start]
			put(start, ca1)
			srv1 := "https://localhost:" + port(serveHTTPS(t, plainServer(ca1.Server(t)), nil)) + "/"
			srv2 := "https://localhost:" + port(serveHTTPS(t, plainServer(ca2.Server(t)), nil)) + "/"
			c, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir), tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAPath(dir), tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca0.Server(t).TLS()),
				tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAPath(dir),
				tlsdefault.WithErrorLog(quietLog()), tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			mtls := "https://" + serveListener(t, ln, nil) + "/"
			m1, m2 := mtlsClient(t, ca0, ca1.Client(t, "one")), mtlsClient(t, ca0, ca2.Client(t, "two"))
			dial := func() error {
				_, err := handshake(t, cfg, plainServer(ca1.Server(t)))
				return err
			}
			if _, err := fetch(c, srv1); err != nil {
				t.Fatalf("NewClient, CA1 (%s): %v", start, err)
			}
			if err := dial(); err != nil {
				t.Fatalf("ClientConfig, CA1 (%s): %v", start, err)
			}
			if _, err := fetch(m1, mtls); err != nil {
				t.Fatalf("Listen, CA1 client (%s): %v", start, err)
			}
			put(other, ca2) // CA1 removed, CA2 added, layout switched
			if _, err := fetch(c, srv2); err != nil {
				t.Errorf("NewClient: CA2 server refused after the directory became %s with CA2: %v", other, err)
			}
			if _, err := fetch(c, srv1); err == nil {
				t.Errorf("NewClient: CA1 server accepted after CA1 left the directory (now %s)", other)
			}
			if err := dial(); err == nil {
				t.Errorf("ClientConfig: CA1 server accepted after CA1 left the directory (now %s)", other)
			}
			if _, err := fetch(m2, mtls); err != nil {
				t.Errorf("Listen: CA2 client refused after the directory became %s with CA2: %v", other, err)
			}
			if _, err := fetch(m1, mtls); err == nil {
				t.Errorf("Listen: CA1 client accepted after CA1 left the directory (now %s)", other)
			}
		})
	}
}

// TestRedteam3TrustConstructionErrors: a missing CA file or directory,
// and a CA file that is a directory, still fail at construction with an
// error that names the option and the path (the trust files are now
// stamped around the read).
func TestRedteam3TrustConstructionErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	cases := []struct {
		opt    tlsdefault.Option
		option string
		path   string
	}{
		{tlsdefault.WithCAFile(missing), "WithCAFile", missing},
		{tlsdefault.WithCAPath(filepath.Join(dir, "nodir")), "WithCAPath", filepath.Join(dir, "nodir")},
		{tlsdefault.WithCAFile(dir), "WithCAFile", dir},
	}
	for _, tc := range cases {
		_, err := tlsdefault.ClientConfig(tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.option) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("ClientConfig(%s(%s)): %v; want an error naming the option and the path", tc.option, tc.path, err)
		}
		_, err = tlsdefault.ServerConfig(tlsdefault.WithCertificate(testpki.NewCA(t).Server(t).TLS()),
			tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.option) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("ServerConfig(%s(%s)): %v; want an error naming the option and the path", tc.option, tc.path, err)
		}
	}
}

// TestRedteam3CAPathDataSwap: a WithCAPath directory that is a Kubernetes
// volume (each name a link into ..data, swapped as a whole), hashed or
// plain, is followed by NewClient and Listen when the swap replaces CA1
// by CA2 under the same names.
func TestRedteam3CAPathDataSwap(t *testing.T) {
	ca0, ca1, ca2 := testpki.NewCA(t), testpki.NewCA(t), testpki.NewCA(t)
	for _, layout := range []string{"hashed", "plain"} {
		t.Run(layout, func(t *testing.T) {
			dir := t.TempDir()
			n := 0
			// version writes the CAs into a new ..<timestamp> directory:
			// under ca.pem (plain) or their <hash>.0 names (hashed).
			version := func(cas ...*testpki.CA) string {
				n++
				v := fmt.Sprintf("..2026_12_01_10_00_%02d.%d", n, n)
				os.Mkdir(filepath.Join(dir, v), 0o755)
				for _, ca := range cas {
					name := "ca.pem"
					if layout == "hashed" {
						name = fmt.Sprintf("%08x.0", capool.SubjectHash(ca.Cert))
					}
					if err := os.WriteFile(filepath.Join(dir, v, name), ca.CertPEM(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return v
			}
			// link adds the top-level link of each CA's name into ..data
			// (the plain layout's ca.pem exists already after the first).
			link := func(cas ...*testpki.CA) {
				for _, ca := range cas {
					name := "ca.pem"
					if layout == "hashed" {
						name = fmt.Sprintf("%08x.0", capool.SubjectHash(ca.Cert))
					}
					os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name))
				}
			}
			swap := func(cas ...*testpki.CA) {
				tmp := filepath.Join(dir, "..data_tmp")
				if err := os.Symlink(version(cas...), tmp); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
					t.Fatal(err)
				}
			}
			os.Symlink(version(ca1), filepath.Join(dir, "..data"))
			link(ca1)
			srv1 := "https://localhost:" + port(serveHTTPS(t, plainServer(ca1.Server(t)), nil)) + "/"
			srv2 := "https://localhost:" + port(serveHTTPS(t, plainServer(ca2.Server(t)), nil)) + "/"
			c, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir), tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca0.Server(t).TLS()),
				tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAPath(dir),
				tlsdefault.WithErrorLog(quietLog()), tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			mtls := "https://" + serveListener(t, ln, nil) + "/"
			m1, m2 := mtlsClient(t, ca0, ca1.Client(t, "one")), mtlsClient(t, ca0, ca2.Client(t, "two"))
			if _, err := fetch(c, srv1); err != nil {
				t.Fatalf("NewClient, CA1: %v", err)
			}
			if _, err := fetch(m1, mtls); err != nil {
				t.Fatalf("Listen, CA1 client: %v", err)
			}
			// The swap: CA1 gone, CA2 in (kubelet adds the new names' links
			// before the swap and removes the old ones after).
			link(ca2)
			swap(ca2)
			if layout == "hashed" {
				os.Remove(filepath.Join(dir, fmt.Sprintf("%08x.0", capool.SubjectHash(ca1.Cert))))
			}
			if _, err := fetch(c, srv1); err == nil {
				t.Errorf("NewClient: CA1 server accepted after the ..data swap removed CA1 (%s)", layout)
			}
			if _, err := fetch(c, srv2); err != nil {
				t.Errorf("NewClient: CA2 server refused after the ..data swap added CA2 (%s): %v", layout, err)
			}
			if _, err := fetch(m1, mtls); err == nil {
				t.Errorf("Listen: CA1 client accepted after the ..data swap removed CA1 (%s)", layout)
			}
			if _, err := fetch(m2, mtls); err != nil {
				t.Errorf("Listen: CA2 client refused after the ..data swap added CA2 (%s): %v", layout, err)
			}
		})
	}
}

// TestRedteam3PeerCheckMorePaths: the checks see the whole state once per
// handshake (full, then resumed) through NewClient with a hashed capath
// (lazy verification), through a CONNECT proxy (net/http handshakes with
// TLSClientConfig), and on HTTP/2 connections; twice with
// VerifyConnection wrapped on NewClient (documented).
func TestRedteam3PeerCheckMorePaths(t *testing.T) {
	ca := testpki.NewCA(t)
	dir, _ := hashedDir(t, ca)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		srv := &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "localhost").TLS()}, MinVersion: v, MaxVersion: v, NextProtos: []string{"h2", "http/1.1"}}
		addr := serveHTTPS(t, srv, nil)
		url := "https://localhost:" + port(addr) + "/"
		twice := func(t *testing.T, s *stateCheck, c *http.Client, proto string) {
			t.Helper()
			for i := range 2 {
				resp, _, err := get(t, c, url)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if proto != "" && resp.Proto != proto {
					t.Fatalf("request %d: %s, want %s", i, resp.Proto, proto)
				}
				c.CloseIdleConnections()
			}
			checkSaw(t, s, v)
		}
		t.Run(tls.VersionName(v)+"/NewClientHashedCAPath", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			twice(t, s, c, "")
		})
		t.Run(tls.VersionName(v)+"/NewClientHashedCAPathVerifyConnectionReplaced", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			c, err := tlsdefault.NewClient(tlsdefault.WithCAPath(dir), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			c.Transport.(*http.Transport).TLSClientConfig.VerifyConnection = acceptAll
			twice(t, s, c, "")
		})
		t.Run(tls.VersionName(v)+"/HTTP2", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			tr, err := tlsdefault.NewTransport(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check))
			if err != nil {
				t.Fatal(err)
			}
			twice(t, s, &http.Client{Transport: tr}, "HTTP/2.0")
		})
		for _, ctor := range []string{"NewTransport", "NewClient"} {
			t.Run(tls.VersionName(v)+"/Proxy"+ctor, func(t *testing.T) {
				proxy, n := connectProxy(t)
				s := &stateCheck{name: "localhost"}
				opts := []tlsdefault.Option{tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(s.check)}
				var tr *http.Transport
				if ctor == "NewTransport" {
					var err error
					if tr, err = tlsdefault.NewTransport(opts...); err != nil {
						t.Fatal(err)
					}
				} else {
					c, err := tlsdefault.NewClient(opts...)
					if err != nil {
						t.Fatal(err)
					}
					tr = c.Transport.(*http.Transport)
				}
				tr.Proxy = http.ProxyURL(proxy)
				twice(t, s, &http.Client{Transport: tr}, "")
				if n.Load() != 2 {
					t.Fatalf("%d CONNECTs for 2 connections", n.Load())
				}
			})
		}
		t.Run(tls.VersionName(v)+"/NewClientWrapped", func(t *testing.T) {
			var calls atomic.Int32
			c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()), tlsdefault.WithPeerCheck(func(cs tls.ConnectionState) error {
				calls.Add(1)
				if cs.ServerName != "localhost" || cs.Version != v {
					return fmt.Errorf("partial state: name %q version %#x", cs.ServerName, cs.Version)
				}
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			cfg := c.Transport.(*http.Transport).TLSClientConfig
			lib := cfg.VerifyConnection
			cfg.VerifyConnection = func(cs tls.ConnectionState) error { return lib(cs) }
			for i := range 2 {
				if _, _, err := get(t, c, url); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				c.CloseIdleConnections()
			}
			if n := calls.Load(); n != 4 {
				t.Errorf("the check ran %d times for 2 handshakes with VerifyConnection wrapped; want 4 (twice each, as documented)", n)
			}
		})
	}
}

// serverStateCheck is stateCheck for a server: the SNI name, the version,
// the suite and the client's verified chain.
func serverStateCheck(s *stateCheck) func(tls.ConnectionState) error { return s.check }

// TestRedteam3ServerPeerCheckPaths: a server's checks see the whole state
// once per handshake, full and resumed, TLS 1.2 and 1.3: ServerConfig with
// tls.Server, with http.Server.ServeTLS (HTTP/2), and a clone of it;
// Listen with NewServer; with VerifyConnection replaced (once, after it),
// and with a user's GetConfigForClient that returns nil (the library's
// VerifyConnection still runs them).
func TestRedteam3ServerPeerCheckPaths(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Client(t, "alice")
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		client := func() *http.Client {
			cfg := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: v, MaxVersion: v, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
			return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
		}
		run := func(t *testing.T, s *stateCheck, url, proto string) {
			t.Helper()
			c := client()
			for i := range 2 {
				resp, _, err := get(t, c, url)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if proto != "" && resp.Proto != proto {
					t.Fatalf("request %d: %s, want %s", i, resp.Proto, proto)
				}
				c.CloseIdleConnections()
			}
			checkSaw(t, s, v)
		}
		opts := func(s *stateCheck) []tlsdefault.Option {
			return []tlsdefault.Option{tlsdefault.WithCertificate(ca.Server(t, "localhost").TLS()),
				tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert), tlsdefault.WithCAData(ca.CertPEM()),
				tlsdefault.WithPeerCheck(serverStateCheck(s)), tlsdefault.WithErrorLog(quietLog())}
		}
		serveTLS := func(t *testing.T, cfg *tls.Config) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{TLSConfig: cfg, ErrorLog: quietLog(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
			go srv.ServeTLS(ln, "", "")
			t.Cleanup(func() { srv.Close() })
			return "https://localhost:" + port(ln.Addr().String()) + "/"
		}
		for _, how := range []string{"ServeTLS", "Clone", "VerifyConnectionReplaced", "GetConfigForClientNil"} {
			t.Run(tls.VersionName(v)+"/ServerConfig"+how, func(t *testing.T) {
				s := &stateCheck{name: "localhost"}
				cfg, err := tlsdefault.ServerConfig(opts(s)...)
				if err != nil {
					t.Fatal(err)
				}
				switch how {
				case "Clone":
					cfg = cfg.Clone()
				case "VerifyConnectionReplaced":
					cfg.VerifyConnection = acceptAll
				case "GetConfigForClientNil":
					cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil }
				}
				run(t, s, serveTLS(t, cfg), "HTTP/2.0")
			})
		}
		t.Run(tls.VersionName(v)+"/ListenNewServer", func(t *testing.T) {
			s := &stateCheck{name: "localhost"}
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", opts(s)...)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
			if err != nil {
				t.Fatal(err)
			}
			srv.ErrorLog = quietLog()
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			run(t, s, "https://localhost:"+port(ln.Addr().String())+"/", "HTTP/2.0")
		})
	}
}

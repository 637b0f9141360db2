package tlsdefault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal"
)

// client is one client configuration and what it needs at handshake time.
type client struct {
	s     *internal.Settings
	pool  *capool.Pool
	trust string
	// config is what ClientConfig returns: widened when legacy is given
	// (a scope is then enforced by VerifyConnection, by server name).
	config *tls.Config
	// strict is what NewTransport puts in TLSClientConfig: never widened
	// for a scoped legacy option; the transport's DialTLSContext widens a
	// clone for the hosts in scope only, so other hosts are never offered
	// old versions or suites.
	strict *tls.Config
	ids    []identity
	legacy *internal.Legacy
	live   *internal.LiveTrust // the trust, reloaded when its files change
}

// identity is one certificate this side can present: fixed, or reloaded
// from files.
type identity struct {
	cert *tls.Certificate
	kp   *internal.KeyPair
}

func (id identity) current() *tls.Certificate {
	if id.kp != nil {
		return id.kp.Current()
	}
	return id.cert
}

// loadIdentities checks the certificates and reads the key pair files.
func loadIdentities(s *internal.Settings) ([]identity, error) {
	var ids []identity
	for i := range s.Certificates {
		c := s.Certificates[i]
		if err := internal.CheckCertificate(&c); err != nil {
			return nil, fmt.Errorf("tlsdefault: WithCertificate: %w", err)
		}
		ids = append(ids, identity{cert: &c})
	}
	for _, f := range s.KeyPairFiles {
		kp, err := internal.LoadKeyPair(f[0], f[1], s.ErrorLog)
		if err != nil {
			return nil, fmt.Errorf("tlsdefault: %w", err)
		}
		ids = append(ids, identity{kp: kp})
	}
	return ids, nil
}

func describeTrust(p *capool.Pool) string {
	if p == nil {
		return ""
	}
	return p.Describe()
}

// ClientConfig returns a new *tls.Config for the client side of TLS
// (Python's Purpose.SERVER_AUTH): the server's certificate is always
// verified and its host name always checked; TLS 1.2 is the floor and TLS
// 1.3 is preferred; TLS 1.2 uses only ECDHE suites with AES-GCM or
// ChaCha20-Poly1305; the server's chain must use RSA keys of at least 2048
// bits or EC keys of at least 256 bits and no SHA-1 signatures; sessions are
// resumed through a session cache of the config; and SSLKEYLOGFILE is
// honoured, with a warning.
//
// With no trust option the system store is trusted; with WithCAFile,
// WithCAPath, WithCAData or WithPool only those are (add WithSystemRoots for
// both).
//
// The config's VerifyConnection enforces the chain policy and the legacy
// scope and, with a hashed WithCAPath, performs the verification itself
// (the CAs are looked up in the directory at handshake time, so
// InsecureSkipVerify is set and VerifyConnection does what crypto/tls would,
// for the name in ConnectionState.ServerName: dial by name, since crypto/tls
// leaves that field empty for an IP address; NewTransport fills it in). Wrap
// it if you need your own check, never replace it. As with any *tls.Config,
// do not modify it once it is in use; Clone it instead.
//
// With legacy.Allow(legacy.ForHosts(...)), the config offers the old
// versions and suites to every server and VerifyConnection refuses their use
// by a server out of scope; NewTransport does better, offering them only to
// the hosts in scope.
func ClientConfig(opts ...Option) (*tls.Config, error) {
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	return c.config, nil
}

func newClient(opts []Option) (*client, error) {
	s, err := collect(opts)
	if err != nil {
		return nil, err
	}
	if s.ClientAuthSet {
		return nil, errors.New("tlsdefault: WithClientAuth applies to servers (ServerConfig, Listen, NewListener), not to clients")
	}
	if s.MaxConns > 0 {
		return nil, errors.New("tlsdefault: WithMaxConns applies to servers (Listen, NewListener); for a client set http.Transport.MaxConnsPerHost")
	}
	if s.TicketKeyFile != "" {
		return nil, errors.New("tlsdefault: WithSessionTicketKeyFile applies to servers (ServerConfig, Listen, NewListener); a client keeps its tickets in its session cache")
	}
	live, err := internal.NewLiveTrust(s, true, errorLogf(s))
	if err != nil {
		return nil, err
	}
	pool := live.Initial().Pool
	ids, err := loadIdentities(s)
	if err != nil {
		return nil, err
	}
	c := &client{s: s, pool: pool, live: live, trust: live.Initial().Describe, ids: ids, legacy: s.Legacy}
	cfg := &tls.Config{
		MinVersion:         s.MinVersion,
		MaxVersion:         internal.MaxVersion,
		CipherSuites:       internal.CipherSuites(),
		RootCAs:            live.Initial().ServerAuth,
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
		KeyLogWriter:       internal.KeyLogWriter(),
	}
	if pool.Lazy() {
		cfg.InsecureSkipVerify = true // verified by VerifyConnection, against the directory
	}
	if len(ids) > 0 {
		cfg.GetClientCertificate = c.getClientCertificate
	}
	cfg.VerifyConnection = c.verify
	c.strict, c.config = cfg, cfg
	if c.legacy != nil {
		if c.legacy.Scoped() {
			c.config = cfg.Clone()
			c.config.ClientSessionCache = tls.NewLRUClientSessionCache(0)
		} else {
			c.strict = nil // the same config, widened for every host
		}
		c.legacy.Widen(c.config)
	}
	return c, nil
}

// transportConfig is the TLSClientConfig of a transport.
func (c *client) transportConfig() *tls.Config {
	if c.strict != nil {
		return c.strict
	}
	return c.config
}

func (c *client) getClientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	var first *tls.Certificate
	for _, id := range c.ids {
		cert := id.current()
		if first == nil {
			first = cert
		}
		if cri.SupportsCertificate(cert) == nil {
			return cert, nil
		}
	}
	return first, nil
}

// verify is the VerifyConnection of a client config: the chain policy,
// the legacy scope and, with a lazy pool, the verification itself. The
// name checked is ConnectionState.ServerName, which NewTransport fills in
// for IP addresses.
func (c *client) verify(cs tls.ConnectionState) error {
	name := cs.ServerName
	chains := cs.VerifiedChains
	st := c.live.Current()
	if st.Pool.Lazy() {
		if name == "" {
			return errors.New("tlsdefault: cannot check the server's name: ServerName is empty or an IP address, and a hashed WithCAPath is verified at handshake time; dial by host name, or use NewTransport or NewClient, which know the address dialled")
		}
		if len(cs.PeerCertificates) == 0 {
			return errors.New("tlsdefault: the server sent no certificate")
		}
		var err error
		chains, err = st.Pool.Verify(cs.PeerCertificates[0], cs.PeerCertificates[1:], x509.VerifyOptions{
			DNSName:   name,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
	}
	if len(chains) == 0 {
		return errors.New("tlsdefault: the server's certificate was not verified (InsecureSkipVerify cannot turn verification off in a tlsdefault config)")
	}
	if err := c.checkAnchored(st, cs, chains); err != nil {
		return err
	}
	if err := internal.CheckChains("server", chains); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
	}
	if internal.IsLegacy(cs) {
		if c.legacy == nil || !c.legacy.Matches(name) {
			who := name
			if who == "" {
				who = "the server"
			}
			return fmt.Errorf("tlsdefault: %s negotiated %s with %s, which only package legacy allows, and legacy mode does not cover this host", who, tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
		}
		c.legacy.Observe(internal.Event{Side: "client", Host: name, Version: cs.Version, CipherSuite: cs.CipherSuite})
	}
	return nil
}

// NewTransport returns a new *http.Transport that uses the settings of
// ClientConfig. It is built on cleanhttp.DefaultPooledTransport (proxy from
// the environment, dial and handshake timeouts, keep-alives, a pool of idle
// connections), speaks HTTP/1.1 and HTTP/2 (Transport.Protocols), and
// checks idle HTTP/2 connections with pings (a ping after 30 s of silence,
// closed when not answered within 15 s). Every call returns a new transport
// with its own session cache; nothing global is changed.
//
// Direct HTTPS connections are made by the transport's DialTLSContext,
// which does the handshake with a clone of TLSClientConfig, as read at dial
// time (so changes made to it, such as a wrapped VerifyConnection or a
// raised MinVersion, hold), widens that clone for a host in the scope of
// legacy.Allow, and returns errors as *HandshakeError, which explains the
// failure and wraps the error of crypto/tls. Through an HTTP proxy, net/http
// does the handshake itself with TLSClientConfig: verification and policy
// are the same, but errors are not explained and legacy scopes match only
// host names, not IP addresses.
func NewTransport(opts ...Option) (*http.Transport, error) {
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	return c.transport(), nil
}

func (c *client) transport() *http.Transport {
	t := cleanhttp.DefaultPooledTransport()
	t.TLSClientConfig = c.transportConfig()
	t.ForceAttemptHTTP2 = true
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	t.Protocols.SetHTTP2(true)
	t.HTTP2 = &http.HTTP2Config{
		SendPingTimeout: internal.SendPingTimeout,
		PingTimeout:     internal.PingTimeout,
	}
	if c.s.HandshakeTimeout > 0 {
		t.TLSHandshakeTimeout = c.s.HandshakeTimeout
	}
	t.DialTLSContext = c.dialTLS(t)
	return t
}

// dialTLS dials and handshakes for t, reading t's fields at each call so
// that changes made to the transport before use are honoured.
func (c *client) dialTLS(t *http.Transport) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("tlsdefault: %w", err)
		}
		dial := t.DialContext
		if dial == nil {
			dial = (&net.Dialer{}).DialContext
		}
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		base := t.TLSClientConfig
		if base == nil {
			base = c.transportConfig()
		}
		cfg := base.Clone()
		cfg.RootCAs = c.currentRoots(cfg.RootCAs)
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		name := cfg.ServerName
		inLegacy := c.legacy != nil && c.legacy.Matches(name)
		if inLegacy && c.strict != nil && base == c.strict {
			// In the scope of legacy.Allow: widen this connection only,
			// and never below a floor the user raised in place.
			if cfg.MinVersion == c.s.MinVersion {
				cfg.MinVersion = tls.VersionTLS10
			}
			if slices.Equal(cfg.CipherSuites, internal.CipherSuites()) {
				cfg.CipherSuites = append(internal.CipherSuites(), internal.LegacySuites()...)
			}
		}
		if inner := cfg.VerifyConnection; inner != nil {
			// crypto/tls leaves ConnectionState.ServerName empty for an
			// IP address; the verifier (ours, or the user's wrapping it)
			// is told the name dialled.
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				if cs.ServerName == "" {
					cs.ServerName = name
				}
				return inner(cs)
			}
		}
		if t.TLSHandshakeTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, t.TLSHandshakeTimeout)
			defer cancel()
		}
		trace := httptrace.ContextClientTrace(ctx)
		if trace != nil && trace.TLSHandshakeStart != nil {
			trace.TLSHandshakeStart()
		}
		tc := tls.Client(raw, cfg)
		err = tc.HandshakeContext(ctx)
		if trace != nil && trace.TLSHandshakeDone != nil {
			trace.TLSHandshakeDone(tc.ConnectionState(), err)
		}
		if err != nil {
			raw.Close()
			return nil, internal.Explain(err, internal.Context{
				Side: "client", Host: hostForMessage(host, name), Trust: c.trust,
				Legacy: inLegacy, LegacyOutOfScope: c.legacy != nil && !inLegacy, MinVersion: cfg.MinVersion,
			})
		}
		return tc, nil
	}
}

func hostForMessage(host, serverName string) string {
	if serverName != "" && !strings.EqualFold(serverName, host) {
		return serverName + " (" + host + ")"
	}
	return host
}

// NewClient returns a new *http.Client on a transport from NewTransport: a
// drop-in for http.DefaultClient with the defaults of this package. It has
// no overall timeout, like http.DefaultClient; set Client.Timeout or use
// request contexts.
func NewClient(opts ...Option) (*http.Client, error) {
	t, err := NewTransport(opts...)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: t}, nil
}

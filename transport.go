package tlsdefault

import (
	"context"
	"crypto/fips140"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/legacyhook"
	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// client is one client configuration and what it needs at handshake time.
type client struct {
	s     *internal.Settings
	pool  *capool.Pool
	trust string
	// config is what ClientConfig returns and NewTransport and NewClient
	// put in TLSClientConfig: widened for legacy.Allow without a scope
	// only. With a scope (NewClient only) it stays strict, and NewClient's
	// dialler widens its private clone for a host in scope.
	config *tls.Config
	// roots is the RootCAs the library set on config: a transport's
	// dialler replaces it with the CAs a hashed capath holds at dial
	// time, unless the user changed it.
	roots  *x509.CertPool
	ids    []identity
	legacy legacyhook.Hook
	live   *internal.LiveTrust // the trust, reloaded when its files change
	// sessions is the session cache when a certificate is read from
	// files (sessions per version of it); nil otherwise.
	sessions *certSessionCache
	// lazyDial is set for NewClient with a hashed capath (outside FIPS
	// mode): its dialler verifies with capool's Pool.Verify, looking CAs
	// up by hash, while RootCAs is left as the library set it
	// (verifyLazily).
	lazyDial bool
	// verifyHook is the VerifyConnection the library set (c.verify), to
	// tell whether the user replaced it.
	verifyHook func(tls.ConnectionState) error
	// peerHook is the VerifyPeerCertificate the library set: verifyPeer,
	// told whether the config's VerifyConnection is still verifyHook.
	peerHook func([][]byte, [][]*x509.Certificate) error
}

// identity is one certificate this side can present: fixed, or reloaded
// from files.
type identity struct {
	cert   *tls.Certificate
	kp     *internal.KeyPair
	notice *certNotice // WithLogger: expiry records
}

func (id identity) current() *tls.Certificate {
	c := id.cert
	if id.kp != nil {
		c = id.kp.Current()
	}
	id.notice.check(c)
	return c
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
		kp, err := internal.LoadKeyPair(f[0], f[1], errorLogger(s), s.KeyPassword)
		if err != nil {
			return nil, fmt.Errorf("tlsdefault: %w", err)
		}
		if s.ReloadInterval > 0 {
			kp.SetClock(time.Now, s.ReloadInterval) // tests
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
// crypto/tls verifies the server's chain and name, with any trust option:
// InsecureSkipVerify is never set. A hashed WithCAPath is read into
// RootCAs when ClientConfig is called (each CA under its <hash>.N name:
// a read and a parse of every CA of the directory, about 0.3 s for
// 10,000 CAs on a small machine); a CA deleted from the directory later
// is refused from the next handshake on (resumed sessions too: by
// VerifyConnection, and the session cache does not offer sessions made
// before the directory changed), and one added later needs a new config (NewClient
// looks CAs up by hash for each connection instead, and costs the same
// whatever the size of the directory). The name checked is ServerName
// exactly as crypto/tls checks it, so tls.Dial by IP address works.
//
// The chain policy is applied by both VerifyPeerCertificate and
// VerifyConnection. Give your own checks of the server with WithPeerCheck,
// which sees the whole ConnectionState (a VerifyConnection of your own,
// wrapping or replacing the library's, makes those checks run with the
// certificates only; see WithPeerCheck). No single field assignment makes
// the config accept a server that crypto/tls with the same roots would
// refuse: replacing one of the two hooks leaves the other; RootCAs, Time
// and ServerName set on it are used by crypto/tls as for any config; and
// InsecureSkipVerify makes every handshake fail, saying why. As with any
// *tls.Config, do not modify it once it is in use; Clone it instead.
//
// With legacy.Allow() (no scope), the config offers the old versions and
// suites to every server; a user's change to it is never undone by legacy
// mode: a raised MinVersion or a shorter CipherSuites list holds. With
// legacy.Allow(legacy.ForHosts(...)), ClientConfig returns an error: the
// config would be used for any host, crypto/tls has no callback but
// VerifyConnection that sees the version negotiated, and one assignment
// to it would open the old versions to every host. Use NewClient, whose
// dialler offers them only to the hosts in scope, or a config built with
// legacy.Allow() without ForHosts and used only for the old host.
func ClientConfig(opts ...Option) (*tls.Config, error) {
	c, err := newClient(opts, "ClientConfig")
	if err != nil {
		return nil, err
	}
	return c.config, nil
}

// newClient builds a client for the constructor named ctor; only
// NewClient has a dialler that sees each connection.
func newClient(opts []Option, ctor string) (*client, error) {
	forDial := ctor == "NewClient"
	s, err := collect(opts)
	if err != nil {
		return nil, err
	}
	if s.Legacy != nil && s.Legacy.Scoped() && !forDial {
		return nil, fmt.Errorf("tlsdefault: %s: legacy.ForHosts needs a client that widens per connection, and the config %s returns is used for any host (one assignment to its VerifyConnection would open the old versions to every host): use NewClient, whose dialler offers the old versions only to the hosts in scope; or, for a config used only for the old host, give legacy.Allow() without ForHosts", ctor, ctor)
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
	if err := checkClientSources(s); err != nil {
		return nil, err
	}
	live, err := newLiveTrust(s, true)
	if err != nil {
		return nil, err
	}
	pool := live.Initial().Pool
	ids, err := loadIdentities(s)
	if err != nil {
		return nil, err
	}
	useLogger(s, ids, "client")
	c := &client{s: s, pool: pool, live: live, trust: describeTrust(pool), ids: ids, legacy: s.Legacy}
	// In FIPS 140-3 mode crypto/tls also keeps to FIPS rules the chains
	// it verifies; the dialler then leaves verification to it.
	c.lazyDial = forDial && pool.Lazy() && !fips140.Enabled()
	var roots *x509.CertPool
	if c.lazyDial && !httpsProxyInEnv() {
		// The dialler verifies each connection by hash; only a handshake
		// made without it (a proxy set on the transport later, or the
		// config used elsewhere) uses RootCAs, which then holds the
		// pool's other CAs but not the directory's: it fails closed.
		roots = pool.CertPoolFor(x509.ExtKeyUsageServerAuth)
	} else {
		roots = live.Initial().RootsForConfig(x509.ExtKeyUsageServerAuth)
	}
	cfg := &tls.Config{
		MinVersion:         s.MinVersion,
		MaxVersion:         internal.MaxVersion,
		CipherSuites:       internal.CipherSuites(),
		RootCAs:            roots,
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
		KeyLogWriter:       internal.KeyLogWriter(),
	}
	c.roots = cfg.RootCAs
	if len(ids) > 0 {
		cfg.GetClientCertificate = c.getClientCertificate
	}
	// crypto/tls verifies the chain and the name (InsecureSkipVerify is
	// never set, also with a hashed capath); VerifyPeerCertificate and
	// VerifyConnection both apply the chain policy, so that replacing one
	// of them leaves it in force.
	c.verifyHook = c.verify
	cfg.VerifyConnection = c.verifyHook
	// The checks of WithPeerCheck run in the library's VerifyConnection,
	// which sees the whole ConnectionState (ServerName, Version, ...).
	// Only when the VerifyConnection of this config was replaced do they
	// run from VerifyPeerCertificate, with the part of the state known
	// there (fail closed: a check that needs more refuses).
	c.peerHook = func(raw [][]byte, chains [][]*x509.Certificate) error {
		return c.verifyPeer(raw, chains, !internal.SameHook(cfg.VerifyConnection, c.verifyHook))
	}
	cfg.VerifyPeerCertificate = c.peerHook
	if sc := newCertSessionCache(ids, cfg.ClientSessionCache); sc != nil {
		cfg.ClientSessionCache, c.sessions = sc, sc
	}
	cfg.ClientSessionCache = c.trustSessions(cfg.ClientSessionCache)
	if c.legacy == nil {
		// A refused GODEBUG set after construction: no resumption, which
		// VerifyPeerCertificate would not see (godebugSessions).
		cfg.ClientSessionCache = godebugSessions{cfg.ClientSessionCache}
	}
	if c.legacy != nil {
		c.legacy.Widen(cfg) // without a scope only; NewClient's dialler widens its clone for a host in scope
	}
	c.config = cfg
	return c, nil
}

// transportConfig is the TLSClientConfig of a transport.
func (c *client) transportConfig() *tls.Config { return c.config }

// getClientCertificate presents the first identity that the server's
// CertificateRequest accepts: signed (the leaf or a certificate of its
// chain) by one of the CAs the server named, or any when the server named
// none, and with a signature algorithm the server supports. When none
// fits, no certificate is sent, as crypto/tls does for
// tls.Config.Certificates: a certificate the server cannot verify is of no
// use to it, and under TLS 1.2 it would travel in clear to any server that
// asks.
func (c *client) getClientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	for _, id := range c.ids {
		if cert := id.current(); cri.SupportsCertificate(cert) == nil {
			return cert, nil
		}
	}
	return new(tls.Certificate), nil
}

// verifyPeer is the VerifyPeerCertificate of a client config: the
// chains crypto/tls verified must exist and meet the chain policy, with
// the RSA floor of legacy mode left to verify, which knows the host.
//
// It also does, on full handshakes, what verify does that does not need the
// host name, so that replacing VerifyConnection (one assignment) leaves it
// in force: GODEBUG=tlssha1=1 set after construction is refused and a CA
// removed from a reloaded trust is refused (checkAnchored). With
// runChecks (the config's VerifyConnection is no longer the library's),
// the checks of WithPeerCheck run here too, given the ConnectionState
// fields known here (PeerCertificates and VerifiedChains); otherwise
// verify runs them with the whole state.
func (c *client) verifyPeer(raw [][]byte, chains [][]*x509.Certificate, runChecks bool) error {
	if c.legacy == nil {
		if err := checkGODEBUG(); err != nil {
			return err
		}
	}
	if len(chains) == 0 {
		return errNotVerified
	}
	st := c.live.Current()
	live, err := liveChains(st.Pool, chains, "server")
	if err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chains[0][:1], Err: err}
	}
	chains = live
	if err := c.checkAnchored(st, tls.ConnectionState{PeerCertificates: chains[0][:1]}, chains); err != nil {
		return err
	}
	minRSA := internal.MinRSABits
	if c.legacy != nil {
		minRSA = legacyhook.MinRSABitsFloor // the lowest legacy mode allows; verify applies the host's
	}
	if err := checkChains("server", chains, minRSA); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chains[0][:1], Err: err}
	}
	if runChecks && len(c.s.PeerChecks) > 0 {
		certs := make([]*x509.Certificate, 0, len(raw))
		for _, der := range raw {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return &tls.CertificateVerificationError{UnverifiedCertificates: chains[0][:1], Err: fmt.Errorf("tlsdefault: a certificate sent by the server does not parse: %w", err)}
			}
			certs = append(certs, cert)
		}
		// A pass here does not excuse verify from running them again with
		// the whole state: a replaced hook that calls the library's (a
		// wrapper) leads there, and a check that refuses on a field this
		// state lacks (Version, ServerName) must see it.
		if err := internal.RunPeerChecks("server", c.s.PeerChecks, tls.ConnectionState{PeerCertificates: certs, VerifiedChains: chains}); err != nil {
			return partialStateError(err)
		}
	}
	return nil
}

// minRSAFor is the RSA floor for the server named host: legacy mode's for
// a host in its scope, the default otherwise.
func minRSAFor(l legacyhook.Hook, host string) int {
	if l == nil {
		return internal.MinRSABits
	}
	return l.MinRSABits(host)
}

// partialStateError marks the refusal err of a peer check that ran from
// VerifyPeerCertificate (PeerCheckError.Partial), for its message to say
// why the check saw only part of the state.
func partialStateError(err error) error {
	var pe *internal.PeerCheckError
	if errors.As(err, &pe) {
		pe.Partial = true
	}
	return err
}

// liveChains drops the verified chains whose CA was deleted from a hashed
// capath since the pool of the config was read: crypto/tls checks on
// resumption only that the CA is in that pool, and crypto/x509 does not
// run the pool's deletion check for a certificate that is itself in the
// pool (see capool.Pool.CertPoolNow).
func liveChains(pool *capool.Pool, chains [][]*x509.Certificate, peer string) ([][]*x509.Certificate, error) {
	if !pool.Lazy() {
		return chains, nil
	}
	var live [][]*x509.Certificate
	var gone *x509.Certificate
	for _, ch := range chains {
		if len(ch) == 0 {
			continue
		}
		if anchor := ch[len(ch)-1]; pool.Removed(anchor) {
			gone = anchor
			continue
		}
		live = append(live, ch)
	}
	if len(live) == 0 && gone != nil {
		return nil, fmt.Errorf("tlsdefault: the %s's session was verified by CA %q, which has since been deleted from the capath directory", peer, gone.Subject.String())
	}
	return live, nil
}

var errNotVerified = errors.New("tlsdefault: the server's certificate was not verified (InsecureSkipVerify cannot turn verification off in a tlsdefault config)")

// verify is the VerifyConnection of a client config: the chains crypto/tls
// verified must exist and meet the chain policy, and a legacy version or
// suite must be in the scope of legacy mode. The name is
// ConnectionState.ServerName, which NewTransport's dialler fills in for an
// IP address.
func (c *client) verify(cs tls.ConnectionState) error {
	if c.legacy == nil {
		if err := checkGODEBUG(); err != nil {
			return err
		}
	}
	name := cs.ServerName
	chains := cs.VerifiedChains
	if len(chains) == 0 {
		return errNotVerified
	}
	// A session resumed, or a certificate trusted as it is, is not
	// checked by crypto/tls against a CA deleted from a hashed capath.
	st := c.live.Current()
	chains, err := liveChains(st.Pool, chains, "server")
	if err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
	}
	if err := c.checkAnchored(st, cs, chains); err != nil {
		return err
	}
	minRSA := internal.MinRSABits
	if c.legacy != nil {
		minRSA = c.legacy.MinRSABits(name)
	}
	if err := checkChains("server", chains, minRSA); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
	}
	if internal.IsLegacy(cs) {
		if c.legacy == nil || !c.legacy.Covers(name) {
			return &legacyScopeError{side: "client", host: name, version: cs.Version, cipherSuite: cs.CipherSuite}
		}
		c.legacy.Observe("client", name, "", cs)
		logLegacy(c.s.Logger, "client", name, "", cs)
	}
	// The checks run here with the whole state, also when verifyPeer ran
	// them with part of it (VerifyConnection wrapped by a hook that calls
	// this one).
	return internal.RunPeerChecks("server", c.s.PeerChecks, cs)
}

// NewTransport returns a new *http.Transport that uses the settings of
// ClientConfig. It is built on cleanhttp.DefaultPooledTransport (proxy from
// the environment, dial and handshake timeouts, keep-alives, a pool of idle
// connections), speaks HTTP/1.1 and HTTP/2 (Transport.Protocols), and
// checks idle HTTP/2 connections with pings (a ping after 30 s of silence,
// closed when not answered within 15 s). Every call returns a new transport
// with its own session cache; nothing global is changed.
//
// net/http itself makes every HTTPS connection, direct or through a proxy,
// with the transport's fields: DialTLSContext is left unset, because
// net/http ignores TLSClientConfig and DialContext for HTTPS whenever it is
// set, and a clone (Transport.Clone) would keep dialling with the fields
// of the transport it was cloned from. So the transport, and any clone of
// it, behaves as any http.Transport does:
//
//   - TLSClientConfig is the config ClientConfig returns, cloned by
//     net/http for each connection (with ServerName set to the URL's host
//     unless set): RootCAs, VerifyConnection, MinVersion, Time and every
//     other field set on it hold, as documented for ClientConfig. A hashed
//     WithCAPath is read into RootCAs when the transport is made (every
//     CA of the directory); CAs deleted later are refused, CAs added
//     later need a new transport (NewClient looks them up by hash for
//     each connection).
//   - DialContext dials TCP for HTTPS and HTTP alike, and the proxy;
//     Proxy (from the environment) chooses the proxy; TLSHandshakeTimeout
//     (10 s, or WithHandshakeTimeout) bounds the handshake.
//   - Errors are those of crypto/tls and net/http, inside *url.Error, with
//     the x509 and crypto/tls types reachable by errors.As; Diagnose turns
//     one into a *HandshakeError that explains it.
//   - With legacy.Allow() (no scope), TLSClientConfig is widened as
//     ClientConfig's is: every host is offered the old versions and
//     suites after the defaults. With legacy.Allow(legacy.ForHosts(...)),
//     NewTransport returns an error, as ClientConfig does: use NewClient.
//
// NewClient's transport dials HTTPS itself instead, which explains
// failures as they happen and scopes legacy mode to the hosts of
// legacy.ForHosts; use NewTransport for a transport to change or clone.
func NewTransport(opts ...Option) (*http.Transport, error) {
	c, err := newClient(opts, "NewTransport")
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
	c.closeIdleOnCertChange(t)
	return t
}

// dialTLS is the DialTLSContext of NewClient's transport t: it dials and
// handshakes for t, reading t's fields at each call so that changes made
// to the transport are honoured.
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
		// lazy: RootCAs and InsecureSkipVerify are as the library set
		// them; the chain is verified by verifyLazily below.
		lazy := c.lazyDial && cfg.RootCAs == c.roots && !cfg.InsecureSkipVerify && !fips140.Enabled()
		if !lazy {
			cfg.RootCAs = c.currentRoots(cfg.RootCAs)
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		name := cfg.ServerName
		inLegacy := c.legacy != nil && c.legacy.Covers(name)
		if c.legacy != nil {
			c.legacy.ClientConfigFor(cfg, name) // only a host in scope is offered the old versions
		}
		// ours: VerifyConnection is the library's, which runs the peer
		// checks on resumption; otherwise the wrapper below does.
		ours := internal.SameHook(cfg.VerifyConnection, c.verifyHook)
		if inner := cfg.VerifyConnection; inner != nil || len(c.s.PeerChecks) > 0 {
			// crypto/tls leaves ConnectionState.ServerName empty for an
			// IP address; the verifier (ours, or the user's wrapping it)
			// is told the name dialled.
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				if cs.ServerName == "" {
					cs.ServerName = name
				}
				if inner != nil {
					if err := inner(cs); err != nil {
						return err
					}
				}
				if !ours {
					// The library's verify, which runs the checks, was
					// replaced: they run here, on full handshakes and
					// resumed ones, with the whole state.
					return internal.RunPeerChecks("server", c.s.PeerChecks, cs)
				}
				return nil
			}
		}
		if internal.SamePeerHook(cfg.VerifyPeerCertificate, c.peerHook) {
			if ours {
				// verify, which the wrapper above calls on every
				// handshake, does all that verifyPeer does (and the
				// checks, with the whole state): not done twice.
				cfg.VerifyPeerCertificate = nil
			} else {
				// The checks run with the whole state in the wrapper
				// above, after the replaced VerifyConnection.
				cfg.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
					return c.verifyPeer(raw, chains, false)
				}
			}
		}
		if lazy {
			c.verifyLazily(cfg)
		}
		parent := ctx
		if t.TLSHandshakeTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, t.TLSHandshakeTimeout)
			defer cancel()
		}
		trace := httptrace.ContextClientTrace(ctx)
		if trace != nil && trace.TLSHandshakeStart != nil {
			trace.TLSHandshakeStart()
		}
		// The course of the handshake, for the explanation of a failure.
		var w handshakeWatch
		cfg.GetClientCertificate = w.getClientCertificate(cfg)
		pc := &peekConn{Conn: raw}
		tc := tls.Client(pc, cfg)
		start := time.Now()
		err = tc.HandshakeContext(ctx)
		if trace != nil && trace.TLSHandshakeDone != nil {
			trace.TLSHandshakeDone(tc.ConnectionState(), err)
		}
		if err == nil && w.requested && tc.ConnectionState().Version == tls.VersionTLS13 {
			// A TLS 1.3 server checks the client's certificate after
			// the client's handshake is done: wait briefly for its
			// verdict, so that a refusal is reported here.
			if err = awaitVerdict(ctx, pc, tc, time.Since(start)); err != nil {
				w.afterFinished = true
			}
		}
		if err != nil {
			raw.Close()
			if parent.Err() != nil {
				return nil, parent.Err() // the caller's own context
			}
			cs := tc.ConnectionState()
			return nil, classify(err, diagInfo{
				side: "client", host: hostForMessage(host, name), trust: c.live.Latest().Describe, pool: c.live.Latest().Pool, minVersion: cfg.MinVersion, maxVersion: cfg.MaxVersion,
				legacy: c.legacy != nil, legacyScoped: c.legacy != nil && c.legacy.Scoped(), inScope: inLegacy, minRSA: minRSAFor(c.legacy, name),
				watched: true, certRequested: w.requested, certSent: w.sent, afterFinished: w.afterFinished,
				certWithheld: w.withheld, acceptableCAs: w.acceptable,
				serverHello: cs.Version != 0, version: cs.Version,
				timedOut: ctx.Err() != nil, timeout: t.TLSHandshakeTimeout,
			})
		}
		return tc, nil
	}
}

// verifyLazily makes cfg, the private clone of one connection, verify the
// server's chain with capool's Pool.Verify, which looks the CAs of a
// hashed capath up by the issuers' hashes (a few stat calls, whatever the
// size of the directory), instead of crypto/tls with a RootCAs holding
// every CA of the directory. It checks what crypto/tls would: the chain
// for server authentication, at cfg.Time if set, to the name
// cfg.ServerName exactly as crypto/tls checks it (not the normalised
// ConnectionState.ServerName), with the peer's other certificates as
// intermediates; a failure is a *tls.CertificateVerificationError
// wrapping the crypto/x509 error, as crypto/tls returns.
//
// The verification runs in VerifyConnection, on full and resumed
// handshakes, so a CA deleted since is refused. It wraps the hooks cfg
// held (the library's policy hooks, or whatever the user put on the
// transport's TLSClientConfig), which then receive the verified chains:
// replacing either hook on the transport cannot remove verification,
// since this wrapper is added to this clone only. InsecureSkipVerify is
// set on this clone alone, for crypto/tls to leave the chain to it.
func (c *client) verifyLazily(cfg *tls.Config) {
	name := cfg.ServerName
	clock := cfg.Time
	innerPeer, innerConn := cfg.VerifyPeerCertificate, cfg.VerifyConnection
	check := func(certs []*x509.Certificate) ([][]*x509.Certificate, error) {
		if len(certs) == 0 || certs[0] == nil {
			return nil, &tls.CertificateVerificationError{Err: errors.New("tlsdefault: the server sent no certificate")}
		}
		now := time.Now()
		if clock != nil {
			now = clock()
		}
		chains, err := c.live.Current().Pool.Verify(certs[0], certs[1:], x509.VerifyOptions{
			DNSName:     name,
			CurrentTime: now,
			KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return nil, &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
		}
		return chains, nil
	}
	cfg.InsecureSkipVerify = true
	// crypto/tls parses the server's certificates whether it verifies them
	// or not, and calls VerifyConnection right after VerifyPeerCertificate
	// on a full handshake and alone on a resumed one: the chain is
	// verified there, from the parsed certificates (not parsed twice), and
	// the hooks cfg held run after it, VerifyPeerCertificate (full
	// handshakes only, as crypto/tls calls it) with the verified chains.
	cfg.VerifyPeerCertificate = nil
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		chains, err := check(cs.PeerCertificates)
		if err != nil {
			return err
		}
		if innerPeer != nil && !cs.DidResume {
			raw := make([][]byte, len(cs.PeerCertificates))
			for i, cert := range cs.PeerCertificates {
				raw[i] = cert.Raw
			}
			if err := innerPeer(raw, chains); err != nil {
				return err
			}
		}
		cs.VerifiedChains = chains
		if innerConn != nil {
			return innerConn(cs)
		}
		return nil
	}
}

// refuseLegacyProxy is the OnProxyConnectResponse of NewClient's
// transport t with a scoped legacy mode: through an HTTP(S) proxy net/http
// handshakes with t's TLSClientConfig itself, which is never widened for a
// scope, so a host in scope cannot be offered the old versions there. The
// request is refused, before any handshake, with an error that says so,
// rather than left to fail (or not) on the version the host picks. Hosts
// out of scope go through the proxy as usual, with the defaults.
func (c *client) refuseLegacyProxy(t *http.Transport) func(context.Context, *url.URL, *http.Request, *http.Response) error {
	return func(_ context.Context, proxy *url.URL, req *http.Request, _ *http.Response) error {
		host := req.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		name := host
		if cfg := t.TLSClientConfig; cfg != nil && cfg.ServerName != "" {
			name = cfg.ServerName
		}
		if !c.legacy.Covers(name) {
			return nil
		}
		via := "a proxy"
		if proxy != nil {
			via = "the proxy " + safetext.Quote(proxy.Host)
		}
		return fmt.Errorf("tlsdefault: %s is in the scope of legacy.ForHosts, but the request goes through %s, where net/http makes the TLS handshake with the transport's TLSClientConfig, which NewClient never widens for a scope (so that no field of it can open the old versions to other hosts); so the request is refused. Reach %s without the proxy (NO_PROXY), or through a client of its own built with legacy.Allow() without ForHosts and used only for that host", safetext.Quote(name), via, safetext.Quote(name))
	}
}

// httpsProxyInEnv reports whether the environment names a proxy for HTTPS
// (net/http's ProxyFromEnvironment): net/http handshakes through it with
// TLSClientConfig itself, not with NewClient's dialler.
func httpsProxyInEnv() bool {
	return os.Getenv("HTTPS_PROXY") != "" || os.Getenv("https_proxy") != ""
}

func hostForMessage(host, serverName string) string {
	if serverName != "" && !strings.EqualFold(serverName, host) {
		return serverName + " (" + host + ")"
	}
	return host
}

// NewClient returns a new *http.Client: a drop-in for http.DefaultClient
// with the defaults of this package. It has no overall timeout, like
// http.DefaultClient; set Client.Timeout or use request contexts.
//
// Its Transport is a transport as NewTransport makes, whose DialTLSContext is
// the library's dialler, used for direct HTTPS connections (net/http then
// ignores TLSClientConfig and DialContext for them): it dials with the
// transport's DialContext and handshakes with a clone of its
// TLSClientConfig, both read at dial time, so that changes made to this
// transport hold, and returns errors as *HandshakeError, which explains
// the failure from the course of the handshake and wraps the error of
// crypto/tls.
//
// With legacy.Allow(legacy.ForHosts(...)), TLSClientConfig holds the
// defaults (TLS 1.2 and later, the AEAD suites) and is never widened:
// only the dialler's private clone is, for a host in scope (IP addresses
// included), in the fields that still hold the defaults, so that a field
// you set there is not undone (TLS 1.2 is the default: to keep a host in
// scope at TLS 1.2, take it out of ForHosts; a MinVersion of TLS 1.3 or a
// shorter CipherSuites list holds). No assignment to TLSClientConfig (a
// VerifyConnection replaced, say) can therefore let a host out of scope
// negotiate an old version. Whatever net/http handshakes with
// TLSClientConfig itself cannot reach a host in scope that speaks only the
// old versions: it fails closed. That is the case through a proxy (the
// transport's Proxy, from HTTPS_PROXY, or set later), where net/http makes
// the handshake: the transport's OnProxyConnectResponse refuses a request
// to a host in scope before any handshake, with an error that says so
// (whatever versions the host speaks); a host out of scope goes through
// the proxy with the defaults. (A SOCKS5 proxy, or an
// OnProxyConnectResponse you replace, leaves a host in scope to the
// strict handshake.) Reach the old host without the proxy (NO_PROXY), or
// through a client of its own built with legacy.Allow() without ForHosts
// and used only for that host. With legacy.Allow() without a scope,
// TLSClientConfig is widened for every host, as NewTransport's is, and a
// proxy changes nothing.
//
// With a hashed WithCAPath, NewClient reads no CA of the directory when
// called (only its first names, one small read, to tell a hashed
// directory from one of plain files), and the dialler verifies each connection by looking up
// the issuers' <hash>.N files as OpenSSL does (capool's Pool.Verify: a
// few stat calls, whatever the size of the directory): a CA added is
// trusted at the next connection and one deleted refused, resumed
// sessions included. It checks what crypto/tls checks (the chain for
// server authentication, at TLSClientConfig.Time if set, to ServerName
// exactly as crypto/tls takes it) and fails as it does, with a
// *tls.CertificateVerificationError wrapping the crypto/x509 error. For
// that, the connection's private clone of TLSClientConfig gets
// InsecureSkipVerify and two wrappers: VerifyPeerCertificate verifies
// the chain, VerifyConnection verifies it again for a resumed session,
// and each then calls what TLSClientConfig holds there (the library's
// checks, or the hooks you put there) with the verified chains. A hook
// replaced on TLSClientConfig therefore cannot turn verification off.
// The lookup is not used, and crypto/tls verifies against the directory
// read into RootCAs as for NewTransport, when you set RootCAs or
// InsecureSkipVerify on TLSClientConfig (RootCAs then holds; the other
// is refused), and in FIPS 140-3 mode (crypto/fips140.Enabled), where
// crypto/tls keeps the verified chains to FIPS rules. TLSClientConfig
// itself, used without the dialler (tls.Dial, or a Proxy set on the
// transport later), holds the pool's CAs other than the directory's and
// so fails closed for the directory's servers; when HTTPS_PROXY is set
// in the environment at construction, NewClient reads the directory into
// RootCAs, as NewTransport does, so that requests through the proxy
// verify.
//
// A clone of this transport would keep the dialler, which dials with the
// fields of this transport, not the clone's: to change a clone, set its
// DialTLSContext to nil, or start from NewTransport.
func NewClient(opts ...Option) (*http.Client, error) {
	c, err := newClient(opts, "NewClient")
	if err != nil {
		return nil, err
	}
	t := c.transport()
	t.DialTLSContext = c.dialTLS(t)
	if c.legacy != nil && c.legacy.Scoped() {
		t.OnProxyConnectResponse = c.refuseLegacyProxy(t)
	}
	return &http.Client{Transport: t}, nil
}

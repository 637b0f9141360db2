package tlsdefault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/legacyhook"
	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// server is one server configuration and what it needs at handshake time.
type server struct {
	s      *internal.Settings
	pool   *capool.Pool
	trust  string
	config *tls.Config
	ids    []identity
	legacy legacyhook.Hook
	// verifyClients is the mode asked for.
	verifyClients tls.ClientAuthType
	tickets       *ticketKeys         // WithSessionTicketKeyFile
	live          *internal.LiveTrust // the client CAs, reloaded; nil without WithClientAuth
	// clientCAs is the ClientCAs the library set: each handshake gets the
	// CAs in force (reloaded files, a hashed capath read again), unless
	// the user changed it.
	clientCAs *x509.CertPool
	// source (WithCertificateSource) gives the certificate at handshake
	// time; checker applies the policy to what it returns.
	source  internal.CertSource
	checker *internal.SourceChecker
	// verifyHook is the VerifyConnection the library set (srv.verify),
	// to tell whether the user replaced it.
	verifyHook func(tls.ConnectionState) error
}

// ServerConfig returns a new *tls.Config for the server side of TLS
// (Python's Purpose.CLIENT_AUTH): TLS 1.2 floor, TLS 1.3 preferred, the
// same AEAD suites as ClientConfig, ALPN "h2" and "http/1.1" so that
// http.Server speaks HTTP/2, and no client certificates unless
// WithClientAuth asks for them (then verified against the trust options,
// with the same chain policy as on the client side).
//
// Client certificates are verified by crypto/tls itself, so that a client
// refused gets crypto/tls's alert (unknown_ca, certificate_expired), also
// with a hashed WithCAPath: its CAs are read into ClientCAs again for each
// handshake, by GetConfigForClient (a CA added to the directory is trusted
// at the next handshake, a CA deleted refused). That pool is built again
// only when the directory changed (at most once a second while it keeps
// changing; a CA deleted is refused at once regardless) and shared by the
// handshakes; the returned config's ClientCAs is a copy made at
// construction, so adding to it in place changes nothing: to trust other
// CAs, set ClientCAs to a pool of your own (crypto/tls then uses it). The chain policy is
// applied by both VerifyPeerCertificate and VerifyConnection, and an
// unverified client certificate is refused even if ClientAuth is lowered:
// no single field assignment makes the config accept a client certificate
// that crypto/tls with the same ClientCAs refuses.
//
// The certificate comes from WithCertificate, WithKeyPairFiles or
// WithCertificateSource; a key that does not match, or a key below the
// floor, is an error here, not at the first handshake. With none of them,
// the config has no certificate at all (Python's
// create_default_context(Purpose.CLIENT_AUTH) before load_cert_chain): set
// its Certificates or GetCertificate before use. What you set there is
// presented as it is; the library's checks of its own certificate apply
// only to the options.
//
// As the TLS of httptest.NewUnstartedServer (then StartTLS), a config with
// WithCertificate presents that certificate to clients with and without
// SNI. With WithKeyPairFiles or WithCertificateSource, httptest would add
// its own certificate for clients that send no SNI name (by IP address);
// wrap the test server's listener instead: ln, err :=
// NewListener(ts.Listener, opts...); ts.Listener = ln; ts.Start(); and use
// "https://" + ln.Addr().String() as the URL. httptest's Client() trusts
// only its own certificate; use NewClient with your test CA.
//
// Prefer Listen or NewListener, which also bound the time a handshake may
// take. With http.Server.ServeTLS, set ReadHeaderTimeout: http.Server has
// no handshake timeout of its own.
func ServerConfig(opts ...Option) (*tls.Config, error) {
	srv, err := newServer(opts, false)
	if err != nil {
		return nil, err
	}
	return srv.config, nil
}

// newServer builds a server; needCert is set for Listen and NewListener,
// which cannot start without a way to get a certificate.
func newServer(opts []Option, needCert bool) (*server, error) {
	s, err := collect(opts)
	if err != nil {
		return nil, err
	}
	if err := checkServerSources(s, needCert); err != nil {
		return nil, err
	}
	ids, err := loadIdentities(s)
	if err != nil {
		return nil, err
	}
	useLogger(s, ids, "server")
	srv := &server{s: s, ids: ids, legacy: s.Legacy, verifyClients: s.ClientAuth}
	cfg := &tls.Config{
		MinVersion:   s.MinVersion,
		MaxVersion:   internal.MaxVersion,
		CipherSuites: internal.CipherSuites(),
		NextProtos:   append(internal.NextProtos(), s.ALPN...),
		ClientAuth:   tls.NoClientCert,
		KeyLogWriter: internal.KeyLogWriter(),
	}
	if s.CertSource != nil {
		srv.source = s.CertSource
		srv.checker = internal.NewSourceChecker()
	}
	if len(ids) > 0 || srv.source != nil {
		cfg.GetCertificate = srv.getCertificate
	}
	if fixed := fixedCertificates(ids); fixed != nil && srv.source == nil {
		// crypto/tls presents Certificates to a client that sends no SNI
		// name, and httptest.Server.StartTLS adds its own certificate when
		// the list is empty; with only fixed certificates the list is
		// what GetCertificate would pick from.
		cfg.Certificates = fixed
	}
	if s.ClientAuth != tls.NoClientCert {
		if !s.HasTrustSource() {
			return nil, errors.New("tlsdefault: WithClientAuth: verifying client certificates needs a trust source: add WithCAFile, WithCAPath, WithCAData or WithPool with the CA that issues them (WithSystemRoots would accept any publicly issued certificate, so it must be asked for explicitly)")
		}
		srv.live, err = newLiveTrust(s, false)
		if err != nil {
			return nil, err
		}
		srv.pool = srv.live.Initial().Pool
		srv.trust = describeTrust(srv.pool)
		// crypto/tls verifies client certificates, also with a hashed
		// capath (whose CAs are read again per handshake, reloadTrust), so
		// that its own checks and alerts apply.
		cfg.ClientCAs = srv.live.Initial().RootsForConfig(x509.ExtKeyUsageClientAuth)
		cfg.ClientAuth = s.ClientAuth
		srv.clientCAs = cfg.ClientCAs
		cfg.VerifyPeerCertificate = srv.verifyPeer
	} else if s.HasTrustSource() {
		return nil, errors.New("tlsdefault: trust options on a server without WithClientAuth would be ignored (client certificates are not asked for); add WithClientAuth(tls.RequireAndVerifyClientCert) or tls.VerifyClientCertIfGiven, or drop the trust options")
	}
	srv.verifyHook = srv.verify
	cfg.VerifyConnection = srv.verifyHook
	if l := srv.legacy; l != nil {
		l.Widen(cfg)
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			// Cloned from the live config at handshake time, so that
			// changes the user made to it after construction hold.
			noteHello(hello)
			c := cfg.Clone()
			c.GetConfigForClient = nil
			l.ServerConfigFor(c, hello)
			return c, nil
		}
	}
	srv.reloadTrust(cfg)
	srv.guardHandshakes(cfg)
	if err := srv.useTicketKeys(cfg); err != nil {
		return nil, err
	}
	srv.config = cfg
	return srv, nil
}

// guardHandshakes makes what the library checks survive the replacement
// of one hook of cfg, through a GetConfigForClient around any already
// installed (legacy scoping, trust reload): without legacy.Allow, a
// GODEBUG=tlssha1=1 set after construction refuses the handshake before
// it starts (VerifyPeerCertificate and VerifyConnection refuse it too).
// With WithPeerCheck, each handshake gets a clone of cfg (so that a clone
// of cfg with VerifyConnection replaced still gets cfg's hooks), and when
// cfg's VerifyConnection is no longer the library's, the checks run after
// the one it holds; the library's runs them itself, so that replacing
// GetConfigForClient instead keeps them too. A check runs once per
// handshake, twice when VerifyConnection was replaced by a hook that calls
// the library's.
func (srv *server) guardHandshakes(cfg *tls.Config) {
	checks := srv.s.PeerChecks
	godebug := srv.legacy == nil
	if len(checks) == 0 && !godebug {
		return
	}
	inner := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if godebug {
			if err := checkGODEBUG(); err != nil {
				return nil, err
			}
		}
		var c *tls.Config
		if inner != nil {
			var err error
			if c, err = inner(hello); err != nil {
				return nil, err
			}
		}
		if len(checks) == 0 {
			return c, nil
		}
		if c == nil {
			noteHello(hello)
			// Cloned at handshake time, so that changes the user made to
			// the config after construction hold.
			c = cfg.Clone()
			c.GetConfigForClient = nil
		}
		if internal.SameHook(cfg.VerifyConnection, srv.verifyHook) {
			return c, nil // srv.verify runs the checks
		}
		verify := c.VerifyConnection
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if verify != nil {
				if err := verify(cs); err != nil {
					return err
				}
			}
			return internal.RunPeerChecks("client", checks, cs)
		}
		return c, nil
	}
}

// getCertificate picks the first identity the client supports (SNI name,
// signature algorithms), or the first one.
func (srv *server) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if srv.source != nil {
		return srv.checker.Get(srv.source, hello)
	}
	if len(srv.ids) == 1 {
		return srv.ids[0].current(), nil
	}
	var first *tls.Certificate
	for _, id := range srv.ids {
		c := id.current()
		if first == nil {
			first = c
		}
		if hello.SupportsCertificate(c) == nil {
			return c, nil
		}
	}
	return first, nil
}

// addrString is the remote address of c, or "" when it has none.
func addrString(c net.Conn) string {
	if c == nil {
		return ""
	}
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// verifyPeer is the VerifyPeerCertificate of a server that verifies
// client certificates: a certificate that crypto/tls did not verify is
// refused (a ClientAuth lowered on the config), and verified chains must
// meet the chain policy (with legacy mode's RSA floor left to verify,
// which knows the SNI name), so that replacing VerifyConnection leaves it
// in force.
func (srv *server) verifyPeer(raw [][]byte, chains [][]*x509.Certificate) error {
	if srv.legacy == nil {
		if err := checkGODEBUG(); err != nil {
			return err
		}
	}
	if len(raw) == 0 {
		return nil
	}
	if len(chains) == 0 {
		return errors.New("tlsdefault: the client's certificate was not verified")
	}
	live, err := liveChains(srv.pool, chains, "client")
	if err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chains[0][:1], Err: err}
	}
	chains = live
	minRSA := internal.MinRSABits
	if srv.legacy != nil {
		minRSA = legacyhook.MinRSABitsFloor // the lowest legacy mode allows; verify applies the SNI name's
	}
	if err := checkChains("client", chains, minRSA); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: chains[0][:1], Err: err}
	}
	return nil
}

// verify is the VerifyConnection of a server config: client certificates
// (verified here with a lazy pool) must meet the chain policy, and a legacy
// version or suite is refused unless legacy mode covers the SNI name.
// Legacy handshakes are reported by the wrapper that GetConfigForClient
// (package legacy) installs.
func (srv *server) verify(cs tls.ConnectionState) error {
	if srv.legacy == nil {
		if err := checkGODEBUG(); err != nil {
			return err
		}
	}
	if len(cs.PeerCertificates) > 0 && srv.verifyClients != tls.NoClientCert {
		chains := cs.VerifiedChains
		if len(chains) == 0 {
			return errors.New("tlsdefault: the client's certificate was not verified")
		}
		// A session resumed, or a certificate trusted as it is, is not
		// checked by crypto/tls against a CA deleted from a hashed capath.
		st := srv.live.Current()
		chains, err := liveChains(st.Pool, chains, "client")
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		if err := srv.checkAnchored(st, cs, chains); err != nil {
			return err
		}
		minRSA := internal.MinRSABits
		if srv.legacy != nil {
			minRSA = srv.legacy.MinRSABits(cs.ServerName)
		}
		if err := checkChains("client", chains, minRSA); err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
	}
	if internal.IsLegacy(cs) && (srv.legacy == nil || !srv.legacy.Covers(cs.ServerName)) {
		return &legacyScopeError{side: "server", host: cs.ServerName, version: cs.Version, cipherSuite: cs.CipherSuite}
	}
	return internal.RunPeerChecks("client", srv.s.PeerChecks, cs)
}

// Listen announces on the local network address (as net.Listen) and
// returns a listener whose connections are *tls.Conn with the settings of
// ServerConfig, each handshake already complete. A handshake that takes
// longer than the handshake timeout (10 s, WithHandshakeTimeout) is closed
// without holding up other connections, and WithMaxConns caps the open
// connections. The options are checked before the address is bound.
//
// Use it with http.Server.Serve, which then serves HTTP/2 and HTTP/1.1.
func Listen(network, addr string, opts ...Option) (net.Listener, error) {
	srv, err := newServer(opts, true)
	if err != nil {
		return nil, err
	}
	inner, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("tlsdefault: %w", err)
	}
	return srv.listener(inner), nil
}

// NewListener wraps a listener the caller made (for example from systemd
// socket activation) the way Listen does.
func NewListener(inner net.Listener, opts ...Option) (net.Listener, error) {
	if inner == nil {
		return nil, errors.New("tlsdefault: NewListener: nil inner listener")
	}
	srv, err := newServer(opts, true)
	if err != nil {
		return nil, err
	}
	return srv.listener(inner), nil
}

func (srv *server) listener(inner net.Listener) *listener {
	if srv.s.MaxConns > 0 {
		// Inside the TLS layer: http.Server must still see *tls.Conn.
		inner = netutil.LimitListener(inner, srv.s.MaxConns)
	}
	timeout := srv.s.HandshakeTimeout
	if timeout <= 0 {
		timeout = internal.HandshakeTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{
		Listener: inner,
		srv:      srv,
		timeout:  timeout,
		conns:    make(chan net.Conn),
		dead:     make(chan struct{}),
		ctx:      ctx,
		cancel:   cancel,
		logger:   srv.s.ErrorLog,
	}
	return l
}

// listener accepts in the background, handshakes each connection in its
// own goroutine under a deadline, and hands out only connections whose
// handshake completed. Close is idempotent.
type listener struct {
	net.Listener
	srv     *server
	timeout time.Duration

	conns  chan net.Conn
	start  sync.Once
	dead   chan struct{} // closed when the accept loop has stopped
	err    error         // why it stopped; read after dead is closed
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	closeErr  error

	logger *log.Logger
	logMu  sync.Mutex
	logAt  time.Time
	logN   int
	// The last failure left out in the current second, and whether a
	// timer will report it (with the count) when the second is over.
	logRemote string
	logErr    error
	logTimer  bool
}

// Accept returns the next connection whose TLS handshake has completed.
func (l *listener) Accept() (net.Conn, error) {
	l.start.Do(func() { go l.acceptLoop() })
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.dead:
		return nil, l.err
	}
}

func (l *listener) acceptLoop() {
	defer close(l.dead)
	var delay time.Duration
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() && l.ctx.Err() == nil {
				// A transient error (such as too many open files): back
				// off as http.Server does, up to one second.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(delay):
					continue
				case <-l.ctx.Done():
				}
			}
			l.err = err
			return
		}
		delay = 0
		go l.handshake(raw)
	}
}

func (l *listener) handshake(raw net.Conn) {
	deadline := time.Now().Add(l.timeout)
	raw.SetDeadline(deadline)
	ctx, cancel := context.WithDeadline(l.ctx, deadline)
	defer cancel()
	hello := new(helloWatch)
	ctx = context.WithValue(ctx, helloKey{}, hello)
	tc := tls.Server(raw, l.srv.config)
	if err := tc.HandshakeContext(ctx); err != nil {
		replyPlainHTTP(err)
		timedOut := l.ctx.Err() == nil && (isTimeout(err) || !time.Now().Before(deadline))
		l.closeAfterAlert(raw)
		if l.ctx.Err() != nil {
			return // aborted by Close, not the peer's doing
		}
		l.logHandshake(addrString(raw), withSNI(l.srv.diagnose(err, addrString(raw), hello, tc, timedOut, l.timeout), hello, tc))
		return
	}
	if tc.ConnectionState().NegotiatedProtocol == acmeALPN {
		// A TLS-ALPN-01 validation: answered by the handshake itself.
		tc.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	select {
	case l.conns <- tc:
	case <-l.ctx.Done():
		tc.Close()
	}
}

// closeAfterAlert closes a connection whose handshake failed so that the
// alert crypto/tls sent reaches the peer: closing a socket with unread data
// (a TLS 1.3 client sends its request right after its Finished) makes the
// kernel send a reset, which can overtake the alert. So the write side is
// shut first and what the peer sent is drained, for at most 250 ms and
// 64 KiB.
func (l *listener) closeAfterAlert(raw net.Conn) {
	defer raw.Close()
	cw, ok := raw.(interface{ CloseWrite() error })
	if !ok || l.ctx.Err() != nil {
		return
	}
	if cw.CloseWrite() != nil {
		return
	}
	raw.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
	io.Copy(io.Discard, io.LimitReader(raw, 64<<10))
}

// logHandshake reports failed handshakes at most once a second, so that a
// flood of bad peers cannot flood the log. Failures left out are counted
// and reported, with the last of them, when the second is over.
func (l *listener) logHandshake(remote string, err error) {
	l.logMu.Lock()
	now := time.Now()
	if since := now.Sub(l.logAt); since < time.Second {
		l.logN++
		if l.logErr == nil || failureLevel(err) >= failureLevel(l.logErr) {
			// The record of the second tells the most severe failure.
			l.logRemote, l.logErr = remote, err
		}
		if !l.logTimer {
			l.logTimer = true
			time.AfterFunc(time.Second-since, l.flushLog)
		}
		l.logMu.Unlock()
		return
	}
	// Failures left out before (if the timer has not reported them yet)
	// are counted on this line.
	n := l.logN
	l.logAt, l.logN, l.logRemote, l.logErr = now, 0, "", nil
	l.logMu.Unlock()
	l.printHandshake(remote, err, n)
}

// flushLog reports the failures left out in the second that has just
// ended, as one line: the last of them and the count of the others.
func (l *listener) flushLog() {
	l.logMu.Lock()
	if rest := time.Second - time.Since(l.logAt); rest > 0 && l.logN > 0 {
		time.AfterFunc(rest, l.flushLog)
		l.logMu.Unlock()
		return
	}
	n, remote, err := l.logN, l.logRemote, l.logErr
	l.logN, l.logRemote, l.logErr, l.logTimer = 0, "", nil, false
	if n > 0 {
		l.logAt = time.Now()
	}
	l.logMu.Unlock()
	if n > 0 {
		l.printHandshake(remote, err, n-1)
	}
}

// maxLogLine bounds a failed-handshake log line in bytes: the peer
// controls much of it (SNI, ALPN values, certificate names).
const maxLogLine = 1024

func (l *listener) printHandshake(remote string, err error, more int) {
	msg := "tlsdefault: " + err.Error()
	if he, ok := errors.AsType[*HandshakeError](err); ok {
		msg = he.Error()
	}
	suffix := ""
	if he, ok := errors.AsType[*HandshakeError](err); ok {
		suffix = " [cause: " + he.Cause.String() + "]"
	}
	if more > 0 {
		suffix += fmt.Sprintf(" (and %d more failed handshakes in the last second)", more)
	}
	msg = safetext.Line(msg, maxLogLine-len(suffix)) + suffix
	if lg := l.srv.s.Logger; lg != nil {
		logFailure(lg, remote, sniOf(err), err, more)
		if l.logger == nil {
			return // WithLogger alone: no line on the standard logger
		}
	}
	if l.logger != nil {
		l.logger.Print(msg)
	} else {
		log.Print(msg)
	}
}

// diagnose explains a failed server handshake with what the listener
// knows: the remote address, the SNI name, the legacy scope and whether
// the handshake's deadline passed.
func (srv *server) diagnose(err error, remote string, hello *helloWatch, tc *tls.Conn, timedOut bool, timeout time.Duration) *HandshakeError {
	in := diagInfo{
		side: "server", host: remote, trust: srv.trust, minVersion: srv.s.MinVersion,
		legacy: srv.legacy != nil, legacyScoped: srv.legacy != nil && srv.legacy.Scoped(),
		sni: hello.sni, sniKnown: hello.seen,
		timedOut: timedOut, timeout: timeout,
	}
	if srv.live != nil {
		// The trust in force, reloaded or not.
		in.pool, in.trust = srv.live.Latest().Pool, srv.live.Latest().Describe
	}
	cs := tc.ConnectionState()
	in.version, in.serverHello = cs.Version, cs.Version != 0
	if !in.sniKnown && cs.ServerName != "" {
		in.sni, in.sniKnown = cs.ServerName, true
	}
	in.inScope = srv.legacy != nil && in.sniKnown && srv.legacy.Covers(in.sni)
	return classify(err, in)
}

// Close stops accepting, closes the listener and aborts handshakes in
// progress. Calling it again returns nil.
func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		l.closeErr = l.Listener.Close()
	})
	return l.closeErr
}

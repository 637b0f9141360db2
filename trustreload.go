package tlsdefault

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"slices"
	"strings"
	"time"

	"github.com/tlsdefault/tlsdefault/internal"
)

// errorLogf is where reloads report broken files: WithErrorLog, or the
// standard logger.
func errorLogf(s *internal.Settings) func(string, ...any) {
	if l := errorLogger(s); l != nil {
		return l.Printf
	}
	return log.Printf
}

// reloadTrust makes every handshake of cfg use the client CAs in force:
// after any GetConfigForClient already installed (legacy scoping), the
// config of the handshake gets the current ClientCAs, unless the user
// replaced the field. crypto/tls then both verifies new client
// certificates and re-checks a resumed session's chain against them.
//
// With WithLogger and legacy.Allow, it also reports the legacy handshakes
// the verifier accepted, with the SNI name and the remote address.
func (srv *server) reloadTrust(cfg *tls.Config) {
	// watched: the CA files are followed, or a hashed capath is read
	// again per handshake.
	watched := srv.live != nil && (srv.live.Watched() || srv.pool.Lazy())
	logLegacyHandshakes := srv.s.Logger != nil && srv.legacy != nil
	if !watched && !logLegacyHandshakes {
		return
	}
	inner := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		var c *tls.Config
		if inner != nil {
			var err error
			if c, err = inner(hello); err != nil {
				return nil, err
			}
		}
		if c == nil {
			noteHello(hello)
			// Cloned at handshake time, so that changes the user made to
			// the config after construction hold.
			c = cfg.Clone()
			c.GetConfigForClient = nil
		}
		if watched && c.ClientCAs == srv.clientCAs {
			c.ClientCAs = srv.live.Current().RootsNow(x509.ExtKeyUsageClientAuth)
		}
		if logLegacyHandshakes {
			verify, sni, remote := c.VerifyConnection, hello.ServerName, addrString(hello.Conn)
			c.VerifyConnection = func(cs tls.ConnectionState) error {
				if verify != nil {
					if err := verify(cs); err != nil {
						return err
					}
				}
				if internal.IsLegacy(cs) {
					logLegacy(srv.s.Logger, "server", sni, remote, cs)
				}
				return nil
			}
		}
		return c, nil
	}
}

// newLiveTrust is internal.NewLiveTrust with the reloads reported to
// WithLogger.
func newLiveTrust(s *internal.Settings, defaultSystem bool) (*internal.LiveTrust, error) {
	live, err := internal.NewLiveTrust(s, defaultSystem, errorLogf(s))
	if live != nil && s.Logger != nil {
		path := strings.Join(append(slices.Clone(s.CAFiles), s.CAPaths...), ",")
		live.OnReload = func(err error) { logReload(s.Logger, "trust", path, err) }
	}
	return live, err
}

// checkAnchored refuses a chain that does not end in a CA of the trust in
// force, once the trust has been reloaded: a CA removed from the file is
// refused at the next handshake, resumed ones included, whatever pool the
// handshake itself used.
func (srv *server) checkAnchored(st *internal.TrustState, cs tls.ConnectionState, chains [][]*x509.Certificate) error {
	if st.Version == 0 {
		return nil // the trust of construction: crypto/tls checked the chain against it
	}
	if st.Anchored(chains, x509.ExtKeyUsageClientAuth, time.Now()) {
		return nil
	}
	return notAnchored("client", st, cs)
}

func notAnchored(peer string, st *internal.TrustState, cs tls.ConnectionState) error {
	return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: fmt.Errorf("tlsdefault: the %s's certificate chains to a CA that the reloaded trust (%s) no longer holds: %w", peer, st.Describe, x509.UnknownAuthorityError{Cert: cs.PeerCertificates[0]})}
}

// currentRoots is what a connection of the transport verifies servers
// with: the RootCAs in force, unless the user replaced the field.
func (c *client) currentRoots(roots *x509.CertPool) *x509.CertPool {
	if roots != c.roots || (!c.live.Watched() && !c.pool.Lazy()) {
		return roots // the user's, or fixed
	}
	return c.live.Current().RootsNow(x509.ExtKeyUsageServerAuth)
}

// checkAnchored is the client's side of the server's checkAnchored: a
// config used without the transport (ClientConfig with tls.Dial) keeps the
// RootCAs of construction, so a CA removed since is refused here, resumed
// sessions included. A CA added is trusted by the transport's connections
// (currentRoots), not by such a config.
func (c *client) checkAnchored(st *internal.TrustState, cs tls.ConnectionState, chains [][]*x509.Certificate) error {
	if st.Version == 0 {
		return nil
	}
	if st.Anchored(chains, x509.ExtKeyUsageServerAuth, time.Now()) {
		return nil
	}
	return notAnchored("server", st, cs)
}

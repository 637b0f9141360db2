package tlsdefault

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// This file is the one classifier of failed handshakes: every path (the
// transport's dialler, the listener's log, Diagnose, the CLI through
// HandshakeError.Cause) goes through classify. It decides on types
// (x509 and crypto/tls errors, alert values, the course of the handshake
// the caller observed); where crypto/tls offers only text, tlsText is the
// one place that reads it.

// Diagnose classifies the error of a failed handshake made by a client
// with a config from ClientConfig (tls.Dial, tls.Dialer, tls.Client and
// Handshake) or by a transport from NewTransport, as NewClient's dialler
// does for its own connections. It
// returns nil for a nil error, the *HandshakeError err holds if it holds
// one, and otherwise a new *HandshakeError wrapping err (CauseUnknown when
// err is no handshake failure it knows).
//
// Diagnose sees only the error, not the course of the handshake: a TLS 1.2
// server's handshake_failure alert, which can mean "no common cipher
// suite" as well as "a client certificate is required", is CauseAlert
// here, while NewClient, which watches the handshake, tells them apart.
// The name dialled is taken from the error where it says it; Host is
// otherwise empty. Over TLS 1.3 a server refuses the client certificate
// after the client's side of the handshake is done: that refusal is the
// error of the first Read (or Write), and Diagnose classifies it as well.
func Diagnose(err error) *HandshakeError {
	if err == nil {
		return nil
	}
	if he, ok := errors.AsType[*HandshakeError](err); ok {
		return he
	}
	in := diagInfo{side: "client"}
	if h, ok := errors.AsType[x509.HostnameError](err); ok {
		in.host = h.Host
	}
	return classify(err, in)
}

// diagInfo is what the classifier knows beyond the error.
type diagInfo struct {
	side  string // "client" (we dialled) or "server" (we accepted)
	host  string // the name dialled, or the remote address
	trust string // the trust sources, described
	pool  interface {
		Certificates() []*x509.Certificate
	} // the trusted CAs, to name a constraining CA; may be nil

	minVersion uint16 // the floor in force (0: the default)
	maxVersion uint16 // the ceiling in force (0: TLS 1.3)

	legacy       bool // legacy.Allow is given
	legacyScoped bool // with a ForHosts scope
	inScope      bool // the scope covers this peer
	minRSA       int  // the RSA floor for this peer (0: internal.MinRSABits)
	sni          string
	sniKnown     bool // server: the name the client asked for is known

	// The course of a client handshake, when watched (NewClient).
	watched       bool
	certRequested bool // the server sent a CertificateRequest
	certSent      bool // and this client answered with a certificate
	certWithheld  bool // this client has certificates, none of them for the CAs the server named
	acceptableCAs []string
	afterFinished bool // the failure came after the client's Finished (TLS 1.3)
	serverHello   bool // the server's ServerHello arrived
	version       uint16

	timedOut bool          // the handshake's own deadline passed
	timeout  time.Duration // that deadline's length
}

// Alert numbers from RFC 8446 section 6 that the classifier uses.
const (
	alertCloseNotify          = 0
	alertBadRecordMAC         = 20
	alertHandshakeFailure     = 40
	alertBadCertificate       = 42
	alertUnsupportedCert      = 43
	alertCertificateRevoked   = 44
	alertCertificateExpired   = 45
	alertCertificateUnknown   = 46
	alertUnknownCA            = 48
	alertAccessDenied         = 49
	alertProtocolVersion      = 70
	alertInsufficientSecurity = 71
	alertUserCanceled         = 90
	alertUnrecognizedName     = 112
	alertCertificateRequired  = 116
	alertNoApplicationProto   = 120
)

// localAlert extracts the alert crypto/tls sent itself because of a
// record it could not accept ("local error": *net.OpError wrapping the
// unexported alert type).
func localAlert(err error) (tls.AlertError, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "local error" || op.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(op.Err)
	if v.Kind() == reflect.Uint8 && v.Type().PkgPath() == "crypto/tls" {
		return tls.AlertError(v.Uint()), true
	}
	return 0, false
}

func isLocalAlert(err error, a tls.AlertError) bool {
	l, ok := localAlert(err)
	return ok && l == a
}

// remoteAlert extracts the alert of a "remote error" from crypto/tls, which
// reports a received alert as *net.OpError{Op: "remote error"} wrapping an
// unexported alert type (a uint8).
func remoteAlert(err error) (tls.AlertError, bool) {
	if a, ok := errors.AsType[tls.AlertError](err); ok {
		return a, true
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return 0, false
	}
	v := reflect.ValueOf(op.Err)
	if v.Kind() == reflect.Uint8 && v.Type().PkgPath() == "crypto/tls" {
		return tls.AlertError(v.Uint()), true
	}
	return 0, false
}

// textClass is what tlsText recognises in crypto/tls's and crypto/x509's
// messages.
type textClass int

const (
	textNone           textClass = iota
	textSSL3                     // the peer chose or offered only SSL 3.0
	textOldVersion               // the peer chose or offered only versions we refuse
	textNoSuite                  // no cipher suite or key exchange in common
	textNoClientCert             // server: the client sent no certificate
	textALPN                     // no application protocol in common
	textInsecureSigAlg           // x509 refused to check a SHA-1 signature
	textFIPSChain                // FIPS 140-3 mode: no chain of approved keys and signatures
)

// tlsText is the one place that reads the text of crypto/tls and
// crypto/x509 errors, for the failures they report with no type of their
// own. Each pattern has a test (TestTLSTextPatterns) that produces the
// error with a real handshake and fails when a Go release changes it.
func tlsText(msg string) textClass {
	switch {
	case strings.Contains(msg, "tls: server selected unsupported protocol version 300"),
		strings.Contains(msg, "tls: client offered only unsupported versions: []"):
		// A ClientHello of version 3.0 offers no version crypto/tls knows.
		return textSSL3
	case strings.Contains(msg, "tls: server selected unsupported protocol version "),
		strings.Contains(msg, "tls: client offered only unsupported versions: "):
		return textOldVersion
	case strings.Contains(msg, "tls: no cipher suite supported by both client and server"),
		strings.Contains(msg, "tls: server chose an unconfigured cipher suite"),
		strings.Contains(msg, "tls: no key exchanges supported by both client and server"):
		return textNoSuite
	case strings.Contains(msg, "tls: client didn't provide a certificate"):
		return textNoClientCert
	case strings.Contains(msg, "tls: client requested unsupported application protocols"):
		return textALPN
	case strings.Contains(msg, "insecure algorithm"):
		return textInsecureSigAlg
	case strings.Contains(msg, "tls: no FIPS compatible certificate chains found"):
		return textFIPSChain
	}
	return textNone
}

// legacyScopeError is the refusal of a legacy version or suite by a peer
// that legacy mode does not cover (the VerifyConnection of a config).
type legacyScopeError struct {
	side        string // "client" or "server": who refused
	host        string // client: the server name; server: the SNI name
	version     uint16
	cipherSuite uint16
}

func (e *legacyScopeError) Error() string {
	if e.side == "server" {
		return fmt.Sprintf("tlsdefault: a client negotiated %s with %s, which only package legacy allows", tls.VersionName(e.version), tls.CipherSuiteName(e.cipherSuite))
	}
	who := e.host
	if who == "" {
		who = "the server"
	}
	return fmt.Sprintf("tlsdefault: %s negotiated %s with %s, which only package legacy allows, and legacy mode does not cover this host", safetext.Escape(who, safetext.MaxLen), tls.VersionName(e.version), tls.CipherSuiteName(e.cipherSuite))
}

// ssl3Reason is said whenever the peer speaks only SSL 3.0.
const ssl3Reason = "the peer speaks only SSL 3.0, which Go cannot speak at all, not even with package legacy (crypto/tls removed it; POODLE broke it); put a TLS-terminating proxy in front of the old peer (for example stunnel or nginx with an OpenSSL built for SSL 3.0), or replace it"

// classify makes the *HandshakeError for err, a failed handshake. It
// returns nil for a nil err and err's own *HandshakeError if it has one.
func classify(err error, in diagInfo) *HandshakeError {
	if err == nil {
		return nil
	}
	if he, ok := errors.AsType[*HandshakeError](err); ok {
		return he
	}
	he := &HandshakeError{Host: in.host, Err: err}
	he.alert, he.hasAlert = remoteAlert(err)
	peer, self := "server", "client"
	if in.side == "server" {
		peer, self = "client", "server"
	}
	set := func(side string, c Cause, format string, args ...any) *HandshakeError {
		he.Side, he.Cause, he.Reason = side, c, fmt.Sprintf(format, args...)
		return he
	}

	var (
		policy   *PolicyError
		scope    *legacyScopeError
		check    *PeerCheckError
		source   *internal.SourceError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		verr     *tls.CertificateVerificationError
	)
	errors.As(err, &verr)
	text := tlsText(err.Error())

	if in.timedOut {
		he.Err = ErrHandshakeTimeout
		if in.side == "server" {
			return set(peer, CauseTimeout, "the client at %s did not complete the handshake within %s; it connected and then sent too little or nothing (a stalled or very slow client, a port scanner, or a client of a protocol in which the server speaks first); nothing needs to be done unless a real client reports it, then raise WithHandshakeTimeout", in.host, in.timeout)
		}
		return set(peer, CauseTimeout, "the server accepted the connection but did not complete the handshake within %s; it may be overloaded, behind a firewall that drops TLS, or not a TLS server (one that waits for the client to speak); check the port, or give more time (WithHandshakeTimeout)", in.timeout)
	}

	if !in.watched && in.side == "client" && errors.Is(err, os.ErrDeadlineExceeded) {
		// Diagnose: a deadline of the connection, which its caller set.
		return set(peer, CauseTimeout, "the server did not complete the handshake before the connection's deadline; it may be overloaded, behind a firewall that drops TLS, or not a TLS server; check the port, or give more time")
	}

	switch {
	case errors.As(err, &check):
		if check.Partial {
			return set(self, CausePeerCheck, "the check given with WithPeerCheck refused the %s: %s (it ran from VerifyPeerCertificate with only PeerCertificates and VerifiedChains set, because the config's VerifyConnection is no longer the library's: leave it as the library set it and give every check with WithPeerCheck, or use NewClient)", peer, safetext.Escape(check.Err.Error(), 512))
		}
		return set(self, CausePeerCheck, "the check given with WithPeerCheck refused the %s: %s", peer, safetext.Escape(check.Err.Error(), 512))

	case errors.As(err, &source):
		return set(self, CauseCertificateSource, "this server's certificate source had no certificate it may present to this client (the client was refused; fix the source, or its HostPolicy if the name is not meant to be served)")

	case errors.As(err, &scope):
		return classifyScope(he, in, peer, self)

	case errors.As(err, &policy):
		he.Certificate = policy.Cert
		if in.side == "server" {
			return set(self, CausePeerCertRefused, "the client's certificate chain is below the security floor (%s); the client needs a certificate with an RSA key of at least %d bits or an EC key of at least %d bits, signed with SHA-256 or better", safetext.Escape(policy.Error(), 512), internal.MinRSABits, internal.MinECBits)
		}
		minRSA := internal.MinRSABits
		if in.minRSA > 0 {
			minRSA = in.minRSA // legacy mode's floor for a host in its scope
		}
		return set(self, CausePolicy, "the server's certificate chain is below the security floor (%s): %s; the server needs a certificate with an RSA key of at least %d bits or an EC key of at least %d bits, signed with SHA-256 or better (trusting more CAs does not help)", policyWhich(policy), policy.Reason, minRSA, internal.MinECBits)

	case errors.As(err, &hostname):
		he.Certificate = hostname.Certificate
		names := certNames(hostname.Certificate)
		return set(self, CauseHostname, "the server's certificate is for %s, not for %s; connect with a name the certificate lists, or have the certificate reissued with this name", names, safetext.Quote(hostname.Host))

	case errors.As(err, &unknown):
		return classifyUnknown(he, in, unknown, verr, text, peer, self)

	case errors.As(err, &invalid):
		return classifyInvalid(he, in, invalid, verr, peer, self)

	case verr != nil && text == textFIPSChain:
		return set(self, CausePolicy, "the %s's certificate chain verified, but this program runs in FIPS 140-3 mode (GODEBUG=fips140=on or only), where crypto/tls accepts only chains whose keys and signatures FIPS 140-3 approves (RSA keys of at least 2048 bits, ECDSA on P-256, P-384 or P-521, Ed25519, SHA-256 or better), and none of the %s's chains is one; the %s needs such a certificate", peer, peer, peer)

	case verr != nil:
		if in.side == "server" {
			return set(self, CausePeerCertRefused, "the client's certificate could not be verified against %s: %s", orNone(in.trust), safetext.Escape(verr.Err.Error(), 512))
		}
		return set(self, CauseBadCertificate, "the server's certificate could not be verified against %s: %s", orNone(in.trust), safetext.Escape(verr.Err.Error(), 512))

	case text == textSSL3:
		return set(peer, CauseSSL3, "%s", ssl3Reason)

	case text == textOldVersion:
		return classifyVersion(he, in, peer, self, true)

	case text == textNoSuite:
		return classifySuite(he, in, peer, self, true)

	case text == textNoClientCert:
		return set(self, CausePeerCertMissing, "the client sent no certificate, and this server requires one (WithClientAuth(tls.RequireAndVerifyClientCert)); the client must present a certificate issued by a CA in %s", orNone(in.trust))

	case text == textALPN:
		return set(self, CauseNoCommonProtocol, "the %s speaks none of the application protocols (ALPN) this %s accepts", peer, self)

	case he.hasAlert:
		return classifyAlert(he, in, peer, self)

	case in.side == "server" && in.version == tls.VersionTLS13 && isLocalAlert(err, alertBadRecordMAC):
		// A TLS 1.3 client that refuses this server's certificate sends
		// its alert under keys this server cannot read yet: OpenSSL's
		// clients (curl, Python, openssl s_client) do.
		return set(peer, CauseServerCertRefused, "the client's answer to this server's certificate did not decrypt, which is how clients built on OpenSSL (curl, Python, openssl s_client) send their refusal over TLS 1.3: the client most likely does not trust this server's certificate; it must trust the CA that issued it, and the certificate must list the name the client dials")

	case errors.As(err, &record):
		if looksLikeHTTP(record.RecordHeader[:]) || (in.side == "server" && looksLikeHTTPRequest(record.RecordHeader[:])) {
			if in.side == "server" {
				return set(peer, CausePlainHTTP, "the client sent a plain HTTP request to this TLS port; it must use https://")
			}
			return set(peer, CausePlainHTTP, "the %s answered in plain HTTP, not TLS: this port speaks http://, not https://; use the %s's TLS port", peer, peer)
		}
		if record.RecordHeader[0] == 0x16 && record.RecordHeader[1] == 3 && record.RecordHeader[2] == 0 {
			return set(peer, CauseSSL3, "%s", ssl3Reason)
		}
		return set(peer, CauseNotTLS, "the %s does not speak TLS on this port (its first bytes are %s); check the port", peer, safetext.Quote(string(record.RecordHeader[:])))

	case isClosed(err):
		if in.watched && in.certRequested && in.afterFinished {
			if in.certSent {
				return set(peer, CauseClientCertRefused, "the server closed the connection after this client sent its certificate, without saying why: it most likely refused the certificate; check that the server trusts the CA that issued it and that it is a valid client certificate")
			}
			return set(peer, CauseClientCertRequired, "the server asked for a client certificate, %s, and the server closed the connection: it requires one; %s", noCertWords(in), noCertFix(in))
		}
		if in.side == "server" {
			return set(peer, CausePeerClosed, "the client closed the connection during the handshake, without an alert; it may not trust this server's certificate, or it gave up (a scanner, a health check that only connects)")
		}
		return set(peer, CausePeerClosed, "the server closed the connection during the handshake without saying why; it may speak only old protocol versions (check with: openssl s_client -connect HOST:PORT -tls1), require something of this client, or be no TLS server")
	}
	return set(peer, CauseUnknown, "the handshake with the %s failed", peer)
}

// classifyScope explains a legacy version or suite that the peer
// negotiated out of legacy mode's scope.
func classifyScope(he *HandshakeError, in diagInfo, peer, self string) *HandshakeError {
	he.Side, he.Cause = self, CauseLegacyOutOfScope
	if in.side == "server" {
		he.Reason = fmt.Sprintf("the client negotiated an old version or suite, and legacy mode does not cover the name it asked for (%s); add it to legacy.ForHosts if this client must be served", sniWords(in))
	} else {
		he.Reason = fmt.Sprintf("the server negotiated an old version or suite, and legacy mode does not cover %s; add it to legacy.ForHosts if this server must be reached", safetext.Quote(in.host))
	}
	return he
}

// sniWords names the SNI of a client, or says it sent none.
func sniWords(in diagInfo) string {
	switch {
	case !in.sniKnown:
		return "SNI"
	case in.sni == "":
		return "it sent no name (SNI), which no ForHosts scope covers"
	default:
		return "SNI " + safetext.Quote(in.sni)
	}
}

// legacyWords is what a version or suite mismatch says about package
// legacy; only those two causes name it.
func legacyWords(in diagInfo) string {
	if in.legacy && (in.inScope || !in.legacyScoped) {
		return "legacy mode was on for this peer and still did not help: Go cannot reach DHE-only or SSL 3.0 peers, and a TLS 1.2 peer that signs only with SHA-1 is reachable only with GODEBUG=tlssha1=1, which weakens every TLS connection of the process (see package legacy)"
	}
	return "if you must talk to this old peer, package legacy is the explicit opt-in: legacy.Allow(legacy.ForHosts(...)) limits it to that peer"
}

// outOfScope reports whether legacy mode is scoped and does not cover the
// peer: a version or suite mismatch is then the scope's doing.
func outOfScope(in diagInfo) bool { return in.legacy && in.legacyScoped && !in.inScope }

func classifyVersion(he *HandshakeError, in diagInfo, peer, self string, local bool) *HandshakeError {
	if outOfScope(in) {
		he.Side, he.Cause = self, CauseLegacyOutOfScope
		if in.side == "server" {
			he.Reason = fmt.Sprintf("the client speaks only protocol versions older than TLS 1.2; legacy.Allow is given, but its ForHosts scope does not cover the name the client asked for (%s); add that name to legacy.ForHosts if this client must be served, or have the client send a name in scope", sniWords(in))
		} else {
			he.Reason = fmt.Sprintf("the server speaks only protocol versions older than TLS 1.2; legacy.Allow is given, but its ForHosts scope does not include %s; add it there if this server must be reached", safetext.Quote(in.host))
		}
		return he
	}
	if !local && in.side == "client" && in.maxVersion != 0 && in.maxVersion < tls.VersionTLS13 {
		he.Side, he.Cause = peer, CauseNewerVersionRequired
		he.Reason = fmt.Sprintf("the server refused every protocol version this client offered (%s); the client's MaxVersion is %s, so the server most likely requires TLS 1.3: raise or remove MaxVersion (nothing older helps, and package legacy is not the answer)", versionsOffered(in), tls.VersionName(in.maxVersion))
		return he
	}
	he.Cause = CauseOldVersion
	if local {
		he.Side = self
		he.Reason = fmt.Sprintf("the %s speaks only older protocol versions than this %s accepts (%s) - the 'protocol or cipher suite mismatch' of Python's documentation; %s", peer, self, versionsOffered(in), legacyWords(in))
	} else {
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s refused every protocol version this %s offered (%s); it probably speaks only TLS 1.0 or 1.1 - the 'protocol or cipher suite mismatch' of Python's documentation; %s", peer, self, versionsOffered(in), legacyWords(in))
	}
	return he
}

func classifySuite(he *HandshakeError, in diagInfo, peer, self string, local bool) *HandshakeError {
	if outOfScope(in) {
		he.Side, he.Cause = self, CauseLegacyOutOfScope
		if in.side == "server" {
			he.Reason = fmt.Sprintf("the client offered only cipher suites this server refuses; legacy.Allow is given, but its ForHosts scope does not cover the name the client asked for (%s); add that name to legacy.ForHosts if this client must be served", sniWords(in))
		} else {
			he.Reason = fmt.Sprintf("the server accepts none of the cipher suites this client offers; legacy.Allow is given, but its ForHosts scope does not include %s; add it there if this server must be reached", safetext.Quote(in.host))
		}
		return he
	}
	he.Cause = CauseNoCommonSuite
	if local {
		he.Side = self
		he.Reason = fmt.Sprintf("the %s offered or chose only cipher suites this %s refuses (it accepts %s); %s", peer, self, suiteSummary(in), legacyWords(in))
	} else {
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s accepted none of the cipher suites or key exchanges this %s offered (%s with %s); it may speak only RSA key exchange, CBC or 3DES suites - the 'protocol or cipher suite mismatch' of Python's documentation; %s", peer, self, versionsOffered(in), suiteSummary(in), legacyWords(in))
	}
	return he
}

// classifyAlert explains an alert the peer sent.
func classifyAlert(he *HandshakeError, in diagInfo, peer, self string) *HandshakeError {
	a := he.alert
	set := func(side string, c Cause, format string, args ...any) *HandshakeError {
		he.Side, he.Cause, he.Reason = side, c, fmt.Sprintf(format, args...)
		return he
	}
	name := a.Error()
	if in.side == "server" {
		switch a {
		case alertBadCertificate, alertUnsupportedCert, alertCertificateRevoked, alertCertificateExpired, alertCertificateUnknown, alertUnknownCA, alertAccessDenied:
			return set(peer, CauseServerCertRefused, "the client refused this server's certificate (%s); the client must trust the CA that issued it (for a private CA, give the client its certificate), and the certificate must be valid and list the name the client dials", name)
		case alertCloseNotify, alertUserCanceled:
			return set(peer, CausePeerClosed, "the client gave up the handshake (%s)", name)
		case alertProtocolVersion:
			return set(peer, CauseAlert, "the client refused the protocol version this server chose (%s)", name)
		case alertNoApplicationProto:
			return set(peer, CauseNoCommonProtocol, "the client speaks none of the application protocols (ALPN) this server offered")
		}
		return set(peer, CauseAlert, "the client sent the alert %q", name)
	}

	switch a {
	case alertProtocolVersion:
		return classifyVersion(he, in, peer, self, false)
	case alertCertificateRequired:
		if in.watched && in.certRequested {
			return set(peer, CauseClientCertRequired, "the server requires a client certificate, and %s; %s", noCertWords(in), noCertFix(in))
		}
		return set(peer, CauseClientCertRequired, "the server requires a client certificate and none was sent; give one with WithCertificate or WithKeyPairFiles")
	case alertHandshakeFailure, alertInsufficientSecurity:
		switch {
		case in.watched && in.certRequested && !in.certSent:
			return set(peer, CauseClientCertRequired, "the server asked for a client certificate, %s, and the server refused the handshake (%s): it requires one; %s", noCertWords(in), name, noCertFix(in))
		case in.watched && in.certRequested:
			return set(peer, CauseClientCertRefused, "the server refused the handshake (%s) after this client sent its certificate: it most likely refused the certificate; check that the server trusts the CA that issued it", name)
		case in.watched && in.serverHello:
			return set(peer, CauseAlert, "the server refused the handshake (%s) after choosing %s, without saying why", name, tls.VersionName(in.version))
		case in.watched:
			return classifySuite(he, in, peer, self, false)
		}
		return set(peer, CauseAlert, "the server refused the handshake (%s): either it accepts none of the cipher suites this client offered (%s), or it requires a client certificate and none was sent; NewClient tells these apart", name, suiteSummary(in))
	case alertBadCertificate, alertUnsupportedCert, alertCertificateRevoked, alertCertificateExpired, alertCertificateUnknown, alertUnknownCA, alertAccessDenied:
		if in.watched && in.certRequested && !in.certSent {
			return set(peer, CauseClientCertRequired, "the server asked for a client certificate, %s, and the server refused the handshake (%s): it requires one; %s", noCertWords(in), name, noCertFix(in))
		}
		if !in.watched && a == alertBadCertificate {
			// crypto/tls servers send bad_certificate also for a
			// missing certificate over TLS 1.2.
			return set(peer, CauseClientCertRefused, "the server refused this client's certificate (%s), or requires one and none was sent; %s", name, refusedAdvice(a))
		}
		return set(peer, CauseClientCertRefused, "the server refused this client's certificate (%s); %s", name, refusedAdvice(a))
	case alertNoApplicationProto:
		return set(peer, CauseNoCommonProtocol, "the server speaks none of the application protocols (ALPN) this client offered")
	case alertUnrecognizedName:
		return set(peer, CauseAlert, "the server does not serve the name %s (%s); check the host name", safetext.Quote(in.host), name)
	case alertCloseNotify, alertUserCanceled:
		return set(peer, CausePeerClosed, "the server closed the handshake (%s)", name)
	}
	return set(peer, CauseAlert, "the server sent the alert %q", name)
}

// noCertWords says why no client certificate was sent.
func noCertWords(in diagInfo) string {
	if in.certWithheld {
		return "and none of this client's certificates was issued by a CA it names (" + caList(in.acceptableCAs) + "), so none was sent"
	}
	return "this client had none to give"
}

func noCertFix(in diagInfo) string {
	if in.certWithheld {
		return "use a certificate issued by one of those CAs"
	}
	return "give it with WithCertificate or WithKeyPairFiles"
}

// caList quotes at most three CA names the server sent.
func caList(names []string) string {
	if len(names) == 0 {
		return "none named"
	}
	var q []string
	for i, n := range names {
		if i == 3 {
			q = append(q, fmt.Sprintf("and %d more", len(names)-3))
			break
		}
		q = append(q, safetext.QuoteN(n, 128))
	}
	return strings.Join(q, ", ")
}

func refusedAdvice(a tls.AlertError) string {
	switch a {
	case alertUnknownCA:
		return "the server does not trust the CA that issued it: have the server trust that CA, or use a certificate from a CA it trusts"
	case alertCertificateExpired:
		return "it has expired (or is not yet valid by the server's clock): renew it"
	case alertCertificateRevoked:
		return "it has been revoked: get a new one"
	case alertUnsupportedCert:
		return "it is of a kind the server does not accept (key type, or its extended key usage lacks client authentication)"
	case alertAccessDenied:
		return "the server verified it but does not let this identity in"
	}
	return "check that the server trusts the CA that issued it, that it is valid and that its extended key usage allows client authentication"
}

// classifyUnknown explains a chain that did not lead to a trusted CA.
func classifyUnknown(he *HandshakeError, in diagInfo, unknown x509.UnknownAuthorityError, verr *tls.CertificateVerificationError, text textClass, peer, self string) *HandshakeError {
	he.Side = self
	if text == textInsecureSigAlg && unknown.Cert != nil && internal.IsSHA1(unknown.Cert.SignatureAlgorithm) {
		he.Certificate = unknown.Cert
		if in.side == "server" {
			he.Cause = CausePeerCertRefused
		} else {
			he.Cause = CausePolicy
		}
		he.Reason = fmt.Sprintf("the %s's certificate %s is signed with SHA-1 (%s), which is refused: SHA-1 is no longer collision resistant; the %s needs a chain signed with SHA-256 or better (trusting more CAs does not help)", peer, subjectOf(unknown.Cert), unknown.Cert.SignatureAlgorithm, peer)
		return he
	}
	var chain []*x509.Certificate
	if verr != nil {
		chain = verr.UnverifiedCertificates
	}
	if len(chain) == 0 && unknown.Cert != nil {
		chain = []*x509.Certificate{unknown.Cert}
	}
	if len(chain) == 0 {
		he.Cause = CauseUntrustedRoot
		he.Reason = fmt.Sprintf("the %s's certificate was not issued by a trusted CA (%s)", peer, orNone(in.trust))
		return he
	}
	// Follow the chain as sent while each certificate's issuer is the next.
	i := 0
	for i+1 < len(chain) && bytes.Equal(chain[i].RawIssuer, chain[i+1].RawSubject) {
		i++
	}
	top := chain[i]
	he.Certificate = top
	var cause Cause
	var why string
	switch {
	case selfSigned(top) && i == 0:
		cause = CauseSelfSigned
		why = fmt.Sprintf("the %s's certificate %s is self-signed and is not one of the trusted certificates (%s); trust it explicitly (WithCAFile with that certificate) if it is the %s you mean, or give the %s a certificate from a trusted CA", peer, subjectOf(top), orNone(in.trust), peer, peer)
	case selfSigned(top):
		cause = CauseUntrustedRoot
		why = fmt.Sprintf("the %s's chain ends at the root CA %s, which is not trusted (trusted: %s); add that CA with WithCAFile, WithCAPath or WithCAData if it is meant to be trusted", peer, subjectOf(top), orNone(in.trust))
	case i == 0:
		cause = CauseIncompleteChain
		why = fmt.Sprintf("the %s's certificate was issued by %s, which is neither one of the trusted CAs (%s) nor sent by the %s: if it is a root CA you mean to trust, add it with WithCAFile, WithCAPath or WithCAData; if it is an intermediate CA, the %s must send it with its certificate (its chain file)", peer, safetext.Quote(top.Issuer.String()), orNone(in.trust), peer, peer)
	default:
		cause = CauseIncompleteChain
		why = fmt.Sprintf("the %s's chain stops at %s, whose issuer %s the %s did not send and none of the trusted CAs (%s) is: if %s is an intermediate CA, the %s must send it with its certificate (its chain file); if it is a root, add it with WithCAFile, WithCAPath or WithCAData", peer, subjectOf(top), safetext.Quote(top.Issuer.String()), peer, orNone(in.trust), safetext.Quote(top.Issuer.String()), peer)
	}
	if in.side == "server" {
		cause = CausePeerCertRefused
	}
	he.Cause, he.Reason = cause, why
	return he
}

// classifyInvalid explains a certificate that crypto/x509 found invalid.
func classifyInvalid(he *HandshakeError, in diagInfo, e x509.CertificateInvalidError, verr *tls.CertificateVerificationError, peer, self string) *HandshakeError {
	he.Side = self
	c := e.Cert
	he.Certificate = c
	var cause Cause
	var why string
	switch e.Reason {
	case x509.Expired:
		switch {
		case c != nil && time.Now().Before(c.NotBefore):
			cause = CauseNotYetValid
			why = fmt.Sprintf("the %s's certificate %s is not valid until %s; check the clocks of both machines", peer, subjectOf(c), c.NotBefore.UTC().Format(time.RFC3339))
		case c != nil:
			cause = CauseExpired
			why = fmt.Sprintf("the %s's certificate %s expired on %s; it must be renewed", peer, subjectOf(c), c.NotAfter.UTC().Format(time.RFC3339))
		default:
			cause = CauseExpired
			why = fmt.Sprintf("the %s's certificate is expired or not yet valid", peer)
		}
	case x509.IncompatibleUsage:
		want := "server authentication"
		if peer == "client" {
			want = "client authentication"
		}
		cause = CauseUsage
		why = fmt.Sprintf("the %s's certificate %s is not for %s (its extended key usage does not allow it); the %s needs a certificate issued for %s", peer, subjectOf(c), want, peer, want)
	case x509.CANotAuthorizedForThisName, x509.CANotAuthorizedForExtKeyUsage:
		cause = CauseCANotAuthorized
		ca := constrainingCA(c, verr, in.pool)
		if ca != nil {
			he.Certificate = ca
			why = fmt.Sprintf("the CA %s in the %s's chain is not allowed to issue for this name (its name constraints: %s); the certificate %s must come from a CA allowed to issue for it", subjectOf(ca), peer, safetext.Escape(e.Detail, 256), subjectOf(c))
		} else {
			why = fmt.Sprintf("a CA above the %s's certificate %s is not allowed to issue for this name or purpose (%s); the certificate must come from a CA allowed to issue for it", peer, subjectOf(c), safetext.Escape(e.Detail, 256))
		}
	case x509.NotAuthorizedToSign:
		cause = CauseBadCertificate
		why = fmt.Sprintf("the certificate %s in the %s's chain signed another but is not a CA", subjectOf(c), peer)
	case x509.TooManyIntermediates:
		cause = CauseBadCertificate
		why = fmt.Sprintf("the %s's chain is longer than its CA allows", peer)
	default:
		cause = CauseBadCertificate
		why = fmt.Sprintf("the %s's certificate %s is invalid: %s", peer, subjectOf(c), safetext.Escape(e.Error(), 256))
	}
	if in.side == "server" {
		cause = CausePeerCertRefused
	}
	he.Cause, he.Reason = cause, why
	return he
}

// constrainingCA finds, above leaf, the first CA with name constraints,
// among the certificates the peer sent and the trusted ones.
func constrainingCA(leaf *x509.Certificate, verr *tls.CertificateVerificationError, pool interface {
	Certificates() []*x509.Certificate
}) *x509.Certificate {
	if leaf == nil {
		return nil
	}
	var cands []*x509.Certificate
	if verr != nil {
		cands = append(cands, verr.UnverifiedCertificates...)
	}
	if pool != nil && !isNilPool(pool) {
		cands = append(cands, pool.Certificates()...)
	}
	cur := leaf
	for range 8 {
		var next *x509.Certificate
		for _, c := range cands {
			if c != cur && bytes.Equal(cur.RawIssuer, c.RawSubject) && cur.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		if hasNameConstraints(next) {
			return next
		}
		cur = next
	}
	return nil
}

func isNilPool(p any) bool {
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func hasNameConstraints(c *x509.Certificate) bool {
	return len(c.PermittedDNSDomains) > 0 || len(c.ExcludedDNSDomains) > 0 ||
		len(c.PermittedIPRanges) > 0 || len(c.ExcludedIPRanges) > 0 ||
		len(c.PermittedEmailAddresses) > 0 || len(c.ExcludedEmailAddresses) > 0 ||
		len(c.PermittedURIDomains) > 0 || len(c.ExcludedURIDomains) > 0
}

// selfSigned reports whether c names itself as issuer and its signature
// checks with its own key.
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// subjectOf is the quoted subject of c.
func subjectOf(c *x509.Certificate) string {
	if c == nil {
		return `""`
	}
	s := c.Subject.String()
	if s == "" && len(c.DNSNames) > 0 {
		s = "DNS:" + c.DNSNames[0]
	}
	return safetext.Quote(s)
}

func policyWhich(p *PolicyError) string {
	role := "its leaf"
	switch {
	case p.Index > 0:
		role = fmt.Sprintf("certificate %d of its chain", p.Index)
	case p.Index < 0:
		role = "a certificate of its chain"
	}
	return fmt.Sprintf("%s %s, rule: %s", role, subjectOf(p.Cert), p.Rule)
}

// certNames lists the names of a certificate, quoted, at most five.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no host name at all"
	}
	var all []string
	for _, n := range c.DNSNames {
		all = append(all, safetext.QuoteN(n, 128))
	}
	for _, ip := range c.IPAddresses {
		all = append(all, ip.String())
	}
	if len(all) == 0 {
		return "no host name at all"
	}
	if len(all) > 5 {
		all = append(all[:5], fmt.Sprintf("and %d more", len(all)-5))
	}
	return strings.Join(all, ", ")
}

func looksLikeHTTP(b []byte) bool {
	s := string(b)
	return strings.HasPrefix(s, "HTTP") || strings.HasPrefix(s, "<htm") || strings.HasPrefix(s, "<HTM") || strings.HasPrefix(s, "<!DO") || strings.HasPrefix(s, "<!do")
}

// looksLikeHTTPRequest reports the first bytes of an HTTP/1 request.
func looksLikeHTTPRequest(b []byte) bool {
	for _, m := range []string{"GET /", "HEAD ", "POST ", "PUT /", "DELET", "OPTIO", "PATCH", "CONNE", "TRACE"} {
		if string(b) == m {
			return true
		}
	}
	return false
}

// isClosed reports a connection the peer closed or reset.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// isTimeout reports an error of a deadline: the connection's or the
// handshake context's.
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
}

func versionsOffered(in diagInfo) string {
	minV := in.minVersion
	if minV == 0 {
		minV = internal.MinVersion
	}
	if in.legacy && (in.inScope || !in.legacyScoped) {
		minV = tls.VersionTLS10
	}
	maxV := in.maxVersion
	if maxV == 0 || maxV > tls.VersionTLS13 {
		maxV = tls.VersionTLS13
	}
	var vs []string
	for v := maxV; v >= minV && v >= tls.VersionTLS10; v-- {
		vs = append(vs, tls.VersionName(v))
	}
	return strings.Join(vs, ", ")
}

func suiteSummary(in diagInfo) string {
	if in.legacy && (in.inScope || !in.legacyScoped) {
		return "the default AEAD suites and the legacy CBC, RSA key exchange and 3DES suites"
	}
	return "ECDHE key exchange with AES-GCM or ChaCha20-Poly1305"
}

// orNone describes the trust sources, or says they are as configured when
// the classifier was not told (Diagnose).
func orNone(s string) string {
	if s == "" {
		return "the trust as configured"
	}
	return s
}

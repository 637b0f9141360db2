package internal

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"syscall"
	"time"
)

// HandshakeError is a failed handshake with a plain-language reason. It
// wraps the error crypto/tls returned, so errors.As still finds
// *tls.CertificateVerificationError, x509.UnknownAuthorityError,
// x509.HostnameError, x509.CertificateInvalidError, tls.RecordHeaderError
// and, for an alert the peer sent, tls.AlertError.
type HandshakeError struct {
	// Side is the side that refused: "client" (this program, dialling),
	// "server" (the peer we dialled), or, on a server, "client" for the
	// remote client and "server" for this program.
	Side string
	// Host is the server name (client side) or the remote address
	// (server side).
	Host string
	// Reason explains the failure and what to do about it.
	Reason string
	// Err is the error from crypto/tls.
	Err error

	alert tls.AlertError
	hasAl bool
}

func (e *HandshakeError) Error() string {
	var b strings.Builder
	b.WriteString("tlsdefault: handshake with ")
	b.WriteString(e.Host)
	b.WriteString(" failed")
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the crypto/tls error and, when the peer sent an alert,
// the alert as a tls.AlertError.
func (e *HandshakeError) Unwrap() []error {
	if e.hasAl {
		return []error{e.Err, e.alert}
	}
	return []error{e.Err}
}

// Alert returns the TLS alert the peer sent, if any.
func (e *HandshakeError) Alert() (tls.AlertError, bool) { return e.alert, e.hasAl }

// Alert numbers from RFC 8446 section 6 that the explanations use.
const (
	alertHandshakeFailure     = 40
	alertBadCertificate       = 42
	alertUnsupportedCert      = 43
	alertCertificateRevoked   = 44
	alertCertificateExpired   = 45
	alertCertificateUnknown   = 46
	alertIllegalParameter     = 47
	alertUnknownCA            = 48
	alertProtocolVersion      = 70
	alertInsufficientSecurity = 71
	alertCertificateRequired  = 116
	alertNoApplicationProto   = 120
)

// RemoteAlert extracts the alert of a "remote error" from crypto/tls, which
// reports a received alert as *net.OpError{Op: "remote error"} wrapping an
// unexported alert type (a uint8).
func RemoteAlert(err error) (tls.AlertError, bool) {
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

// Context is what the explanation may mention.
type Context struct {
	// Side is "client" when we dialled, "server" when we accepted.
	Side string
	// Host is the name dialled or the remote address.
	Host string
	// Trust describes the trust sources ("cafile ca.pem, system store").
	Trust string
	// Legacy is set when legacy mode applied to this peer.
	Legacy bool
	// LegacyOutOfScope is set when legacy.Allow was given but its
	// ForHosts scope does not include this peer.
	LegacyOutOfScope bool
	// MinVersion is the floor that was in force.
	MinVersion uint16
}

// ssl3Message is said whenever the peer speaks only SSL 3.0.
const ssl3Message = "the peer speaks only SSL 3.0, which Go cannot speak at all, not even with package legacy (crypto/tls removed it; POODLE broke it); put a TLS-terminating proxy in front of the old peer (for example stunnel or nginx with an OpenSSL built for SSL 3.0), or replace it"

// Explain wraps a handshake error with a reason. It returns err unchanged
// when err is nil or already explained.
func Explain(err error, c Context) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*HandshakeError](err); ok {
		return err
	}
	he := &HandshakeError{Host: c.Host, Err: err}
	he.alert, he.hasAl = RemoteAlert(err)
	peer, self := "server", "client"
	if c.Side == "server" {
		peer, self = "client", "server"
	}
	offered := versionsOffered(c)
	legacyHint := "if you must talk to this old peer, package legacy is the explicit opt-in: legacy.Allow(legacy.ForHosts(...)) limits it to that peer"
	switch {
	case c.Legacy:
		legacyHint = "legacy mode was on for this peer and still did not help: Go cannot reach DHE-only or SSL 3.0 peers, and a TLS 1.2 peer that signs only with SHA-1 is reachable only with GODEBUG=tlssha1=1, which weakens every TLS connection of the process (see package legacy)"
	case c.LegacyOutOfScope:
		legacyHint = fmt.Sprintf("legacy.Allow is given, but its ForHosts scope does not include %s; add it there if this peer must be reached", c.Host)
	}
	msg := err.Error()

	var (
		policy   *PolicyError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		verr     *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &policy):
		he.Side = self
		he.Reason = fmt.Sprintf("the %s's certificate chain is below the security floor (%s); the %s must use RSA keys of at least %d bits or EC keys of at least %d bits, signed with SHA-256 or better", peer, policy.Reason, peer, MinRSABits, MinECBits)
	case errors.As(err, &hostname):
		he.Side = self
		names := hostname.Certificate.DNSNames
		var ips []string
		for _, ip := range hostname.Certificate.IPAddresses {
			ips = append(ips, ip.String())
		}
		he.Reason = fmt.Sprintf("the %s's certificate is for %s, not for %q; connect with a name the certificate lists, or have the certificate reissued with this name", peer, listNames(names, ips), hostname.Host)
	case errors.As(err, &unknown):
		he.Side = self
		issuer := ""
		if unknown.Cert != nil {
			issuer = unknown.Cert.Issuer.String()
		}
		if strings.Contains(unknown.Error(), "insecure algorithm SHA1") {
			he.Reason = fmt.Sprintf("the %s's certificate (issued by %q) is signed with SHA-1, which is refused: SHA-1 is no longer collision resistant; the %s needs a certificate signed with SHA-256 or better", peer, issuer, peer)
			break
		}
		he.Reason = fmt.Sprintf("the %s's certificate was issued by %q, which none of the trusted CAs (%s) vouches for; add that CA with WithCAFile, WithCAPath or WithCAData, or check that the %s sends its intermediate certificates", peer, issuer, orNone(c.Trust), peer)
	case errors.As(err, &invalid):
		he.Side = self
		he.Reason = describeInvalid(peer, invalid)
	case errors.As(err, &verr):
		he.Side = self
		he.Reason = fmt.Sprintf("the %s's certificate could not be verified against %s", peer, orNone(c.Trust))
	case strings.Contains(msg, "unsupported protocol version 300") || strings.Contains(msg, "SSLv3"):
		he.Side = peer
		he.Reason = ssl3Message
	case strings.Contains(msg, "unsupported protocol version") || strings.Contains(msg, "offered only unsupported versions"):
		// We refused the version the peer chose or offered.
		he.Side = self
		he.Reason = fmt.Sprintf("the %s speaks only older protocol versions than this %s accepts (%s) - the 'protocol or cipher suite mismatch' of Python's documentation; %s", peer, self, offered, legacyHint)
	case he.hasAl && he.alert == alertProtocolVersion:
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s refused every protocol version this %s offered (%s); it probably speaks only TLS 1.0 or 1.1 - the 'protocol or cipher suite mismatch' of Python's documentation; %s", peer, self, offered, legacyHint)
	case he.hasAl && (he.alert == alertHandshakeFailure || he.alert == alertInsufficientSecurity):
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s accepted none of the cipher suites or key exchanges this %s offered (%s with %s); it may speak only RSA key exchange, CBC or 3DES suites - the 'protocol or cipher suite mismatch' of Python's documentation; %s", peer, self, offered, suiteSummary(c.Legacy), legacyHint)
	case strings.Contains(msg, "no cipher suite supported by both") || strings.Contains(msg, "unconfigured cipher suite"):
		he.Side = self
		he.Reason = fmt.Sprintf("the %s offered or chose only cipher suites this %s refuses (it accepts %s); %s", peer, self, suiteSummary(c.Legacy), legacyHint)
	case he.hasAl && (he.alert == alertUnknownCA || he.alert == alertBadCertificate || he.alert == alertCertificateUnknown || he.alert == alertUnsupportedCert || he.alert == alertCertificateExpired || he.alert == alertCertificateRevoked):
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s refused this %s's certificate (%s); check that the %s trusts the CA that issued it and that it is valid", peer, self, he.alert.Error(), peer)
	case strings.Contains(msg, "which only package legacy allows"):
		he.Side = self
		if c.Side == "server" {
			he.Reason = "the client negotiated an old version or suite, and legacy mode does not cover the name it asked for (SNI); add it to legacy.ForHosts if this client must be served"
		} else {
			he.Reason = fmt.Sprintf("the server negotiated an old version or suite, and legacy mode does not cover %s; add it to legacy.ForHosts if this server must be reached", c.Host)
		}
	case strings.Contains(msg, "didn't provide a certificate"):
		he.Side = self
		he.Reason = fmt.Sprintf("the %s sent no certificate, and this %s requires one (WithClientAuth(tls.RequireAndVerifyClientCert)); the %s must present a certificate issued by a CA in %s", peer, self, peer, orNone(c.Trust))
	case he.hasAl && he.alert == alertCertificateRequired:
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s requires a client certificate and none was sent; give one with WithCertificate or WithKeyPairFiles", peer)
	case he.hasAl && he.alert == alertNoApplicationProto:
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s speaks none of the application protocols (ALPN) offered", peer)
	case he.hasAl:
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s sent the alert %q", peer, he.alert.Error())
	case errors.As(err, &record):
		he.Side = peer
		if looksLikeHTTP(record.RecordHeader[:]) {
			he.Reason = fmt.Sprintf("the %s answered in plain HTTP, not TLS; use http:// for this port or the %s's TLS port", peer, peer)
		} else if record.RecordHeader[1] == 3 && record.RecordHeader[2] == 0 {
			he.Reason = ssl3Message
		} else {
			he.Reason = fmt.Sprintf("the %s did not answer with TLS (first bytes %+q)", peer, record.RecordHeader[:])
		}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		he.Side = peer
		he.Reason = fmt.Sprintf("the %s closed the connection during the handshake; it may refuse the versions or suites offered (%s), or require something else of this %s", peer, offered, self)
	default:
		return err
	}
	return he
}

func looksLikeHTTP(b []byte) bool {
	s := string(b)
	return strings.HasPrefix(s, "HTTP/") || strings.HasPrefix(s, "HTTP") || strings.HasPrefix(s, "<htm") || strings.HasPrefix(s, "<!DO")
}

func versionsOffered(c Context) string {
	minV := c.MinVersion
	if minV == 0 {
		minV = MinVersion
	}
	if c.Legacy {
		minV = tls.VersionTLS10
	}
	var vs []string
	for v := uint16(tls.VersionTLS13); v >= minV && v >= tls.VersionTLS10; v-- {
		vs = append(vs, tls.VersionName(v))
	}
	return strings.Join(vs, ", ")
}

func suiteSummary(legacy bool) string {
	if legacy {
		return "the default AEAD suites and the legacy CBC, RSA key exchange and 3DES suites"
	}
	return "ECDHE key exchange with AES-GCM or ChaCha20-Poly1305"
}

func listNames(dns, ips []string) string {
	all := append(append([]string{}, dns...), ips...)
	if len(all) == 0 {
		return "no host name at all"
	}
	if len(all) > 5 {
		all = append(all[:5], fmt.Sprintf("and %d more", len(all)-5))
	}
	return strings.Join(all, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "no trust source"
	}
	return s
}

func describeInvalid(peer string, e x509.CertificateInvalidError) string {
	c := e.Cert
	name := ""
	if c != nil {
		name = fmt.Sprintf(" %q", c.Subject.String())
	}
	switch e.Reason {
	case x509.Expired:
		if c != nil && time.Now().Before(c.NotBefore) {
			return fmt.Sprintf("the %s's certificate%s is not valid until %s; check the clocks of both machines", peer, name, c.NotBefore.UTC().Format(time.RFC3339))
		}
		if c != nil {
			return fmt.Sprintf("the %s's certificate%s expired on %s; it must be renewed", peer, name, c.NotAfter.UTC().Format(time.RFC3339))
		}
		return fmt.Sprintf("the %s's certificate is expired or not yet valid", peer)
	case x509.IncompatibleUsage:
		want := "server authentication"
		if peer == "client" {
			want = "client authentication"
		}
		return fmt.Sprintf("the %s's certificate%s is not for %s (its extended key usage does not allow it)", peer, name, want)
	case x509.NotAuthorizedToSign:
		return fmt.Sprintf("a certificate in the %s's chain%s signed another but is not a CA", peer, name)
	case x509.CANotAuthorizedForThisName, x509.CANotAuthorizedForExtKeyUsage:
		return fmt.Sprintf("a CA in the %s's chain%s is not allowed to issue this certificate (name or usage constraints)", peer, name)
	case x509.TooManyIntermediates:
		return fmt.Sprintf("the %s's chain is longer than its CA allows", peer)
	default:
		return fmt.Sprintf("the %s's certificate%s is invalid: %s", peer, name, e.Detail)
	}
}

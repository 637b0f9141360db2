package tlsdefault

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// Cause is the class of a failed handshake, as HandshakeError.Cause gives
// it. Programs choose what to do (a hint, a retry, an alarm) from the Cause
// and, for CauseAlert, from HandshakeError.Alert; HandshakeError.Reason is
// the sentence for people and is not meant to be parsed.
//
// The zero value, CauseUnknown, is a failure the library could not
// classify. New causes may be added in later versions; treat unknown values
// as CauseUnknown.
type Cause int

const (
	// CauseUnknown: not classified; Reason and Err say what is known.
	CauseUnknown Cause = iota

	// The causes from CauseSelfSigned to CauseBadCertificate are a
	// server's certificate that a client refused; a server that refuses a
	// client's certificate reports CausePeerCertRefused.

	// CauseSelfSigned: the server's certificate is self-signed (its own
	// issuer) and is not one of the trusted certificates. Fix: trust it
	// (WithCAFile with that certificate) or give the server a certificate
	// from a trusted CA.
	CauseSelfSigned
	// CauseIncompleteChain: the issuer of the last certificate the server
	// sent is neither in its chain nor trusted: the server does not send
	// its intermediate certificates, or the CA is not trusted. Fix: have
	// the server send its full chain, or trust the issuing CA.
	CauseIncompleteChain
	// CauseUntrustedRoot: the server's chain ends at a root CA that is not
	// trusted. Fix: trust that root (WithCAFile) if it is meant to be.
	CauseUntrustedRoot
	// CauseHostname: the server's certificate is not for the name dialled.
	CauseHostname
	// CauseExpired: a certificate of the server's chain has expired.
	CauseExpired
	// CauseNotYetValid: a certificate of the server's chain is not valid
	// yet (often a clock that is wrong on either side).
	CauseNotYetValid
	// CausePolicy: the chain verified but is below the chain policy (RSA
	// under 2048 bits, EC under 256 bits, SHA-1 signatures); the
	// *PolicyError says which certificate and which rule.
	CausePolicy
	// CauseCANotAuthorized: a CA of the chain is not allowed to issue for
	// this name or purpose (name constraints); Certificate is that CA.
	CauseCANotAuthorized
	// CauseUsage: the peer's certificate is not for this purpose (its
	// extended key usage lacks server or client authentication).
	CauseUsage
	// CauseBadCertificate: another defect of the peer's chain (a
	// certificate that signs others without being a CA, a chain longer
	// than allowed, a certificate that does not parse).
	CauseBadCertificate

	// CauseOldVersion: the peer speaks only protocol versions older than
	// this side accepts (TLS 1.0 or 1.1). Fix: upgrade the peer, or
	// package legacy for that peer only.
	CauseOldVersion
	// CauseNoCommonSuite: no cipher suite or key exchange both sides
	// accept (the peer may speak only RSA key exchange, CBC or 3DES).
	// Fix: upgrade the peer, or package legacy for that peer only.
	CauseNoCommonSuite
	// CauseLegacyOutOfScope: the peer needs legacy mode, legacy.Allow is
	// given, but its ForHosts scope does not cover this peer (the name
	// dialled, or on a server the name the client asked for, SNI).
	CauseLegacyOutOfScope

	// CauseClientCertRequired: the server asked for a client certificate,
	// requires one, and this client had none to give. Fix:
	// WithCertificate or WithKeyPairFiles.
	CauseClientCertRequired
	// CauseClientCertRefused: the server refused this client's
	// certificate (unknown CA, bad, expired, wrong purpose); Alert says
	// which.
	CauseClientCertRefused
	// CausePeerCertMissing (server side): the client sent no certificate
	// and WithClientAuth requires one.
	CausePeerCertMissing
	// CausePeerCertRefused (server side): the client's certificate was not
	// verified or is below the chain policy; Reason says why.
	CausePeerCertRefused

	// CauseServerCertRefused (server side): the client refused this
	// server's certificate (it does not trust its CA, or finds it invalid);
	// Alert says how.
	CauseServerCertRefused

	// CauseTimeout: the handshake did not complete within the handshake
	// timeout (WithHandshakeTimeout, http.Transport.TLSHandshakeTimeout).
	// Err is ErrHandshakeTimeout (from Diagnose, the connection's
	// deadline error).
	CauseTimeout
	// CausePlainHTTP: the peer answered in plain HTTP, not TLS.
	CausePlainHTTP
	// CauseSSL3: the peer speaks only SSL 3.0, which Go cannot speak, not
	// even with package legacy.
	CauseSSL3
	// CauseNotTLS: the peer does not speak TLS (other bytes than a TLS
	// record).
	CauseNotTLS
	// CausePeerClosed: the peer closed or reset the connection during the
	// handshake without saying why.
	CausePeerClosed
	// CauseNoCommonProtocol: no application protocol (ALPN) both sides
	// speak.
	CauseNoCommonProtocol
	// CausePeerCheck: a check given with WithPeerCheck refused the peer.
	CausePeerCheck
	// CauseAlert: the peer refused the handshake with an alert that says
	// no more (Alert gives it), such as a TLS 1.2 handshake_failure that
	// can mean a missing client certificate as well as no common suite
	// when the handshake's course is not known (Diagnose).
	CauseAlert
	// CauseCertificateSource (server side): the WithCertificateSource
	// source returned an error, no certificate, or one the policy refuses
	// (key below the floor, expired, does not parse); the log line names
	// the SNI name the client asked for.
	CauseCertificateSource
	// CauseNewerVersionRequired (client side): the server refused every
	// protocol version offered, and this client's MaxVersion (set by the
	// caller on the config) is below TLS 1.3: the server most likely
	// requires TLS 1.3. Fix: raise or remove MaxVersion.
	CauseNewerVersionRequired

	numCauses // keep last
)

var causeNames = [...]string{
	CauseUnknown:              "unknown",
	CauseSelfSigned:           "self-signed certificate",
	CauseIncompleteChain:      "incomplete chain (issuer missing)",
	CauseUntrustedRoot:        "untrusted root",
	CauseHostname:             "host name mismatch",
	CauseExpired:              "certificate expired",
	CauseNotYetValid:          "certificate not yet valid",
	CausePolicy:               "below the chain policy",
	CauseCANotAuthorized:      "CA not authorized for this name",
	CauseUsage:                "certificate purpose (EKU) unsuitable",
	CauseBadCertificate:       "bad certificate",
	CauseOldVersion:           "peer speaks only older versions",
	CauseNoCommonSuite:        "no common cipher suite",
	CauseLegacyOutOfScope:     "legacy scope does not cover peer",
	CauseClientCertRequired:   "client certificate required",
	CauseClientCertRefused:    "client certificate refused",
	CausePeerCertMissing:      "peer's client certificate missing",
	CausePeerCertRefused:      "peer's client certificate refused",
	CauseServerCertRefused:    "server certificate refused by peer",
	CauseTimeout:              "handshake timed out",
	CausePlainHTTP:            "peer speaks plain HTTP",
	CauseSSL3:                 "peer speaks only SSL 3.0",
	CauseNotTLS:               "peer does not speak TLS",
	CausePeerClosed:           "peer closed the connection",
	CauseNoCommonProtocol:     "no common application protocol",
	CausePeerCheck:            "peer check refused",
	CauseAlert:                "peer sent an alert",
	CauseCertificateSource:    "certificate source failed",
	CauseNewerVersionRequired: "peer requires a newer version",
}

// String returns a short lower-case name of the cause, such as
// "self-signed certificate".
func (c Cause) String() string {
	if c >= 0 && c < numCauses {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", int(c))
}

// ErrHandshakeTimeout is the Err of a HandshakeError with CauseTimeout.
// errors.Is(err, os.ErrDeadlineExceeded) holds for it, and its Timeout
// method reports true; errors.Is(err, context.DeadlineExceeded) does not
// hold, so that a handshake timeout is not taken for the caller's own
// context expiring.
var ErrHandshakeTimeout error = handshakeTimeoutError{}

type handshakeTimeoutError struct{}

func (handshakeTimeoutError) Error() string   { return "TLS handshake timed out" }
func (handshakeTimeoutError) Timeout() bool   { return true }
func (handshakeTimeoutError) Temporary() bool { return true }
func (handshakeTimeoutError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded
}

// HandshakeError is a failed handshake: its class (Cause), which side
// refused, and a plain-language reason that says what to do (only for a
// peer that speaks old protocol versions or suites does it name package
// legacy). It wraps the error of crypto/tls, so errors.As still finds
// *tls.CertificateVerificationError, x509.UnknownAuthorityError,
// x509.HostnameError, x509.CertificateInvalidError, tls.RecordHeaderError,
// *PolicyError and, for an alert the peer sent, tls.AlertError.
//
// Clients from NewClient return it (inside *url.Error), also when a TLS
// 1.3 server refuses the client certificate after the client's side of the
// handshake is done; listeners from Listen and NewListener log it;
// Diagnose makes one from the error of a handshake made with a config of
// ClientConfig or ServerConfig, or by a transport from NewTransport (on
// which net/http makes the handshakes).
//
// Text that came from the peer or its certificate (names, subjects) is
// quoted and escaped in Reason and Error, never copied raw.
type HandshakeError struct {
	// Side is the side that refused: "client" (this program, dialling),
	// "server" (the peer we dialled), or, on a server, "client" for the
	// remote client and "server" for this program.
	Side string
	// Host is the server name (client side) or the remote address
	// (server side).
	Host string
	// Cause is the class of the failure.
	Cause Cause
	// Certificate is the certificate the failure is about, when there is
	// one: the self-signed or expired certificate, the last certificate
	// before a missing issuer, the CA that may not issue for the name.
	// It came from the peer: quote its fields when printing them.
	Certificate *x509.Certificate
	// Reason explains the failure and what to do about it, for people.
	Reason string
	// Err is the error from crypto/tls; for CauseTimeout it is
	// ErrHandshakeTimeout (from Diagnose: the deadline error of the
	// connection).
	Err error

	alert    tls.AlertError
	hasAlert bool
}

// Error returns "tlsdefault: handshake with HOST failed: REASON: ERR" (without
// "with HOST" when Host is empty), with control characters of the peer's
// text escaped and ERR cut after 1 KiB.
func (e *HandshakeError) Error() string {
	var b strings.Builder
	b.WriteString("tlsdefault: handshake")
	if e.Host != "" {
		b.WriteString(" with ")
		b.WriteString(safetext.Escape(e.Host, safetext.MaxLen))
	}
	b.WriteString(" failed")
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(safetext.Escape(e.Err.Error(), 1024))
	}
	return b.String()
}

// Unwrap returns the crypto/tls error and, when the peer sent an alert,
// the alert as a tls.AlertError.
func (e *HandshakeError) Unwrap() []error {
	if e.hasAlert {
		return []error{e.Err, e.alert}
	}
	return []error{e.Err}
}

// Alert returns the TLS alert the peer sent, if any.
func (e *HandshakeError) Alert() (tls.AlertError, bool) { return e.alert, e.hasAlert }

// Timeout reports whether the handshake timed out (CauseTimeout), as
// net.Error's Timeout does; url.Error.Timeout uses it.
func (e *HandshakeError) Timeout() bool { return e.Cause == CauseTimeout }

// PolicyRule is the rule of the chain policy a certificate breaks.
type PolicyRule int

const (
	// RuleRSAKeySize: an RSA key under 2048 bits.
	RuleRSAKeySize PolicyRule = iota + 1
	// RuleECKeySize: an EC key under 256 bits.
	RuleECKeySize
	// RuleSHA1Signature: a certificate other than the trust anchor signed
	// with SHA-1.
	RuleSHA1Signature
	// RuleKeyType: a public key of a type the policy does not accept.
	RuleKeyType
)

// String returns a short name of the rule.
func (r PolicyRule) String() string {
	switch r {
	case RuleRSAKeySize:
		return "RSA key size"
	case RuleECKeySize:
		return "EC key size"
	case RuleSHA1Signature:
		return "SHA-1 signature"
	case RuleKeyType:
		return "key type"
	}
	return fmt.Sprintf("PolicyRule(%d)", int(r))
}

// PolicyError reports a certificate that the chain policy refuses: an RSA
// key under 2048 bits, an EC key under 256 bits, or a SHA-1 signature
// (OpenSSL's security level 2, which Python uses). For a verified chain it
// arrives wrapped in a *tls.CertificateVerificationError; a SHA-1 signature
// that crypto/x509 itself refused to check (so that no chain verified) is
// reported with Index -1 when the position is not known.
type PolicyError struct {
	// Peer is "server" or "client": whose chain it is.
	Peer string
	// Index is the position in the chain: 0 is the leaf.
	Index int
	// Cert is the refused certificate.
	Cert *x509.Certificate
	// Rule is the rule it breaks.
	Rule PolicyRule
	// Reason says what is wrong with it, in plain words.
	Reason string
}

func (e *PolicyError) Error() string {
	role := "leaf"
	switch {
	case e.Index > 0:
		role = fmt.Sprintf("chain certificate %d", e.Index)
	case e.Index < 0:
		role = "chain certificate"
	}
	subject := ""
	if e.Cert != nil {
		subject = " " + safetext.Quote(e.Cert.Subject.String())
	}
	return fmt.Sprintf("tlsdefault: %s's %s%s refused: %s", e.Peer, role, subject, e.Reason)
}

// PeerCheckError is a peer refused by a check given to WithPeerCheck: on a
// client, the server; on a server (in the listener's log), the client. It
// wraps the check's error, which errors.Is and errors.As reach; a
// *HandshakeError with CausePeerCheck wraps it in turn.
type PeerCheckError = internal.PeerCheckError

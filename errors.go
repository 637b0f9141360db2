package tlsdefault

import "github.com/tlsdefault/tlsdefault/internal"

// HandshakeError is a failed handshake with a plain-language reason: which
// side refused what, and what to do about it (for a peer that speaks only
// old protocol versions or suites, it names package legacy). It wraps the
// error of crypto/tls, so errors.As still finds
// *tls.CertificateVerificationError, x509.UnknownAuthorityError,
// x509.HostnameError, x509.CertificateInvalidError, tls.RecordHeaderError,
// *PolicyError and, for an alert the peer sent, tls.AlertError.
//
// Clients from NewTransport and NewClient return it (inside *url.Error);
// listeners from Listen and NewListener log it.
type HandshakeError = internal.HandshakeError

// PolicyError reports a certificate in a verified chain that the chain
// policy refuses: an RSA key under 2048 bits, an EC key under 256 bits, or
// a SHA-1 signature (OpenSSL's security level 2, which Python uses). It
// names the certificate and the reason, and arrives wrapped in a
// *tls.CertificateVerificationError.
type PolicyError = internal.PolicyError

// PeerCheckError is a peer refused by a check given to WithPeerCheck: on a
// client, the server; on a server (in the listener's log), the client. It
// wraps the check's error, which errors.Is and errors.As reach.
type PeerCheckError = internal.PeerCheckError

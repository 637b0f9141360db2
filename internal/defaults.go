package internal

import (
	"crypto/tls"
	"time"
)

// The defaults of tlsdefault are collected in this file, each with its
// reason, so that they can be reviewed in one place. Both the root package
// and package legacy read them from here.

// MinVersion is the floor of both sides: TLS 1.2. TLS 1.0 and 1.1 lack AEAD
// suites and modern signature negotiation (RFC 8996 deprecates them); they
// are reachable only through package legacy.
const MinVersion = tls.VersionTLS12

// MaxVersion is left at zero so that crypto/tls offers its newest version
// (TLS 1.3) first: TLS 1.3 is preferred whenever both sides speak it.
const MaxVersion = 0

// CipherSuites are the TLS 1.2 suites offered and accepted: ECDHE key
// exchange (forward secrecy) with an AEAD cipher (AES-GCM or
// ChaCha20-Poly1305) only. No CBC (padding-oracle attacks such as Lucky13),
// no RSA key exchange (no forward secrecy, ROBOT), no 3DES (SWEET32), no RC4.
// They are set explicitly so that neither a Go release nor a GODEBUG setting
// can widen them. TLS 1.3 suites are all AEAD and are not configurable in
// crypto/tls.
func CipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// IsDefaultSuite reports whether id is one of CipherSuites or a TLS 1.3 suite.
func IsDefaultSuite(id uint16) bool {
	switch id {
	case tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256:
		return true
	}
	for _, s := range CipherSuites() {
		if s == id {
			return true
		}
	}
	return false
}

// Key exchange groups are left to crypto/tls (CurvePreferences nil): Go
// offers the hybrid post-quantum X25519MLKEM768 first, then X25519 and the
// NIST curves, and improves this list from release to release. GODEBUG
// tlsmlkem=0 would remove the hybrids and CurvePreferences cannot add them
// back, so the constructors refuse it without legacy.Allow (godebug.go).

// MinRSABits is the smallest RSA key accepted in a peer's chain (and in our
// own certificate): 2048 bits, as OpenSSL's security level 2, which Python's
// default context uses (112-bit security). Go itself accepts 1024-bit keys.
const MinRSABits = 2048

// MinECBits is the smallest elliptic-curve key accepted: 256 bits (P-256).
// OpenSSL's level 2 would still take P-224; no public CA issues it and Go's
// TLS stack cannot use it for signatures, so the floor is the smallest curve
// actually deployed.
const MinECBits = 256

// SHA-1 signatures are refused anywhere in a verified chain except on the
// self-signed trust anchor itself (whose signature is never checked): SHA-1
// collisions are practical (SHAttered, 2017) and security level 2 forbids
// them.

// HandshakeTimeout is how long a server connection may take to complete
// its handshake before it is closed, so that silent peers cannot hold
// resources. http.Server has no such default.
const HandshakeTimeout = 10 * time.Second

// ReloadInterval is how often, at most, the files given to WithKeyPairFiles
// are checked for changes (one stat of each per interval).
const ReloadInterval = time.Second

// HTTP/2 health checks on client connections: a PING is sent when nothing
// was received for SendPingTimeout, and the connection is closed when the
// PING is not answered within PingTimeout, so that a dead connection is
// noticed instead of hanging requests.
const (
	SendPingTimeout = 30 * time.Second
	PingTimeout     = 15 * time.Second
)

// NextProtos is the ALPN list of a server: HTTP/2 first, then HTTP/1.1, as
// http.Server.ServeTLS would set it (http.Serve on a listener does not).
func NextProtos() []string { return []string{"h2", "http/1.1"} }

// IsLegacy reports whether a connection used a version or suite outside the
// defaults, which only package legacy allows.
func IsLegacy(cs tls.ConnectionState) bool {
	return cs.Version < tls.VersionTLS12 || !IsDefaultSuite(cs.CipherSuite)
}

// The http.Server of tlsdefault.NewServer and tlsdefault.Serve. http.Server
// has no timeouts by default: a client that opens a connection and sends
// nothing, or a header a byte a minute (slowloris), holds a goroutine, a
// file descriptor and a WithMaxConns slot for ever.

// ReadHeaderTimeout bounds the time from the end of the handshake (or of
// the previous request) until a request's headers have arrived: 10
// seconds, as long as a handshake may take. A real client sends its request
// at once; a silent peer is closed after this. (For HTTP/2, crypto/tls's
// peer must send the connection preface within 10 seconds as well; the
// HTTP/2 server enforces that itself.)
const ReadHeaderTimeout = 10 * time.Second

// IdleTimeout closes a keep-alive connection (HTTP/1.1 or HTTP/2) with no
// request in flight after 2 minutes: long enough for a browser or a
// connection pool to reuse it (Go's client keeps idle connections 90
// seconds), short enough that idle peers do not pile up.
const IdleTimeout = 2 * time.Minute

// MaxHeaderBytes caps the request line and headers at 64 KiB instead of
// http.Server's 1 MiB: large cookies and bearer tokens fit (nginx takes
// 4 x 8 KiB, Apache 8 KiB a line), while a peer cannot make each
// connection buffer a megabyte.
const MaxHeaderBytes = 64 << 10

// ReadTimeout and WriteTimeout of http.Server are left at zero on purpose:
// they bound the whole request body and the whole response, which would cut
// off large uploads, downloads and streams (server-sent events, gRPC).
// Handlers that need a bound use http.TimeoutHandler or
// http.ResponseController.

// ShutdownTimeout is how long tlsdefault.Serve waits, once its context is
// done, for requests in flight to finish before it closes the remaining
// connections.
const ShutdownTimeout = 30 * time.Second

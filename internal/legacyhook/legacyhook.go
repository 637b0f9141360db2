// Package legacyhook is the seam between package tlsdefault and package
// legacy: the one interface through which legacy mode plugs into the
// settings of a client or server. The root package never imports package
// legacy; it holds a [Hook] (internal.Settings.Legacy, set only by
// legacy.Allow) and calls its methods at the few places where legacy mode
// matters. What legacy mode does (the versions and suites, the scope, the
// key size floor, the reports) is decided behind the interface, in package
// legacy, and nowhere else.
//
// This package imports only crypto/tls, so that every package of the module
// may use it.
package legacyhook

import "crypto/tls"

// MinRSABitsFloor is the lowest value Hook.MinRSABits returns for any host:
// 1024 bits, OpenSSL's security level 1. A check that cannot tell which
// host it judges (VerifyPeerCertificate sees no server name) applies it.
const MinRSABitsFloor = 1024

// Hook is legacy mode as the root package sees it. Package legacy holds the
// only implementation. The methods are safe for concurrent use.
//
// A hook changes a config field by field, and only a field that still holds
// the value the library set there (the defaults): a user's change to a
// returned config (a raised MinVersion, a shorter CipherSuites list) is
// never undone. Without a scope, legacy mode covers every peer and the
// config is widened at construction ([Hook.Widen]). With a scope, no config
// that code outside the library can reach is ever widened, since
// crypto/tls has no client callback but VerifyConnection that sees the
// version negotiated, and one assignment replaces it: the library widens
// only its own clone made for one connection ([Hook.ClientConfigFor], in
// NewClient's dialler) or one handshake ([Hook.ServerConfigFor], in
// GetConfigForClient), for a peer in scope. ClientConfig and NewTransport,
// which return a config for any host, refuse a scope (see [Hook.Scoped]).
type Hook interface {
	// Widen lowers a config a constructor has just built (client or
	// server) to what legacy mode allows, when legacy mode covers every
	// peer. A scoped config is left strict.
	Widen(cfg *tls.Config)

	// ClientConfigFor adjusts cfg, the library's own clone of a client
	// config made for one connection, for a connection to host (the
	// server name to be verified): with a scope, for a host in scope, the
	// fields that still hold the defaults are widened. Without a scope cfg
	// was widened by Widen and is left as it is, as it is for a host out
	// of scope.
	ClientConfigFor(cfg *tls.Config, host string)

	// ServerConfigFor adjusts cfg, the caller's own clone of a server
	// config made for one handshake, for the client that sent hello: in
	// scope, the fields that still hold the defaults are widened, "h2" is
	// left out of NextProtos for a client that cannot reach a connection
	// HTTP/2 accepts, and cfg.VerifyConnection is wrapped so that an
	// accepted legacy handshake is reported with the SNI name and the
	// remote address.
	ServerConfigFor(cfg *tls.Config, hello *tls.ClientHelloInfo)

	// Covers reports whether legacy mode covers the peer named host: the
	// server name dialled (client side) or the SNI name received (server
	// side).
	Covers(host string) bool

	// Scoped reports whether legacy mode is limited to some hosts
	// (legacy.ForHosts); without a scope it covers every peer.
	Scoped() bool

	// MinRSABits is the smallest RSA key the chain policy accepts from the
	// peer named host (as for Covers); never less than MinRSABitsFloor.
	MinRSABits(host string) int

	// Observe reports a handshake that used a version or suite only legacy
	// mode allows and that the verifier accepted. side is "client" (this
	// program dialled) or "server" (it accepted); remote is the peer's
	// address, or "" when unknown.
	Observe(side, host, remote string, cs tls.ConnectionState)
}

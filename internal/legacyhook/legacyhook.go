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
// the value the library set there (the defaults, or the widened values): a
// user's change to a returned config (a raised MinVersion, a shorter
// CipherSuites list) is never undone. Widening happens at construction
// ([Hook.Widen]), and per handshake only for a scoped server
// ([Hook.ServerConfigFor]), whose returned config holds the defaults.
type Hook interface {
	// Widen lowers a config the constructor has just built for side
	// ("client" or "server") to what legacy mode allows. A client config
	// is always widened (through an HTTP proxy net/http handshakes with it
	// as it is; ClientConfigFor narrows it for a direct connection to a
	// host out of scope). A server config is widened only when legacy mode
	// covers every peer; a scoped one stays strict, so that a user's own
	// GetConfigForClient fails closed, and ServerConfigFor widens it per
	// handshake.
	Widen(cfg *tls.Config, side string)

	// ClientConfigFor adjusts cfg, the caller's own clone of a client
	// config, for a connection to host (the server name to be verified):
	// for a host out of scope, the fields that still hold the widened
	// values go back to the defaults, so that the host is offered only
	// those. A host in scope keeps the config as it is.
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

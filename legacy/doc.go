// Package legacy is the one way to take a client or server of package
// tlsdefault below its defaults, to talk to a peer that speaks only old
// protocol versions or cipher suites.
//
// It is the counterpart of clearing OP_NO_SSLv3 on a Python SSLContext, done
// better than a global flag: it must be named in the code, it can be limited
// to the old peers by name, and every handshake that uses it is reported, so
// that it can be removed once the old peer is gone. Package tlsdefault does
// not import this package and has no option of its own that goes below TLS
// 1.2 or the AEAD suites; a grep for "legacy.Allow" finds every place that
// does.
//
//	client, err := tlsdefault.NewClient(
//		legacy.Allow(legacy.ForHosts("printer.example.net")),
//	)
//
// # What is enabled
//
// [Allow] sets, explicitly in the tls.Config:
//
//   - TLS 1.0 and TLS 1.1 as well as TLS 1.2 and 1.3 (MinVersion
//     tls.VersionTLS10). TLS 1.3 is still preferred and TLS 1.3's downgrade
//     protection still works: a modern peer is not pushed down.
//   - After the default suites, the TLS 1.0-1.2 suites of Mozilla's "old"
//     profile that Go implements: ECDHE with AES-CBC and HMAC-SHA1 or
//     HMAC-SHA256; RSA key exchange with AES-GCM, AES-CBC-SHA and
//     AES-CBC-SHA256; and 3DES-EDE-CBC-SHA with ECDHE or RSA key exchange.
//     crypto/tls picks among them in its own order of preference (AEAD and
//     ECDHE first, CBC-SHA256 and 3DES last), whatever the order of the
//     list.
//
// It does not enable RC4 (forbidden by RFC 7465; Go still implements it,
// and this package will not ask for it), NULL, export or anonymous suites,
// or TLS compression (Go has none). Certificate verification and host name
// checking stay on, with the chain policy of the defaults (EC keys of at
// least 256 bits, no SHA-1 signatures) but one change: a peer in scope may
// present RSA keys of 1024 bits or more ([MinRSABits]; OpenSSL's security
// level 1, what Python's "@SECLEVEL=1" allows), since old appliances often
// have one. Every other peer of the same client or server keeps the floor of
// 2048 bits. Old protocol, not no security: see "What Go cannot do" below.
//
// # Go releases and GODEBUG
//
// Since Go 1.22 and 1.23, crypto/tls leaves TLS 1.0 and 1.1 (server side),
// RSA key exchange and 3DES out of its defaults, behind the GODEBUG settings
// tls10server=1, tlsrsakex=1 and tls3des=1. Those settings change only the
// defaults used when tls.Config.MinVersion or CipherSuites is zero. Allow
// sets both explicitly, so with Go 1.26 everything listed above works on
// both sides without any GODEBUG setting, and those settings (nor a later
// change of Go's defaults) do not change what a config without Allow
// accepts.
//
// One setting is different: tlssha1=1. Since Go 1.25 crypto/tls neither
// offers nor accepts the rsa_pkcs1_sha1 and ecdsa_sha1 signature schemes in
// TLS 1.2 unless GODEBUG=tlssha1=1, and a Go server then also refuses a TLS
// 1.2 client that sends no signature_algorithms extension ("tls: missing
// signature_algorithms from TLS 1.2 peer"). tls.Config has no field for
// this: the setting is process-wide and makes every TLS 1.2 connection of
// the program, with any peer, accept SHA-1 handshake signatures, whatever
// the config says. So a library must not set it, Allow does not, and
// package tlsdefault refuses it where it would weaken a config without
// Allow: while the process runs with tlssha1=1 (from the GODEBUG
// environment variable, or from the binary's default GODEBUG: a
// "godebug tlssha1=1" line in the main module's go.mod or a
// "//go:debug tlssha1=1" directive in the main package; the last setting
// wins, and the environment over the default, as for the Go runtime),
// every constructor of package tlsdefault without Allow returns an error
// that names the setting. With Allow(ForHosts(...)) the constructor
// (NewClient, ServerConfig, Listen, NewListener) builds and warns once (see [WarnTo] and [Quiet]) that the setting reaches every
// host, not only those in scope. With Allow and no scope every peer is in
// legacy mode anyway. The setting is read when the constructor runs.
//
// GODEBUG=tlsmlkem=0 is treated the same way: it removes the hybrid
// post-quantum key exchange (X25519MLKEM768) from every TLS connection of
// the process, and CurvePreferences cannot bring it back, so every
// constructor without Allow refuses to build while it is set, and
// Allow(ForHosts(...)) warns that it reaches every host. (A peer or
// middlebox that breaks on the larger key share is the usual reason for
// it.) GODEBUG=tlssecpmlkem=0 keeps X25519MLKEM768 and is accepted.
//
// A program that must talk TLS 1.2 to a peer that signs only with SHA-1
// therefore sets tlssha1=1 itself and builds every TLS client and server
// with Allow; better, it keeps that code in a process of its own, so that
// its other connections are not weakened. TLS 1.0 and 1.1 handshakes are
// not affected: their signatures are MD5+SHA-1 (RSA) or SHA-1 (ECDSA) by
// definition, and Go still makes and checks them.
//
// # What Go cannot do
//
// SSL 3.0: crypto/tls removed it in Go 1.14, after POODLE. Nothing in Go can
// speak it, with or without this package. A client of package tlsdefault
// that reaches an SSL 3.0-only server fails with an error that says so. The
// way out is a TLS-terminating proxy next to the old peer (for example
// stunnel, or nginx or HAProxy built with an OpenSSL that still has SSL 3.0),
// speaking SSL 3.0 to it over a trusted network and TLS 1.2 or 1.3 to the Go
// program; or replacing the peer.
//
// Also out of reach: finite-field Diffie-Hellman (DHE) suites, which Go never
// implemented (an old peer that has DHE usually also has RSA key exchange,
// which Allow enables); the SHA-384 CBC suites; certificate chains signed
// with SHA-1 (crypto/x509 refuses to verify them since Go 1.18, and the
// GODEBUG that brought them back was removed in Go 1.24); and RSA keys under
// 1024 bits (refused by crypto/rsa unless GODEBUG=rsa1024min=0, and by the
// chain policy of tlsdefault whatever GODEBUG says).
//
// # What it re-opens
//
// Each thing Allow enables is off by default for a reason. With an old peer
// the connection is exposed to:
//
//   - CBC padding oracles (POODLE-class attacks against TLS CBC
//     implementations, and Lucky13 timing attacks): CBC suites are
//     MAC-then-encrypt. Go's CBC-SHA1 code is written to be constant time;
//     Go's CBC-SHA256 suites have no Lucky13 countermeasures, which is why Go
//     prefers every other suite to them. The peer's implementation may be
//     worse than Go's.
//   - BEAST: TLS 1.0 CBC uses the last ciphertext block of the previous
//     record as the IV, so an attacker who can choose part of the plaintext
//     (script in a browser, or a request an attacker can shape) can recover
//     secrets such as cookies. TLS 1.1 fixed this; Go does not split records
//     to mitigate it in TLS 1.0.
//   - SWEET32: 3DES has 64-bit blocks; after some tens of gigabytes on one
//     connection, birthday collisions leak plaintext. Keep connections that
//     negotiate 3DES short.
//   - ROBOT and other Bleichenbacher-style oracles: RSA key exchange has no
//     forward secrecy (whoever gets the server's key later decrypts every
//     recorded session), and a server whose RSA decryption leaks padding
//     errors lets an attacker decrypt sessions or sign with its key. Go's
//     server side is not known to be vulnerable; old peers often are.
//   - TLS 1.0 and 1.1 as such (RFC 8996 deprecates them): MD5 and SHA-1 in
//     the handshake signatures and PRF, no AEAD suites.
//
// # Mapping to Mozilla's "old" profile
//
// Mozilla's server-side TLS guidelines define three profiles: "modern" (TLS
// 1.3 only), "intermediate" (TLS 1.2 and 1.3, ECDHE with AEAD suites, which
// is roughly what tlsdefault does by default) and "old", for clients as old
// as Internet Explorer 8 on Windows XP, Java 6 and OpenSSL 0.9.8: TLS 1.0 to
// 1.3 and, after the intermediate suites, CBC suites with SHA-1 and SHA-256,
// RSA key exchange and, last, DES-CBC3-SHA. Allow without scope is that
// profile minus what Go does not implement (the DHE suites and the SHA-384
// CBC suites); the server's own certificate still follows tlsdefault's
// floor (RSA 2048 or ECDSA P-256), as "old" also asks.
//
// # Scope
//
// Without a scope, Allow applies to every peer of the client or server the
// option is given to. Prefer [ForHosts], which names the old peers (exactly,
// or by a "*.example.com" pattern); every other host through the same
// http.Client, or every other SNI name on the same listener, keeps the
// defaults:
//
//	// One client for everything: only the old billing box gets TLS 1.0.
//	client, err := tlsdefault.NewClient(
//		legacy.Allow(legacy.ForHosts("billing.internal.example")),
//	)
//
// On a client, a scope needs NewClient. crypto/tls cannot tell hosts apart
// before the handshake, and the only client callback that sees the version
// negotiated is VerifyConnection, which one assignment replaces; so no
// config that code outside the library can reach is widened for a scope.
// NewClient's TLSClientConfig holds the defaults, and its dialler widens
// its own clone of it, made for one connection, for a host in scope (the
// URL's host, or TLSClientConfig.ServerName when set; an IP address too):
// a host out of scope is offered only the defaults, whatever is assigned
// to TLSClientConfig. ClientConfig and NewTransport, whose config serves
// any host, return an error when given a scope ("tlsdefault: ClientConfig:
// legacy.ForHosts needs a client that widens per connection, ..."); for a
// config used only for the old host, give them Allow without ForHosts.
//
// Through a proxy, net/http makes the TLS handshake with TLSClientConfig
// itself, not with the dialler, so a host in scope cannot be offered the
// old versions there: NewClient's transport refuses a request to a host in
// scope through a proxy, before any handshake and whatever versions the
// host speaks, with an error that says so and what to do
// (OnProxyConnectResponse; through a SOCKS5 proxy, or with that hook
// replaced, the strict config fails closed on an old host). Hosts out of
// scope go through the proxy with the defaults. To reach an old host
// through a proxy, use a client of its own, built with Allow without
// ForHosts and used only for that host; or exempt the host from the proxy
// (NO_PROXY).
//
// On a server the scope is matched against the SNI name the client sends,
// per handshake (GetConfigForClient); clients that send none, or a name
// that is not a valid host name, are out of scope. A listener that must
// serve SNI-less old clients needs Allow without ForHosts, ideally on its
// own port.
//
// Without a scope, the config a constructor returns is widened once, when
// it is built. With one, the config stays at the defaults and the library
// widens its own per-connection (client) or per-handshake (server) clone,
// for a peer in scope, in the fields that still hold the defaults. A change
// made to a returned config afterwards, such as a raised MinVersion or a
// shorter CipherSuites list, is never undone, on either side; with a
// scope, setting MinVersion to TLS 1.2, which is the default, does not
// stop the widening for a peer in scope (raise it to TLS 1.3, or take the
// peer out of ForHosts).
//
// A config widened without a scope still verifies the chain with
// VerifyPeerCertificate if its VerifyConnection is replaced, and accepts
// RSA keys of 1024 bits or more (never less) from every host, as Allow
// without a scope does anyway.
//
// # Observation
//
// Every handshake that actually negotiated TLS 1.0 or 1.1, or a suite
// outside the defaults, is reported; handshakes that did not (a modern peer
// through a client with Allow) are not:
//
//   - once per peer, a warning on standard error ("tlsdefault: warning:
//     legacy client handshake with old.example: TLS 1.0, ..."); [WarnTo]
//     sends it elsewhere and [Quiet] turns it off. A name that is not made
//     of the characters of host names (it may come from the peer, as the
//     SNI name does) is quoted with Go escapes, and one Allow names at most
//     256 peers: after that, one line says so and the rest are counted only;
//   - every time, to the callbacks given with [OnHandshake];
//   - every time, to the [Counter] given with [Observe], which keeps a total,
//     the latest [Event], and a count per peer (for the [MaxPeers] peers
//     seen most recently).
//
// When the counter stays at zero for long enough, the old peer is gone and
// Allow can be deleted.
//
// # Errors
//
// Option errors (a bad name given to ForHosts, a nil callback, Allow given
// twice to one constructor) are returned by the tlsdefault constructor the
// option is passed to, and start with "legacy: ". Handshake errors are those
// of tlsdefault: a *tlsdefault.HandshakeError whose message says which side
// refused what.
package legacy

// Package tlsdefault gives Go programs what Python's
// ssl.create_default_context gives Python ones: one call that returns an
// HTTPS client or a TLS server with the safe settings already chosen, a
// trust store built from a CA file, a CA directory and CA data, and the
// weaker, older protocols only behind a separate, explicit gate (package
// [github.com/tlsdefault/tlsdefault/legacy]).
//
//	client, err := tlsdefault.NewClient()                  // instead of http.DefaultClient
//	ln, err := tlsdefault.Listen("tcp", ":8443",
//		tlsdefault.WithKeyPairFiles("cert.pem", "key.pem")) // then http.Serve(ln, handler)
//
// Every constructor returns new values and changes nothing global:
// http.DefaultTransport, http.DefaultClient and the fallback roots of
// crypto/x509 are never touched. The returned values are safe for concurrent
// use, as the types of net/http and crypto/tls are.
//
// # Defaults
//
// Both sides:
//   - TLS 1.2 is the floor and TLS 1.3 is preferred. [WithMinVersion] can
//     raise the floor to TLS 1.3; nothing in this package can lower it.
//   - TLS 1.2 uses only ECDHE key exchange with AES-GCM or
//     ChaCha20-Poly1305, set explicitly so that neither the Go release nor
//     GODEBUG can widen it. Key exchange groups are Go's (hybrid
//     X25519MLKEM768 first).
//   - The peer's verified chain must use RSA keys of at least 2048 bits or
//     EC keys of at least 256 bits and carry no SHA-1 signature (OpenSSL's
//     security level 2, as Python uses it; Go itself accepts RSA-1024;
//     a peer in the scope of legacy.Allow may use RSA-1024). A
//     refusal is a [*PolicyError] that names the certificate and the reason.
//   - SSLKEYLOGFILE is honoured as Python and curl do, with a one-line
//     warning on standard error; a symbolic link, a file that is not a
//     regular file, or (on Unix) a file another user owns or that group or
//     others may read is refused with a warning, and new files get mode
//     0600.
//   - GODEBUG=tlssha1=1, which makes crypto/tls accept SHA-1 handshake
//     signatures in TLS 1.2 from every peer whatever the config says, is
//     refused: while the process runs with it (from the environment or the
//     binary's default GODEBUG), every constructor without
//     [github.com/tlsdefault/tlsdefault/legacy.Allow] returns an error that
//     names the setting. No other GODEBUG setting changes a config.
//
// Client side ([ClientConfig], [NewTransport], [NewClient]; Python's
// Purpose.SERVER_AUTH): the certificate is always verified and the host
// name always checked; no option turns either off. Each config has a
// session cache, so a second connection to a host resumes the session. The
// transport speaks HTTP/1.1 and HTTP/2, with health-checking pings on idle
// HTTP/2 connections. Failed handshakes come back as [*HandshakeError],
// whose [Cause] classifies the failure and whose Reason says which side
// refused what and what to do, and which still wraps the errors of
// crypto/tls and crypto/x509 for errors.As; [Diagnose] classifies the error
// of a handshake made with [ClientConfig] and tls.Dial.
//
// Server side ([ServerConfig], [Listen], [NewListener]; Python's
// Purpose.CLIENT_AUTH): ALPN "h2" and "http/1.1"; no client certificates
// unless [WithClientAuth] asks; a missing certificate or a key that does not
// match is an error from the constructor. Listeners complete each handshake
// before Accept returns the connection, close peers that stay silent past
// the handshake timeout (10 s, [WithHandshakeTimeout]) without holding up
// others, and can cap open connections ([WithMaxConns]).
//
// # Trust store
//
// The trust options mirror Python's cafile, capath and cadata:
// [WithCAFile], [WithCAPath], [WithCAData], and [WithPool] for a pool built
// with package [github.com/tlsdefault/tlsdefault/capool]. With none of them a
// client trusts the system store (honouring SSL_CERT_FILE and SSL_CERT_DIR,
// with Mozilla's roots embedded for systems that have none). With any of
// them only those sources are trusted; [WithSystemRoots] adds the system
// store. An empty file name or empty data is an error, never a silent
// fall-back to the system store (Python's cafile="" falls back; this does
// not).
//
// A hashed CA directory (OpenSSL's <hash>.N layout) is read as OpenSSL
// finds CAs in it, by subject hash. [NewClient] reads no CA of it when
// called (only its first names, to tell it from a directory of plain
// files): its dialler verifies each connection by looking up the CAs the
// chain names (a few stat calls, whatever the size of the directory),
// with crypto/tls's checks and errors. [ClientConfig] and [NewTransport]
// read every CA of it into RootCAs when called, for crypto/tls to verify;
// [Listen], [NewListener] and [ServerConfig] have crypto/tls verify client
// certificates against it, read again when it changes (a stat of the
// directory while it is unchanged). A CA added later is trusted at the
// next connection of NewClient and the next handshake of a server; a CA
// deleted from it is refused from the next handshake on, everywhere.
//
// # Client certificates
//
// A server asks for client certificates only with [WithClientAuth]:
// tls.VerifyClientCertIfGiven (Python's CERT_OPTIONAL) or
// tls.RequireAndVerifyClientCert (CERT_REQUIRED). Verifying them needs a
// trust source; the system store is used only when asked for with
// [WithSystemRoots], because it would let any publicly issued certificate
// in. A client presents a certificate given with [WithCertificate] or
// [WithKeyPairFiles] (Python's load_cert_chain); files are read again when
// they change, on both sides.
//
// # Going below the defaults
//
// Some old peers speak only TLS 1.0 or 1.1, or only CBC, RSA key exchange
// or 3DES suites: Python's documentation calls the result a "Protocol or
// cipher suite mismatch" and re-enables SSL 3.0 on the whole context. Here
// the only way down is [github.com/tlsdefault/tlsdefault/legacy.Allow],
// which can be limited to the hosts that need it and reports every handshake
// that used it. Go cannot speak SSL 3.0 at all.
//
// # Python mapping
//
//	create_default_context(Purpose.SERVER_AUTH)  ClientConfig, NewTransport, NewClient
//	create_default_context(Purpose.CLIENT_AUTH)  ServerConfig, Listen, NewListener
//	cafile, capath, cadata                       WithCAFile, WithCAPath, WithCAData
//	load_default_certs()                         no trust option (client), WithSystemRoots
//	load_cert_chain(certfile, keyfile)           WithKeyPairFiles, WithCertificate
//	verify_mode = CERT_OPTIONAL / CERT_REQUIRED  WithClientAuth(tls.VerifyClientCertIfGiven / tls.RequireAndVerifyClientCert)
//	minimum_version = TLSVersion.TLSv1_3         WithMinVersion(tls.VersionTLS13)
//	ctx.options &= ~OP_NO_SSLv3                  legacy.Allow (TLS 1.0 is Go's floor)
package tlsdefault

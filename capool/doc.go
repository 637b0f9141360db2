// Package capool builds the trust store for tlsdefault from the three
// sources Python's ssl.create_default_context takes (cafile, capath and
// cadata) and from the system store, reading each the way OpenSSL does, so
// that files made for Python, curl or nginx work unchanged.
//
// # Sources
//
// [Load] reads the sources named in [Sources] and merges them into one
// [Pool]; a certificate found in several is kept once.
//
//   - cafile: a PEM bundle. Text between blocks is ignored (Debian's bundle
//     has comments). CERTIFICATE, X509 CERTIFICATE and TRUSTED CERTIFICATE
//     blocks (OpenSSL's format with trust settings, which Go's
//     AppendCertsFromPEM drops) are read; CRL and key blocks are skipped. A
//     DER file holding one or more certificates is read too. The trust
//     settings of a TRUSTED CERTIFICATE apply per purpose, as in OpenSSL: a
//     root rejected for serverAuth still anchors client certificates;
//     [Pool.CertPoolFor] and [Pool.Verify] apply them exactly, and a root
//     the settings allow for no TLS purpose is left out and reported.
//   - capath: a directory, not recursed into. OpenSSL's hashed layout
//     (<hash>.<n>, made by `openssl rehash`, c_rehash or [Rehash]) is
//     consulted when a chain is verified, as OpenSSL does; plain .pem, .crt
//     and .cer files (Kubernetes secrets, hand-made folders) are read when
//     the pool is loaded. Names starting with a dot and <hash>.r<n> CRL
//     links are skipped; symbolic links are followed.
//   - cadata: PEM text or DER bytes, one certificate or several.
//
// [System] returns the system store, and the Mozilla roots embedded from
// golang.org/x/crypto/x509roots/fallback/bundle where the system has none.
// [Merge] combines pools, for instance explicit sources with the system
// store.
//
// # Errors and the load report
//
// Explicit sources are strict: a missing path, a cafile that is a directory,
// a capath that is a file, a block that claims to be a certificate but does
// not parse, a source with no certificate, or a source over 64 MiB is an
// error. Errors are a *[SourceError] naming the source, the path and the
// 1-based PEM block:
//
//	capool: cafile /etc/ca.pem: block 2: x509: malformed certificate
//
// Problems that do not stop the load (an unreadable or empty file in a
// capath directory, a duplicate, a root of the system store that does not
// parse) are listed by [Pool.Problems]. The system store is lenient: one odd
// root does not empty it.
//
// # Hashed capath directories
//
// Opening a hashed directory costs one directory listing, whatever its
// size: no certificate is read. [Pool.Verify] looks the issuers of a chain
// up by [SubjectHash] in <hash>.0, <hash>.1, ... and caches what it reads by
// path, size and modification time, so a CA added to the directory later is
// trusted on the next verification without reloading. Since an
// *x509.CertPool cannot hold such CAs, [Pool.Lazy] tells callers to verify
// with [Pool.Verify] rather than with [Pool.CertPool] alone.
//
// As with any *x509.CertPool in Go, every certificate in the pool is a
// trust anchor, intermediates included (OpenSSL calls this a partial
// chain, which Python 3.13 allows by default).
//
// # Inspecting a pool
//
// [Pool.Describe] names the sources in plain words for error messages,
// [Pool.Entries] lists each certificate with its source, file and block, and
// [Pool.Certificates] the certificates alone. Certificates of hashed
// directories are not listed, nor are the system roots on macOS and
// Windows, where the platform verifier holds them.
//
// # Concurrency
//
// A Pool does not change once built; all its methods are safe for
// concurrent use. A zero Pool is empty and usable, and a nil *Pool behaves
// as an empty one.
package capool

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
//   - capath: a directory, not recursed into, read by OpenSSL's rule (see
//     below): a directory with hashed names (<hash>.<n>, made by `openssl
//     rehash`, c_rehash or [Rehash]) is consulted by hash when a chain is
//     verified, as OpenSSL does; a directory without any (Kubernetes
//     secrets, hand-made folders) has its plain .pem, .crt and .cer files
//     read when the pool is loaded. Names starting with a dot and
//     <hash>.r<n> CRL links are skipped; symbolic links are followed.
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
// error; reading stops at the first bad block. Errors are a *[SourceError] naming the source, the path and the
// 1-based PEM block:
//
//	capool: cafile /etc/ca.pem: block 2: x509: malformed certificate
//
// Problems that do not stop the load (an unreadable or empty file in a
// capath directory, a duplicate, a root of the system store that does not
// parse) are listed by [Pool.Problems], the first 16 bad blocks of a file
// one by one and the rest counted. The system store is lenient: one odd
// root does not empty it; but SSL_CERT_FILE or SSL_CERT_DIR set to
// something that yields no certificate is an error of [System]. With
// GODEBUG x509usefallbackroots=1 (which makes crypto/x509 answer with the
// fallback roots a program registered, whatever the system holds),
// [System] is the embedded Mozilla roots, described as such, and an error
// if SSL_CERT_FILE or SSL_CERT_DIR is set too (the two contradict).
//
// # Hashed capath directories
//
// OpenSSL's rule for a capath is that only hashed names are looked at: in
// a directory that has them, the plain files are what the links point at,
// not sources of their own. Debian's /etc/ssl/certs, for instance, holds a
// hashed link and a .pem link per CA and the bundle ca-certificates.crt of
// all of them; as a capath it trusts what the hashed names hold, and the
// bundle is not read a second time. A plain file with no hashed name
// leading to it is not trusted there, by OpenSSL or by capool (run
// `openssl rehash` or [Rehash] after adding one).
//
// Whether a directory has hashed names is decided when it is loaded,
// without listing it: [Load] reads its names only until it meets one
// (<hash>.<n>, eight lower-case hex digits, a dot and a number), which
// in any hashed layout is within the first read of the directory (one
// small getdents on Linux), whatever its size. No file is opened. A
// directory where no name is hashed is read to the end and its plain
// files parsed, as a cafile would be. The mode is fixed for the pool:
// hashed names added later to a plain directory are seen by the next
// Load.
//
// In a hashed directory, [Pool.Verify] looks the issuers of a chain up by
// [SubjectHash] in <hash>.0, <hash>.1, ... up to the first missing number
// (or the first file that holds no certificate, where OpenSSL stops too),
// and caches what it reads by path, checked on every lookup by device,
// inode, size, modification and change time: a CA added to the directory
// is trusted at the next verification, and one whose file or link is
// removed is refused at the next one, without reloading. Since an
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
// [Pool.Entries] lists each certificate with its source, file and block,
// and [Pool.Certificates] the certificates alone; [Pool.Len] counts them
// and [Pool.Empty] answers without reading anything. The listings are
// made when called: the hashed directories are read as they are then
// (each certificate with the <hash>.<n> names that hold it and the file
// they lead to), and the system store where crypto/x509 reads it from
// files (Linux, the BSDs, illumos and other Unix systems). On macOS and
// Windows the platform verifier holds the system roots and they cannot be
// listed.
//
// # Memory
//
// A pool keeps each certificate as DER with where it came from, and
// parses it when it is listed, as crypto/x509's own pool keeps DER and
// parses a root when a chain needs it: a pool loaded from a bundle keeps
// less heap than an x509.CertPool filled by AppendCertsFromPEM from the
// same bundle, and a bundle is never held parsed all at once. The
// *x509.CertPool form (what [Pool.CertPool] clones) is built on first use
// ([Pool.CertPool], [Pool.CertPoolFor], [Pool.Verify], and so every client
// or server built from the pool), the same way, and then shared.
//
// That form holds its own copy of the DER, which crypto/x509 cannot be
// given without copying. Once it exists, the certificates read from a file
// (cafile, and the files of a capath directory without hashed names) drop
// their DER and keep only what finds them again: the file, its block, the
// SHA-256 of the DER, and the file's stamp (device, inode, size,
// modification and change time) when it was loaded. A pool in use then
// keeps about the heap of the x509.CertPool alone. Certificates from
// cadata, and those with OpenSSL trust settings, keep their DER.
//
// The listings ([Pool.Entries], [Pool.Certificates]) then read such files
// again and list each certificate the pool trusts by its SHA-256, wherever
// it now is in the file, with the file and block it was read from at load.
// What the pool trusts is what was loaded, and only that is listed: a
// certificate added to the file since is neither trusted nor listed
// (Load the file again for it), and one removed from the file, or a file
// deleted or unreadable since, is still trusted, as loaded, but cannot be
// listed: it is left out of the listing and [Pool.Problems] reports the
// file, naming the blocks whose certificate is gone, so that the listing
// never shows as trusted something the pool does not trust, and what it
// leaves out is said. [Pool.Len] and [Pool.Problems] read a file only
// when its stamp has changed since the load; the listings always read it
// and check every certificate's SHA-256. [Merge] of such a pool with
// another reads the files too; a certificate no longer in its file is left
// out of the merged pool, and reported by its Problems.
//
// # Concurrency
//
// A Pool does not change once built; all its methods are safe for
// concurrent use. A zero Pool is empty and usable, and a nil *Pool behaves
// as an empty one.
package capool

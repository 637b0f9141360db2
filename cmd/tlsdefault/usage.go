package main

// The usage texts are written by hand, as mkcert's are: the flag package's
// generated listing cannot group flags, show examples or document the
// environment.

const shortUsage = `Usage:
    tlsdefault get [flags] URL           fetch over HTTPS with the safe defaults
    tlsdefault serve [flags]             serve HTTPS on 127.0.0.1:8443
    tlsdefault pool [flags]              list and check a trust store
    tlsdefault rehash DIR                make OpenSSL's <hash>.N links in DIR
    tlsdefault demo                      show the defaults at work, no set-up
    tlsdefault version

Run 'tlsdefault help' for more, 'tlsdefault COMMAND --help' for a command.
`

const longUsage = `tlsdefault: TLS with the safe defaults of package tlsdefault, from the
command line: TLS 1.2 or 1.3 only, ECDHE with AES-GCM or ChaCha20-Poly1305,
certificates always verified, host names always checked, RSA keys of at
least 2048 bits, no SHA-1 signatures. Anything older only with --legacy.

` + shortUsage + `
Trust flags (get, pool; serve takes --cafile and --capath for client CAs):
    --cafile FILE        trust the certificates in a PEM file (a bundle)
    --capath DIR         trust a CA directory: OpenSSL's hashed <hash>.N
                         files (see rehash) and plain .pem, .crt, .cer files
    --cadata-file FILE   trust the certificates in a file of PEM or DER data
    --system             add the system store to the sources above
With none of them, the system store is trusted. With any of them, only those.

Environment:
    SSL_CERT_FILE    the system store's bundle file, instead of the platform's
                     (Linux and other Unix systems)
    SSL_CERT_DIR     the system store's CA directories, colon-separated
    SSLKEYLOGFILE    append TLS session secrets to this file (mode 0600), for
                     Wireshark; a warning is printed when it is set
    GODEBUG          tlssha1=1 makes every TLS 1.2 connection of the process
                     accept SHA-1 handshake signatures, from any peer; the
                     command then refuses to run without --legacy or
                     --legacy-host (see 'tlsdefault get --help')

Exit codes:
    0    success
    1    TLS handshake, certificate verification, network or other failure
    2    usage: bad flags or arguments, conflicting flags, files that
         cannot be used
    3    get: the server answered with an HTTP status of 400 or more
    4    pool: the pool is empty or a trust source failed to load

Messages go to standard error: "tlsdefault: error:" lines say what went
wrong, "tlsdefault: hint:" lines what to try.
`

const getUsage = `Usage: tlsdefault get [flags] URL

Fetch an https:// URL with a client from tlsdefault.NewClient and write the
body to standard output. When the connection fails, say why in plain words:
which side refused what, and what to do about it.

Flags:
    --cafile FILE        trust the certificates in a PEM file
    --capath DIR         trust a CA directory (hashed <hash>.N and plain files)
    --cadata-file FILE   trust the certificates in a file of PEM or DER data
    --system             add the system store to the sources above
    --cert FILE          client certificate (PEM, leaf first) for mutual TLS;
                         needs --key; re-read when the file changes
    --key FILE           private key (PEM) of --cert
    --legacy             allow TLS 1.0 and 1.1, CBC, RSA key exchange and 3DES
                         suites for every host (package legacy); prefer
                         --legacy-host
    --legacy-host NAME   allow them only for NAME (exact, or *.example.com);
                         repeatable; every other host keeps the defaults
    -o FILE              write the body to FILE instead of standard output
    -v                   print what was negotiated and the verified chain
                         on standard error
    --timeout DURATION   give up after this long (default 30s)

With no trust flag the system store is trusted (SSL_CERT_FILE and
SSL_CERT_DIR are honoured). Redirects are followed to https:// URLs only.
A URL without a scheme is taken as https://.

A TLS 1.2 peer that signs only with SHA-1 is out of reach unless the process
runs with GODEBUG=tlssha1=1, which makes crypto/tls accept SHA-1 handshake
signatures from every peer, not only that one: the command does not turn it
on, refuses to run with it unless --legacy or --legacy-host is given, and
warns with --legacy-host. Prefer upgrading the peer.

Exit codes: 0 success, 1 TLS, verification or network failure, 2 usage,
3 HTTP status 400 or more (the body is still written).

Examples:
    $ tlsdefault get https://example.com/
    $ tlsdefault get -v -o /dev/null https://example.com/
    $ tlsdefault get --cafile ca.pem https://localhost:8443/
    $ tlsdefault get --cafile ca.pem --cert client.pem --key client-key.pem https://localhost:8443/
    $ tlsdefault get --legacy-host printer.example.net https://printer.example.net/
`

const serveUsage = `Usage: tlsdefault serve [flags]

Serve HTTPS with a listener from tlsdefault.Listen (TLS 1.2 and 1.3, HTTP/2
and HTTP/1.1, a handshake timeout). The page shown, unless --dir is given,
echoes what was negotiated on the request's connection: version, cipher
suite, key exchange, ALPN, resumption and the client certificate.

With neither --cert nor --key, a throwaway CA and certificates are made
(ECDSA P-256; the server's for localhost, 127.0.0.1 and ::1) and written to
the directory named on standard error: ca.pem to trust, cert.pem and key.pem
of the server, client.pem and client-key.pem for mutual TLS. Keys are 0600.

The address actually bound is printed on standard error as
"tlsdefault: serving https://ADDR/", so --addr 127.0.0.1:0 picks a free port.
SIGINT or SIGTERM shuts the server down gracefully.

Flags:
    --addr HOST:PORT       address to listen on (default 127.0.0.1:8443)
    --cert FILE            certificate (PEM, leaf first); needs --key;
                           re-read when the file changes
    --key FILE             private key (PEM) of --cert
    --dir-out DIR          where the throwaway CA and certificates go
                           (default: a new temporary directory); not with --cert
    --client-auth MODE     none (default), optional or required: ask for
                           client certificates and verify them
    --cafile FILE          CAs that client certificates must chain to; with
                           the throwaway CA and no --cafile or --capath, the
                           throwaway CA is used
    --capath DIR           a CA directory for client certificates
    --legacy               also speak TLS 1.0 and 1.1, CBC, RSA key exchange
                           and 3DES suites (package legacy), to every client
    --legacy-host NAME     only to clients that ask for NAME by SNI;
                           repeatable
    --dir DIR              serve the files in DIR instead of the echo page

Exit codes: 0 shut down cleanly, 1 failure, 2 usage.

Examples:
    $ tlsdefault serve
    $ tlsdefault serve --addr 127.0.0.1:0 --dir-out ./pki --client-auth required
    $ tlsdefault serve --addr :8443 --cert cert.pem --key key.pem --dir ./public
`

const poolUsage = `Usage: tlsdefault pool [flags]

Load a trust store the way tlsdefault does and list its certificates: subject
hash (as in capath file names and 'openssl x509 -hash'), expiry, where each
came from (file and PEM block) and subject. Warn about expired or not yet
valid CAs, certificates that are not CAs, duplicates, link names that do not
match the hash, and files that cannot be read. Certificates in a hashed
capath directory are looked up lazily by tlsdefault; they are listed too.

Flags:
    --cafile FILE        a PEM file (a bundle)
    --capath DIR         a CA directory (hashed <hash>.N and plain files)
    --cadata-file FILE   a file of PEM or DER data
    --system             the system store (the default with no other flag)
    --json               print JSON instead of a table (warnings included)

Exit codes: 0 success (even with warnings), 2 usage, 4 the pool is empty or
a source failed to load.

Examples:
    $ tlsdefault pool --cafile /etc/ssl/certs/ca-certificates.crt
    $ tlsdefault pool --capath /etc/ssl/certs --json | jq '.certificates[].subject'
    $ SSL_CERT_FILE=bundle.pem tlsdefault pool
`

const rehashUsage = `Usage: tlsdefault rehash DIR

Do in DIR what 'openssl rehash DIR' does: for each .pem, .crt, .cer and .crl
file holding one certificate or CRL, make the symbolic link <hash>.N
(<hash>.rN for a CRL) that OpenSSL, Python's capath and 'tlsdefault get
--capath' look up. Each link is made under a temporary name and renamed into
place; stale hash links are removed. Then print the links, "new" marking the
ones this run made and "removed" the ones it took away.

Exit codes: 0 success, 1 a link could not be made or a file read, 2 usage.

Examples:
    $ tlsdefault rehash ./certs
    $ tlsdefault get --capath ./certs https://localhost:8443/
`

const demoUsage = `Usage: tlsdefault demo

Show the defaults at work with no set-up: make a throwaway CA in memory,
serve HTTPS on 127.0.0.1 with tlsdefault.Listen, fetch from it twice with one
tlsdefault.NewClient (the second time on a new connection that resumes the
session), then show the default client refusing a server that speaks only
TLS 1.0, and the legacy gate: legacy.Allow(legacy.ForHosts("old.test"))
lets that one host in, reports it, and keeps every other host out.

Nothing is written to disk and nothing leaves the machine.

Example:
    $ go run ./cmd/tlsdefault demo
`

const versionUsage = `Usage: tlsdefault version

Print the version of tlsdefault, the Go release it was built with, and the
source revision of development builds.
`

var subUsage = map[string]string{
	"get":     getUsage,
	"serve":   serveUsage,
	"pool":    poolUsage,
	"rehash":  rehashUsage,
	"demo":    demoUsage,
	"version": versionUsage,
}

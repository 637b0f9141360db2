package main

// The usage texts are written by hand, as mkcert's are: the flag package's
// generated listing cannot group flags, show examples or document the
// environment.

// longUsage is what 'tlsdefault help' prints.
func longUsage() string { return longUsageHead + shortUsage() + longUsageTail }

const longUsageHead = `tlsdefault: TLS with the safe defaults of package tlsdefault, from the
command line: TLS 1.2 or 1.3 only, ECDHE with AES-GCM or ChaCha20-Poly1305,
certificates always verified, host names always checked, RSA keys of at
least 2048 bits, no SHA-1 signatures. Anything older only with --legacy.

`

const longUsageTail = `
Trust flags (get and pool; serve takes them for the CAs of client
certificates):
    --cafile FILE        trust the certificates in a PEM file (a bundle)
    --capath DIR         trust a CA directory: OpenSSL's hashed <hash>.N
                         files (see rehash) and plain .pem, .crt, .cer files
    --cadata-file FILE   trust the certificates in a file of PEM or DER data
    --system             add the system store to the sources above
With none of them, the system store is trusted. With any of them, only those.

Flags may come before or after the arguments; "--" ends them. A flag that
takes one value is given once (a repeat is a usage error); only
--legacy-host is repeatable. Messages name flags as they are typed; the
library's explanations, which name its options (WithCAFile), are told in
the flags that set them (--cafile).

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
    2    usage: bad flags or arguments (a port out of range, a flag given
         twice), conflicting flags, files or directories that cannot be
         used
    3    get: the server answered with an HTTP status of 400 or more
    4    pool: the pool is empty or a trust source failed to load

Messages go to standard error: "tlsdefault: error:" lines say what went
wrong, "tlsdefault: hint:" lines what to try.
`

const getUsage = `Usage: tlsdefault get [flags] URL

Fetch an https:// URL with a client from tlsdefault.NewClient and write the
body to standard output. When the connection fails, say why in plain words:
which side refused what, and what to do about it.

An http:// URL is fetched too, in plain HTTP, with a warning: nothing is
encrypted and the server is not authenticated. (A port that answers
https:// in plain HTTP is reported so; this is how to reach it.)

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
                         repeatable; every other host keeps the defaults;
                         not through a proxy (HTTPS_PROXY): a request to NAME
                         through one is refused (set NO_PROXY, or --legacy)
    --connect-to HOST:PORT
                         connect to HOST:PORT instead of the URL's host and
                         port, and still send and verify the URL's host
                         name (as curl's --connect-to); for the URL's host
                         and port only, never through a proxy
    -o FILE              write the body to FILE instead of standard output;
                         FILE is replaced when the body is complete, and
                         keeps its mode (a new FILE gets 0666 less the umask)
    -v                   print what was negotiated and the verified chain
                         on standard error; when the handshake fails, the
                         chain the server sent
    --timeout DURATION   give up after this long (default 30s)

With no trust flag the system store is trusted (SSL_CERT_FILE and
SSL_CERT_DIR are honoured). Redirects are followed up to 10 times, never
from https:// to http://. A URL without a scheme is taken as https://.

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
    $ tlsdefault get -v --connect-to 127.0.0.1:8443 https://www.example.com:8443/
    $ tlsdefault get http://localhost:8080/
    $ tlsdefault get --cafile ca.pem --cert client.pem --key client-key.pem https://localhost:8443/
    $ tlsdefault get --legacy-host printer.example.net https://printer.example.net/
`

const serveUsage = `Usage: tlsdefault serve [flags]

Serve HTTPS with a listener from tlsdefault.Listen (TLS 1.2 and 1.3, HTTP/2
and HTTP/1.1, a handshake timeout) and a server from tlsdefault.NewServer
(header and idle timeouts: a client that goes silent after the handshake
is closed). The page shown, unless --dir is given,
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
                           (default: a new temporary directory), made if it
                           does not exist; not with --cert
    --client-auth MODE     none (default), optional or required: ask for
                           client certificates and verify them
    --cafile FILE          CAs that client certificates must chain to; with
                           the throwaway CA and no trust flag, the throwaway
                           CA is used
    --capath DIR           a CA directory for client certificates
    --cadata-file FILE     a file of PEM or DER CAs for client certificates
    --system               let client certificates chain to the system store
                           too (deliberately: any public CA's client
                           certificate is then accepted)
    --legacy               also speak TLS 1.0 and 1.1, CBC, RSA key exchange
                           and 3DES suites (package legacy), to every client
    --legacy-host NAME     only to clients that ask for NAME by SNI;
                           repeatable
    --dir DIR              serve the files in DIR instead of the echo page;
                           nothing outside DIR (a symbolic link out of it is
                           not followed) and no name that starts with a dot
                           (.env, .git/): those answer 404

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

const helpUsage = `Usage: tlsdefault help [COMMAND]

Print the usage of tlsdefault: the commands, the trust flags, the
environment and the exit codes; or, with a command, that command's usage
(the same as 'tlsdefault COMMAND --help').

Example:
    $ tlsdefault help get
`

package tlsdefault

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"reflect"
	"slices"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal"
)

// An Option changes one setting of a client or server built by this
// package. Options are made only by the With... functions of this package
// and by package legacy. Option's only method is unexported, so no type
// outside this package implements it, and there is no exported method or
// function whose signature would let code outside the module obtain or
// build one (by type inference on a method value, or by reflection): only
// package legacy, through a hook internal to this module, can go below the
// defaults. A value whose type merely embeds an Option is refused by the
// constructors.
//
// An option given bad input does not panic: the constructor it is passed to
// returns an error that names the option.
type Option interface {
	apply(*internal.Settings)
}

// option is the one implementation of Option, for this package's options
// and (through internal.NewOption) for package legacy's. It is a struct
// with an unexported field, not a named func type: reflect.MakeFunc could
// make a func type with any body, but the field of a struct made by
// reflect.New cannot be set from outside the package.
type option struct {
	f func(*internal.Settings)
}

func (o *option) apply(s *internal.Settings) { o.f(s) }

// optionFunc returns f as an Option.
func optionFunc(f func(*internal.Settings)) Option { return &option{f: f} }

func init() {
	// The hook by which package legacy, which the root package never
	// imports, builds its Option; internal packages cannot be imported
	// from outside this module.
	internal.SetOptionMaker(func(f func(*internal.Settings)) any { return optionFunc(f) })
}

// WithCAFile trusts the certificates in a PEM file (a bundle), like
// Python's cafile. Text between the PEM blocks is ignored. Once any trust
// option is given, only the given sources are trusted; add WithSystemRoots
// to trust the system store as well. An empty path is an error, never a
// fall-back to the system store.
//
// The file is read again when it changes (checked at most once a second,
// at a handshake; a replacement is seen by device, inode, size, times and
// link target, so a rename, a Kubernetes ..data symlink swap and a
// same-size copy with the time kept all count): on a server the new CAs
// verify client certificates from the next handshake on, and on a client
// connections of NewTransport and NewClient verify servers with them. A CA
// removed from the file is refused at the next handshake, resumed sessions
// included. A config from ClientConfig used on its own (tls.Dial) refuses
// a removed CA but does not learn new ones: build a new one. A broken new
// file is reported through the error log (WithErrorLog) and the trust in
// use is kept.
func WithCAFile(path string) Option {
	return optionFunc(func(s *internal.Settings) {
		if path == "" {
			s.Errorf("WithCAFile: empty path; name a PEM file of CA certificates, or leave the option out to use the system store")
			return
		}
		s.CAFiles = append(s.CAFiles, path)
	})
}

// WithCAPath trusts the certificates in a directory, like Python's capath:
// OpenSSL's hashed layout (<hash>.N, as made by `openssl rehash` or
// [capool.Rehash]), looked up by issuer when a handshake needs them, and
// plain .pem, .crt and .cer files, read at once and read again, as
// WithCAFile's file is, when one of them or the directory changes. An
// empty path is an error.
func WithCAPath(dir string) Option {
	return optionFunc(func(s *internal.Settings) {
		if dir == "" {
			s.Errorf("WithCAPath: empty directory name; name a directory of CA certificates, or leave the option out to use the system store")
			return
		}
		s.CAPaths = append(s.CAPaths, dir)
	})
}

// WithCAData trusts the certificates in data, like Python's cadata: PEM
// text or DER bytes, one certificate or several. Empty data is an error.
// The data is fixed at construction (unlike WithCAFile's file).
func WithCAData(data []byte) Option {
	return optionFunc(func(s *internal.Settings) {
		if len(data) == 0 {
			s.Errorf("WithCAData: no data; give PEM text or DER bytes of CA certificates, or leave the option out to use the system store")
			return
		}
		s.CAData = append(s.CAData, data)
	})
}

// WithPool trusts the certificates of a pool built with package capool. A
// nil pool is an error. The pool is fixed at construction (a pool's
// hashed capath directories are still looked up at each handshake); for
// trust that follows a file, use WithCAFile or WithCAPath.
func WithPool(p *capool.Pool) Option {
	return optionFunc(func(s *internal.Settings) {
		if p == nil {
			s.Errorf("WithPool: nil pool; build one with capool.Load or capool.System")
			return
		}
		if p.Empty() {
			s.Errorf("WithPool: the pool is empty; it would trust nothing")
			return
		}
		s.Pools = append(s.Pools, p)
	})
}

// WithSystemRoots adds the system's trust store (honouring SSL_CERT_FILE
// and SSL_CERT_DIR, with Mozilla's roots embedded for systems that have
// none) to the other trust options. A client with no trust option at all
// uses the system store anyway; a server never does unless asked, because
// any publicly issued certificate would then pass as a client certificate.
func WithSystemRoots() Option {
	return optionFunc(func(s *internal.Settings) { s.SystemRoots = true })
}

// WithCertificate sets the certificate this side presents: a server's
// identity, or a client certificate for mutual TLS (Python's
// load_cert_chain). It may be given more than once; a server then picks by
// the client's SNI name and supported algorithms. The constructor checks
// that the key matches the certificate and meets the key size floor.
//
// A client presents a certificate only to a server whose request accepts
// it: the server named, among the CAs it accepts, the issuer of the leaf or
// of a certificate of its chain, or it named none; and it supports the
// certificate's signature algorithm. Otherwise no certificate is sent (as
// crypto/tls does for tls.Config.Certificates), so that a server that asks
// learns nothing of the client's identity it cannot verify: under TLS 1.2
// the certificate would travel unencrypted. With several, the first that
// fits is presented.
func WithCertificate(cert tls.Certificate) Option {
	return optionFunc(func(s *internal.Settings) {
		s.Certificates = append(s.Certificates, cert)
	})
}

// WithKeyPairFiles reads the certificate (PEM, leaf first, then
// intermediates) and private key (PEM) this side presents from two files,
// and reads them again when either changes on disk: checked at most once a
// second, swapped atomically, and a broken new pair is reported once while
// the last good pair keeps serving. The files must load when the
// constructor runs. A replacement is seen by device, inode, size, times
// and link target, so a same-size copy with the time kept and a Kubernetes
// ..data symlink swap count. On a client, the transport of NewTransport
// and NewClient closes its idle connections when the files change and
// does not resume sessions made with the old certificate, so that new
// requests present the new one.
func WithKeyPairFiles(certFile, keyFile string) Option {
	return optionFunc(func(s *internal.Settings) {
		if certFile == "" || keyFile == "" {
			s.Errorf("WithKeyPairFiles: empty file name (certificate %q, key %q)", certFile, keyFile)
			return
		}
		s.KeyPairFiles = append(s.KeyPairFiles, [2]string{certFile, keyFile})
	})
}

// WithClientAuth makes a server ask for client certificates, like Python's
// verify_mode on a server context: tls.VerifyClientCertIfGiven
// (CERT_OPTIONAL) or tls.RequireAndVerifyClientCert (CERT_REQUIRED).
// Without it a server asks for none (tls.NoClientCert, CERT_NONE).
// Verifying needs a trust source (WithCAFile, WithCAPath, WithCAData,
// WithPool, or deliberately WithSystemRoots); without one the constructor
// fails. Modes that accept unverified certificates (tls.RequestClientCert,
// tls.RequireAnyClientCert) are refused.
func WithClientAuth(t tls.ClientAuthType) Option {
	return optionFunc(func(s *internal.Settings) {
		switch t {
		case tls.NoClientCert, tls.VerifyClientCertIfGiven, tls.RequireAndVerifyClientCert:
			s.ClientAuth, s.ClientAuthSet = t, true
		case tls.RequestClientCert, tls.RequireAnyClientCert:
			s.Errorf("WithClientAuth: %v accepts client certificates without verifying them; use tls.VerifyClientCertIfGiven or tls.RequireAndVerifyClientCert with a trust option", t)
		default:
			s.Errorf("WithClientAuth: unknown client auth type %d", int(t))
		}
	})
}

// WithMinVersion raises the lowest protocol version: tls.VersionTLS12 (the
// default) or tls.VersionTLS13. Anything else is an error: the only way
// below TLS 1.2 is package legacy.
func WithMinVersion(v uint16) Option {
	return optionFunc(func(s *internal.Settings) {
		switch v {
		case tls.VersionTLS12, tls.VersionTLS13:
			s.MinVersion = v
		case tls.VersionTLS10, tls.VersionTLS11, 0x0300:
			s.Errorf("WithMinVersion: %s is below the floor of TLS 1.2; to talk to an old peer, see package legacy", tls.VersionName(v))
		default:
			s.Errorf("WithMinVersion: unknown protocol version %#04x; use tls.VersionTLS12 or tls.VersionTLS13", v)
		}
	})
}

// WithHandshakeTimeout sets how long a handshake may take. On a server
// (Listen, NewListener) a connection that has not completed its handshake
// by then is closed; the default is 10 seconds. On a client it sets
// http.Transport.TLSHandshakeTimeout (default 10 seconds).
func WithHandshakeTimeout(d time.Duration) Option {
	return optionFunc(func(s *internal.Settings) {
		if d <= 0 {
			s.Errorf("WithHandshakeTimeout: %v is not a positive duration", d)
			return
		}
		s.HandshakeTimeout = d
	})
}

// WithMaxConns caps the connections a listener from Listen or NewListener
// keeps open at once, handshaking or not (with
// golang.org/x/net/netutil.LimitListener, placed inside the TLS layer so
// that http.Server still sees *tls.Conn). Without it there is no cap.
func WithMaxConns(n int) Option {
	return optionFunc(func(s *internal.Settings) {
		if n <= 0 {
			s.Errorf("WithMaxConns: %d is not a positive number of connections", n)
			return
		}
		s.MaxConns = n
	})
}

// WithErrorLog sets where a listener reports failed handshakes (at a
// bounded rate) and where reloading key pairs, trust files and session
// ticket key files reports broken files. The default is the standard
// logger of package log, unless WithLogger is given: then these lines go
// only to a logger given with WithErrorLog.
func WithErrorLog(l *log.Logger) Option {
	return optionFunc(func(s *internal.Settings) {
		if l == nil {
			s.Errorf("WithErrorLog: nil logger")
			return
		}
		s.ErrorLog = l
	})
}

// collect applies the options in order and returns their first error.
func collect(opts []Option) (*internal.Settings, error) {
	s := &internal.Settings{}
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("tlsdefault: option %d is nil", i+1)
		}
		opt, ok := o.(*option)
		if !ok || opt == nil || opt.f == nil {
			return nil, fmt.Errorf("tlsdefault: option %d (%T) was not made by package tlsdefault or package legacy; pass the options their functions return", i+1, o)
		}
		opt.f(s)
	}
	if len(s.Errs) > 0 {
		return nil, s.Errs[0]
	}
	if s.Legacy == nil {
		if err := checkGODEBUG(); err != nil {
			return nil, err
		}
	}
	if s.Legacy != nil && s.MinVersion != 0 {
		return nil, errors.New("tlsdefault: WithMinVersion and legacy.Allow contradict each other: legacy.Allow lowers the floor to TLS 1.0; give one of them")
	}
	if s.MinVersion == 0 {
		s.MinVersion = internal.MinVersion
	}
	return s, nil
}

// WithSessionTicketKeyFile makes a server encrypt and decrypt its TLS
// session tickets with the keys in a file, so that every server of a fleet
// given the same file resumes the sessions of the others (by default each
// process makes its own random keys, and a client resumes only on the
// server that issued its ticket).
//
// The file is text: one key per line, 32 bytes in standard base64 (what
// `openssl rand -base64 32` or `tlsdefault ticket-keys new` writes);
// blank lines and lines starting with '#' are ignored; the first key
// encrypts new tickets and every key decrypts. It must be readable by its
// owner only (mode 0600 or 0400): a key lets whoever holds it decrypt the
// sessions resumed with it, so a file that group or others may read is
// refused; on Unix it must also be owned by the effective user or root
// (as SSLKEYLOGFILE must be), checked on the file a symbolic link leads
// to, at construction and at every reload. It is read again when it changes (checked at most once a second,
// with the same change detection as WithKeyPairFiles); a broken new file is
// reported through the error log and the keys in use are kept. Keys never
// appear in logs or errors.
//
// To rotate, put a new key first and keep the previous ones after it for
// as long as tickets they encrypted may be presented (crypto/tls refuses a
// ticket older than 7 days anyway), then drop them; see
// `tlsdefault ticket-keys rotate`.
func WithSessionTicketKeyFile(path string) Option {
	return optionFunc(func(s *internal.Settings) {
		if path == "" {
			s.Errorf("WithSessionTicketKeyFile: empty path; name a file of base64 keys, one a line")
			return
		}
		if s.TicketKeyFile != "" {
			s.Errorf("WithSessionTicketKeyFile: given twice (%q and %q); put all the keys in one file", s.TicketKeyFile, path)
			return
		}
		s.TicketKeyFile = path
	})
}

// WithLogger sends structured records to l: failed handshakes of a
// listener, reloads of key pair, trust and session ticket key files (ok
// and failed), this side's certificate nearing or past its expiry, and
// legacy handshakes. Every record has the attribute "event"; its values
// (EventHandshakeFailed, EventReload, EventCertificateExpiry,
// EventLegacyHandshake) and the attributes of each are documented with
// those constants and are stable, so that a program can count them in its
// own metrics (see the example) and alert on them. Text from a peer or a
// certificate is escaped. With WithLogger, the lines of WithErrorLog go
// only to a logger given with WithErrorLog, not to the standard logger.
//
// On a client with WithKeyPairFiles, the transport of NewTransport and
// NewClient also closes its idle connections when the certificate files
// change, so that new requests present the new certificate; that happens
// with or without WithLogger.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *internal.Settings) {
		if l == nil {
			s.Errorf("WithLogger: nil logger")
			return
		}
		s.Logger = l
	})
}

// CertificateSource gives a server its certificate at handshake time, from
// the client's hello (SNI name, supported algorithms, ALPN protocols). It is
// the GetCertificate method that *autocert.Manager
// (golang.org/x/crypto/acme/autocert) and *certmagic.Config have, so they
// can be passed as they are; a SPIFFE or Vault agent client can be wrapped
// in one method.
type CertificateSource interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// WithCertificateSource makes a server (ServerConfig, Listen, NewListener,
// NewServer, Serve) ask src for its certificate at each handshake, instead
// of presenting a fixed one.
//
// The policy applies to what src returns: a certificate whose leaf does not
// parse, whose key does not match it, whose key is below the floor (RSA
// under 2048 bits, EC under 256), or which has expired, fails that
// handshake, and the listener logs why. Each distinct certificate is
// checked once (remembered by a hash of its leaf, for up to 1024
// certificates) and only its expiry again at each handshake. An error or a
// nil certificate from src fails the handshake as well, logged with the
// client's SNI name (CauseCertificateSource). src must be safe for
// concurrent use. The first handshake for a name an ACME source has no
// certificate for yet waits while it obtains one: raise
// WithHandshakeTimeout if the CA takes longer than the 10-second default.
//
// It cannot be combined with WithCertificate or WithKeyPairFiles (the
// constructor says so): a source that should fall back to a fixed
// certificate, for clients that send no SNI name say, does so in its own
// GetCertificate. For ACME's TLS-ALPN-01 challenge add
// WithALPN("acme-tls/1"). It is server side only.
func WithCertificateSource(src CertificateSource) Option {
	return optionFunc(func(s *internal.Settings) {
		if src == nil || isNilPointer(src) {
			s.Errorf("WithCertificateSource: nil source; pass an *autocert.Manager, a *certmagic.Config or another value with a GetCertificate method")
			return
		}
		if s.CertSource != nil {
			s.Errorf("WithCertificateSource: given twice; a server has one certificate source (combine several in one GetCertificate)")
			return
		}
		s.CertSource = src
	})
}

// WithALPN adds application protocols (ALPN) that a server accepts besides
// "h2" and "http/1.1", which stay first in its list: for example
// acme.ALPNProto ("acme-tls/1") for ACME's TLS-ALPN-01 challenge, with
// WithCertificateSource(manager). A name must be 1 to 255 bytes; "h2" and
// "http/1.1" are already there and are skipped, as are repeats.
//
// A connection that negotiated "acme-tls/1" has done its work once its
// handshake is complete (the certificate source answered the challenge):
// listeners from Listen and NewListener close it instead of returning it
// from Accept, so it never reaches an http.Server. A connection with
// another added protocol is returned from Accept; the caller dispatches on
// ConnectionState().NegotiatedProtocol (http.Server closes a connection
// whose protocol it has no TLSNextProto handler for). Server side only.
func WithALPN(protos ...string) Option {
	return optionFunc(func(s *internal.Settings) {
		if len(protos) == 0 {
			s.Errorf("WithALPN: no protocol given; name at least one, such as \"acme-tls/1\"")
			return
		}
		for _, p := range protos {
			switch {
			case p == "":
				s.Errorf("WithALPN: empty protocol name")
				return
			case len(p) > 255:
				s.Errorf("WithALPN: protocol name of %d bytes is over the 255-byte limit of ALPN (RFC 7301)", len(p))
				return
			case slices.Contains(internal.NextProtos(), p) || slices.Contains(s.ALPN, p):
				continue
			}
			s.ALPN = append(s.ALPN, p)
		}
	})
}

// WithPeerCheck adds a check of the peer, run at every handshake,
// resumed ones included, after the library's own verification and policy
// have passed: on a client, of the server (the chain is verified and its
// name checked); on a server, of the client (its certificate, when
// WithClientAuth asked for one, is verified). Typical checks are a SPIFFE
// ID or SAN allow-list, or a deny-list of certificates.
//
// An error from check refuses the peer: the handshake fails with an error
// that wraps check's (errors.Is and errors.As reach it), explained as a
// refusal by the peer check in the client's *HandshakeError and in the
// listener's log. Checks given more than once run in order; the first error
// wins. check must be safe for concurrent use, and a pure function of
// the state it reads: it runs once per handshake, but twice when
// VerifyConnection was replaced by a hook that calls the library's.
//
// check gets the whole tls.ConnectionState of the handshake (ServerName,
// Version, CipherSuite, NegotiatedProtocol, the certificates and verified
// chains): it runs from the library's VerifyConnection. It keeps running
// when VerifyConnection is replaced: on a server after the replaced hook,
// from GetConfigForClient, with the whole state; on a client of NewClient
// after the replaced hook, by the dialler, with the whole state; on a
// config from ClientConfig or NewTransport's TLSClientConfig whose
// VerifyConnection is no longer the library's (replaced, or wrapped: the
// library cannot tell whether a wrapper calls it), from
// VerifyPeerCertificate on full handshakes, where crypto/tls gives only
// PeerCertificates and VerifiedChains: a check that needs more then
// refuses the peer, and the *PeerCheckError has Partial set and says so
// (fail closed); a wrapper that calls the library's VerifyConnection
// then has the checks run again there, with the whole state. So with
// WithPeerCheck, leave that VerifyConnection as the library set it and
// give every check with WithPeerCheck, or use NewClient. A clone of
// NewTransport's transport (Transport.Clone) whose
// TLSClientConfig.VerifyConnection is replaced runs no check (see
// SECURITY.md); one that wraps the library's hook runs them there.
//
// On a server with WithClientAuth(tls.VerifyClientCertIfGiven) (or
// without WithClientAuth), check also runs for a client that sent no
// certificate: cs.PeerCertificates is then empty, so test its length
// before indexing it. A check that panics refuses the peer: the panic is
// recovered and the handshake fails with a *PeerCheckError whose message
// says that the check panicked, with the panic value escaped (no stack
// trace); the process goes on.
func WithPeerCheck(check func(tls.ConnectionState) error) Option {
	return optionFunc(func(s *internal.Settings) {
		if check == nil {
			s.Errorf("WithPeerCheck: nil check function")
			return
		}
		s.PeerChecks = append(s.PeerChecks, check)
	})
}

// WithKeyPassword decrypts the private keys of WithKeyPairFiles that are
// encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY", PBES2 with PBKDF2 and
// AES-CBC, as `openssl pkcs8 -topk8 -v2 aes-256-cbc` and `openssl genpkey
// -aes256` write them), like the password of Python's load_cert_chain.
// password is called each time a key file is read, at construction and
// again when the files change, so that it can read a secret that is
// rotated with them; its result is not kept and never logged. A wrong
// password is an error that names the key file. Unencrypted keys are read
// as before. Keys encrypted the old OpenSSL way (a "Proc-Type: 4,ENCRYPTED"
// header) are refused, with how to convert them.
func WithKeyPassword(password func() ([]byte, error)) Option {
	return optionFunc(func(s *internal.Settings) {
		if password == nil {
			s.Errorf("WithKeyPassword: nil password function")
			return
		}
		if s.KeyPassword != nil {
			s.Errorf("WithKeyPassword: given twice")
			return
		}
		s.KeyPassword = password
	})
}

// isNilPointer reports whether v holds a nil pointer (a typed nil in an
// interface).
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Interface, reflect.Slice, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

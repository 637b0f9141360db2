package legacy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal"
)

// Allow returns the option that lets a client or server of package
// tlsdefault speak TLS 1.0 and 1.1 and the legacy TLS 1.2 cipher suites (CBC
// with SHA-1 or SHA-256 MACs, RSA key exchange, 3DES), after the defaults:
// a peer that speaks TLS 1.3 or TLS 1.2 with an AEAD suite still gets them.
// Certificates are verified and host names checked exactly as without it.
// It works with every constructor of package tlsdefault: ClientConfig,
// NewTransport, NewClient, ServerConfig, Listen and NewListener; with a
// [ForHosts] scope, on the client side with NewClient only (see there).
//
// Without a scope, legacy mode applies to every peer of the client or
// server the option is given to. [ForHosts] limits it to named hosts.
// Every handshake that actually used a legacy version or suite is reported:
// a warning on standard error, once per peer (see [Quiet] and [WarnTo]),
// and to any [OnHandshake] callback or [Counter] given with [Observe].
//
// Go cannot speak SSL 3.0, with or without Allow: see the package
// documentation.
//
// Allow may be given only once per constructor call; a second Allow in the
// same call is an error (give all scopes to one Allow). A nil scope, or a
// scope given bad input, makes the constructor return an error starting
// "legacy: ".
//
// The same Option may be passed to several constructors; they then share
// its observers and its record of peers already warned about.
func Allow(scopes ...Scope) tlsdefault.Option {
	opt, _ := internal.NewOption(allow(scopes).apply).(tlsdefault.Option)
	return opt
}

// allow builds what the Option of Allow applies.
func allow(scopes []Scope) *option {
	var b builder
	b.m = &mode{}
	for i, sc := range scopes {
		if sc == nil {
			b.errorf("Allow: scope %d is nil", i+1)
			continue
		}
		sc.apply(&b)
	}
	if b.quiet && b.warn != nil {
		b.errorf("Allow: Quiet and WarnTo contradict each other; give one of them")
	}
	b.m.quiet = b.quiet
	b.m.warn = b.warn
	return &option{m: b.m, errs: b.errs}
}

// option is what the tlsdefault.Option that Allow returns applies.
type option struct {
	m    *mode
	errs []error
}

func (o *option) apply(s *internal.Settings) {
	if len(o.errs) > 0 {
		s.Errs = append(s.Errs, o.errs...)
		return
	}
	if s.Legacy != nil {
		s.Errs = append(s.Errs, errors.New("legacy: Allow given more than once; give all scopes to a single legacy.Allow"))
		return
	}
	s.Legacy = o.m
	o.m.warnGODEBUG()
}

// A Scope limits or observes the legacy mode of one [Allow]: [ForHosts]
// limits it to named hosts; [OnHandshake], [Observe], [Quiet] and [WarnTo]
// decide how its use is reported. Scopes are made only by the functions of
// this package.
type Scope interface {
	apply(*builder)
}

// builder collects what the scopes of one Allow say.
type builder struct {
	m     *mode
	errs  []error
	quiet bool
	warn  io.Writer
}

func (b *builder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf("legacy: "+format, args...))
}

type scopeFunc func(*builder)

func (f scopeFunc) apply(b *builder) { f(b) }

// ForHosts limits legacy mode to peers with these names; every other peer
// of the same client or server keeps the defaults (TLS 1.2 and above, AEAD
// suites with ECDHE only).
//
// A name is a host name ("old.example.com", matched exactly, without
// regard to case or a trailing dot), a pattern "*.example.com" (any name
// exactly one label below example.com, as in certificates: it matches
// a.example.com but neither example.com nor a.b.example.com), or an IP
// address ("192.0.2.7", "2001:db8::7"). An empty name, a port, a URL, a
// "*" anywhere but as the whole first label, or a pattern directly below a
// top-level domain ("*.com") is an error.
//
// A pattern directly below a public suffix is an error too, whether the
// suffix is in the ICANN section of the Public Suffix List ("*.co.uk",
// "*.com.au") or in its private section, where a hosting provider's
// customers each own a name ("*.github.io", "*.s3.amazonaws.com"), and so
// is a pattern whose every name is a public suffix by a wildcard rule of
// the list ("*.kawasaki.jp"): one such pattern would open legacy mode to
// hosts of unrelated owners. Name the domain of one owner instead
// ("*.example.co.uk").
//
// Internationalised names may be given in Unicode or as punycode A-labels:
// "bücher.example" is converted as browsers convert it (IDNA, UTS #46) and
// matched as "xn--bcher-kva.example", the name that is dialled and sent as
// SNI. A label that IDNA does not allow is an error that says why.
//
// On a client, the name is the host of the URL (or the address dialled),
// or TLSClientConfig.ServerName when set, and only NewClient takes a scope:
// its dialler offers the old versions to a host in scope on a private
// clone of its TLSClientConfig, which itself stays at the defaults; a host
// out of scope is offered only the defaults, and no assignment to
// TLSClientConfig changes that. Through a proxy, where net/http handshakes
// with TLSClientConfig itself, a request to a host in scope is refused
// with an error that says why (see the package documentation, "Scope").
// ClientConfig and NewTransport, whose config is used for any host,
// return an error when given a scope: give them Allow without ForHosts,
// for a config used only for the old host. On a server, the name is the SNI name the client sends; a
// client that sends none (old clients, or clients connecting by IP
// address) is out of scope. Matching a server's scope by SNI selects the
// settings for a name; it does not authenticate the client.
//
// ForHosts may be given more than once to the same Allow; the names add up.
func ForHosts(names ...string) Scope {
	return scopeFunc(func(b *builder) {
		if len(names) == 0 {
			b.errorf("ForHosts: no names given; name the old peers, or leave ForHosts out to allow legacy mode for every peer")
			return
		}
		for _, n := range names {
			p, err := normalizeHost(n)
			if err != nil {
				b.errorf("ForHosts: %v", err)
				continue
			}
			b.m.hosts = append(b.m.hosts, p)
		}
	})
}

// An Event describes one handshake that used a version or cipher suite
// that only legacy mode allows.
type Event struct {
	// Side is "client" when this program dialled the peer and "server"
	// when it accepted the connection.
	Side string
	// Host is the server name dialled (client side) or the SNI name the
	// client sent (server side; empty when it sent none), as given: not
	// necessarily a valid host name, and cut to 253 bytes followed by
	// "..." when longer.
	Host string
	// RemoteAddr is the peer's address on the server side (host:port); it
	// is empty on the client side.
	RemoteAddr string
	// Version is the protocol version negotiated (tls.VersionTLS10...).
	Version uint16
	// CipherSuite is the cipher suite negotiated.
	CipherSuite uint16
	// Time is when the handshake was observed.
	Time time.Time
}

// String describes the event in one line, with the version and suite by
// name. The host name and address are printed as they are when they are
// made of the characters of host names and addresses, and quoted with Go
// escapes otherwise: the name comes from the peer.
func (e Event) String() string {
	var peer string
	switch {
	case e.Host != "" && e.RemoteAddr != "":
		peer = peerText(e.Host) + " (" + peerText(e.RemoteAddr) + ")"
	case e.Host != "":
		peer = peerText(e.Host)
	case e.RemoteAddr != "":
		peer = peerText(e.RemoteAddr)
	default:
		peer = "unknown peer"
	}
	return fmt.Sprintf("legacy %s handshake with %s: %s, %s", e.Side, peer, tls.VersionName(e.Version), tls.CipherSuiteName(e.CipherSuite))
}

// OnHandshake calls f for every handshake that used a legacy version or
// suite, after the peer's certificate was verified and before the
// connection is used. f runs on the goroutine doing the handshake, possibly
// on many at once, so it must be safe for concurrent use and return
// quickly; it cannot stop the connection. Modern handshakes (TLS 1.3, or
// TLS 1.2 with a default suite) through the same client or server are not
// reported. A nil f is an error.
func OnHandshake(f func(Event)) Scope {
	return scopeFunc(func(b *builder) {
		if f == nil {
			b.errorf("OnHandshake: nil function")
			return
		}
		b.m.observers = append(b.m.observers, f)
	})
}

// Observe counts the legacy handshakes in c. One Counter may observe
// several Allow options, and it is safe for concurrent use. A nil c is an
// error.
func Observe(c *Counter) Scope {
	return scopeFunc(func(b *builder) {
		if c == nil {
			b.errorf("Observe: nil *Counter")
			return
		}
		b.m.observers = append(b.m.observers, c.add)
	})
}

// Quiet turns off the warnings that legacy mode otherwise writes to
// standard error: the first time each peer uses it, and, for a scoped
// Allow, when the process runs with GODEBUG=tlssha1=1 (see the package
// documentation). Prefer [WarnTo] with your own log, or an [OnHandshake]
// callback, to silence that is never looked at.
func Quiet() Scope {
	return scopeFunc(func(b *builder) { b.quiet = true })
}

// WarnTo sends the warnings (once per peer, and the GODEBUG=tlssha1=1
// warning) to w instead of standard error (for example a log.Logger's
// Writer). w must be safe for concurrent use.
// A nil w is an error; use [Quiet] for no warnings.
func WarnTo(w io.Writer) Scope {
	return scopeFunc(func(b *builder) {
		if w == nil {
			b.errorf("WarnTo: nil writer; use legacy.Quiet() for no warnings")
			return
		}
		b.warn = w
	})
}

package tlsdefault

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// The records a logger given with WithLogger receives. Each has the
// attribute "event", whose value names the kind of record; the other
// attribute names are listed with each kind. These names and values are
// stable: count and alert on them.
const (
	// EventHandshakeFailed: a listener's handshake failed (at most one
	// record a second per listener; "more" counts the failures folded
	// into it). Level debug for scanner noise (CausePeerClosed,
	// CausePlainHTTP, CauseNotTLS, CauseSSL3, CauseTimeout), warn for
	// the rest. Attributes: cause (Cause.String()), side (the side that
	// refused: "client" or "server"), peer (remote address), sni (the
	// name the client asked for, escaped), error, more.
	EventHandshakeFailed = "handshake_failed"
	// EventReload: a watched file changed and was read again. Level info
	// when the new content is in use, error when it was refused and the
	// previous content is kept. Attributes: what ("key_pair", "trust",
	// "ticket_keys"), path (the file, or for a key pair the certificate
	// file), ok (bool), error (when not ok; never a key).
	EventReload = "reload"
	// EventCertificateExpiry: this side's own certificate (side "server"
	// or "client") is past two thirds of its lifetime or within 7 days of
	// its expiry (warn), or has expired (error). Reported when loaded and
	// then at most once a day per certificate. Attributes: side, subject,
	// serial, not_after, expires_in (a duration, negative once expired),
	// path (for WithKeyPairFiles).
	EventCertificateExpiry = "certificate_expiry"
	// EventLegacyHandshake: a handshake used a version or suite only
	// package legacy allows (warn). Attributes: side ("client": this
	// program dialled; "server": it accepted), host (the server name
	// dialled, or the SNI received), peer (remote address, server side),
	// version, cipher_suite.
	EventLegacyHandshake = "legacy_handshake"
)

// expiryWarnBefore is how close to its expiry a certificate is reported.
const expiryWarnBefore = 7 * 24 * time.Hour

// expiryEvery is how often a certificate in use is looked at again.
const expiryEvery = 24 * time.Hour

// errorLogger is the *log.Logger internal reloaders print to: the one of
// WithErrorLog, none when only WithLogger was given, else nil (the
// standard logger).
func errorLogger(s *internal.Settings) *log.Logger {
	if s.ErrorLog == nil && s.Logger != nil {
		return log.New(io.Discard, "", 0)
	}
	return s.ErrorLog
}

// isNoise reports whether a failed handshake is what scanners and probes
// cause all day long.
func isNoise(c Cause) bool {
	switch c {
	case CausePeerClosed, CausePlainHTTP, CauseNotTLS, CauseSSL3, CauseTimeout:
		return true
	}
	return false
}

// failureLevel is the level of the record of a failed handshake.
func failureLevel(err error) slog.Level {
	if he, ok := errors.AsType[*HandshakeError](err); ok && isNoise(he.Cause) {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// logFailure sends the record of a failed handshake.
func logFailure(lg *slog.Logger, remote, sni string, err error, more int) {
	level := failureLevel(err)
	if !lg.Enabled(context.Background(), level) {
		return
	}
	cause, side := CauseUnknown.String(), "server"
	if he, ok := errors.AsType[*HandshakeError](err); ok {
		cause, side = he.Cause.String(), he.Side
	}
	lg.LogAttrs(context.Background(), level, "tlsdefault: TLS handshake failed",
		slog.String("event", EventHandshakeFailed),
		slog.String("cause", cause),
		slog.String("side", side),
		slog.String("peer", remote),
		slog.String("sni", safetext.Escape(sni, safetext.MaxLen)),
		slog.String("error", safetext.Line(err.Error(), maxLogLine)),
		slog.Int("more", more))
}

// logReload sends the record of a reload; err nil means the new content
// is in use.
func logReload(lg *slog.Logger, what, path string, err error) {
	if lg == nil {
		return
	}
	if err == nil {
		lg.LogAttrs(context.Background(), slog.LevelInfo, "tlsdefault: reloaded "+strings.ReplaceAll(what, "_", " "),
			slog.String("event", EventReload), slog.String("what", what), slog.String("path", path), slog.Bool("ok", true))
		return
	}
	lg.LogAttrs(context.Background(), slog.LevelError, "tlsdefault: reload of "+strings.ReplaceAll(what, "_", " ")+" failed; keeping the previous one",
		slog.String("event", EventReload), slog.String("what", what), slog.String("path", path), slog.Bool("ok", false),
		slog.String("error", safetext.Line(err.Error(), maxLogLine)))
}

// logLegacy sends the record of a legacy handshake.
func logLegacy(lg *slog.Logger, side, host, remote string, cs tls.ConnectionState) {
	if lg == nil {
		return
	}
	lg.LogAttrs(context.Background(), slog.LevelWarn, "tlsdefault: legacy handshake",
		slog.String("event", EventLegacyHandshake),
		slog.String("side", side),
		slog.String("host", safetext.Escape(host, safetext.MaxLen)),
		slog.String("peer", remote),
		slog.String("version", tls.VersionName(cs.Version)),
		slog.String("cipher_suite", tls.CipherSuiteName(cs.CipherSuite)))
}

// certNotice reports the expiry of one identity's certificate: when a
// certificate is first seen (at load, after a reload) and then at most
// once a day.
type certNotice struct {
	lg   *slog.Logger
	side string
	path string
	now  func() time.Time

	leaf atomic.Pointer[x509.Certificate] // the certificate last looked at
	next atomic.Int64                     // Unix nanoseconds of the next look
	mu   sync.Mutex
}

func (n *certNotice) check(c *tls.Certificate) {
	if n == nil || c == nil || c.Leaf == nil {
		return
	}
	now := n.now()
	if n.leaf.Load() == c.Leaf && now.UnixNano() < n.next.Load() {
		return
	}
	if !n.mu.TryLock() {
		return // another handshake is looking
	}
	defer n.mu.Unlock()
	if n.leaf.Load() == c.Leaf && now.UnixNano() < n.next.Load() {
		return
	}
	n.leaf.Store(c.Leaf)
	n.next.Store(now.Add(expiryEvery).UnixNano())
	leaf := c.Leaf
	left := leaf.NotAfter.Sub(now)
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	var level slog.Level
	var msg string
	switch {
	case left <= 0:
		level, msg = slog.LevelError, "tlsdefault: certificate expired"
	case left <= expiryWarnBefore || now.Sub(leaf.NotBefore) >= life*2/3:
		level, msg = slog.LevelWarn, "tlsdefault: certificate expiring"
	default:
		return
	}
	attrs := []slog.Attr{
		slog.String("event", EventCertificateExpiry),
		slog.String("side", n.side),
		slog.String("subject", safetext.Escape(leaf.Subject.String(), safetext.MaxLen)),
		slog.String("serial", leaf.SerialNumber.Text(16)),
		slog.Time("not_after", leaf.NotAfter),
		slog.Duration("expires_in", left.Round(time.Second)),
	}
	if n.path != "" {
		attrs = append(attrs, slog.String("path", n.path))
	}
	n.lg.LogAttrs(context.Background(), level, msg, attrs...)
}

// useLogger attaches the signals of WithLogger to the identities of one
// side: expiry notices, and reload records of key pair files.
func useLogger(s *internal.Settings, ids []identity, side string) {
	lg := s.Logger
	if lg == nil {
		return
	}
	for i := range ids {
		n := &certNotice{lg: lg, side: side, now: time.Now}
		if kp := ids[i].kp; kp != nil {
			n.path = kp.CertFile
			kp.OnReload = func(err error) { logReload(lg, "key_pair", kp.CertFile, err) }
		}
		ids[i].notice = n
		n.check(ids[i].current()) // at load
	}
}

// certSessionCache is the session cache of a client whose certificate is
// read from files: a session resumes the identity it was made with, so
// sessions are kept per version of the certificates and those of an older
// version are never offered.
type certSessionCache struct {
	inner tls.ClientSessionCache
	kps   []*internal.KeyPair

	mu   sync.Mutex
	last []*tls.Certificate
	gen  atomic.Uint64
}

func newCertSessionCache(ids []identity, inner tls.ClientSessionCache) *certSessionCache {
	c := &certSessionCache{inner: inner}
	for _, id := range ids {
		if id.kp != nil {
			c.kps = append(c.kps, id.kp)
			c.last = append(c.last, id.kp.Current())
		}
	}
	if len(c.kps) == 0 {
		return nil
	}
	return c
}

// refresh looks at the key pairs (each checks its files at most once per
// reload interval) and reports whether a certificate changed.
func (c *certSessionCache) refresh() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := false
	for i, kp := range c.kps {
		if cur := kp.Current(); cur != c.last[i] {
			c.last[i], changed = cur, true
		}
	}
	if changed {
		c.gen.Add(1)
	}
	return changed
}

func (c *certSessionCache) key(k string) string {
	return strconv.FormatUint(c.gen.Load(), 10) + " " + k
}

func (c *certSessionCache) Get(sessionKey string) (*tls.ClientSessionState, bool) {
	c.refresh()
	return c.inner.Get(c.key(sessionKey))
}

func (c *certSessionCache) Put(sessionKey string, cs *tls.ClientSessionState) {
	c.inner.Put(c.key(sessionKey), cs)
}

// closeIdleOnCertChange closes t's idle connections when a client
// certificate read from files changes, so that new requests present the
// new one (an idle HTTP/2 connection would otherwise be reused for ever,
// and a resumed session would carry the old identity: the session cache
// drops those). The files are checked once per reload interval by a
// goroutine that holds t weakly and ends once t is garbage collected.
func (c *client) closeIdleOnCertChange(t *http.Transport) {
	sessions := c.sessions
	if sessions == nil {
		return
	}
	interval := internal.ReloadInterval
	if c.s.ReloadInterval > 0 {
		interval = c.s.ReloadInterval
	}
	wt := weak.Make(t)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for range tick.C {
			t := wt.Value()
			if t == nil {
				return
			}
			if sessions.refresh() {
				t.CloseIdleConnections()
			}
		}
	}()
}

// sniError carries the name a client asked for with the error of its
// failed handshake, for the record of WithLogger.
type sniError struct {
	*HandshakeError
	sni string
}

func (e sniError) Unwrap() error { return e.HandshakeError }

func withSNI(he *HandshakeError, hello *helloWatch, tc *tls.Conn) error {
	sni := hello.sni
	if !hello.seen {
		sni = tc.ConnectionState().ServerName
	}
	return sniError{he, sni}
}

func sniOf(err error) string {
	if e, ok := errors.AsType[sniError](err); ok {
		return e.sni
	}
	return ""
}

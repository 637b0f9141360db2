package tlsdefault

import (
	"crypto/tls"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/tlsdefault/tlsdefault/internal"
)

// trustSessionCache is the session cache of a client whose trust can
// change after construction (reloaded CA files, a hashed capath): sessions
// are kept per generation of the trust, and one made under an older
// generation is never offered, so that the first connection after a
// change is a full handshake, which VerifyPeerCertificate checks against
// the trust in force. crypto/tls re-checks a resumed session only against
// the RootCAs of the config, which keeps the CAs of construction; without
// this, only VerifyConnection would refuse a CA removed since, and
// replacing that one hook would resume into trusting it.
//
// The generation counts the reloads of the trust that removed a CA (one
// that only adds CAs keeps the sessions) and, for a hashed capath, holds
// the modification time of each directory (a CA deleted, added or renamed
// changes it): one stat per directory per Get and Put. A filesystem with
// coarse modification times (a second) may miss a deletion made within
// the second a session was stored; VerifyConnection still refuses it.
type trustSessionCache struct {
	inner tls.ClientSessionCache
	c     *client
	dirs  []string // hashed capath directories, or none

	mu       sync.Mutex
	last     *internal.TrustState
	removals int
}

func (c *client) trustSessions(inner tls.ClientSessionCache) tls.ClientSessionCache {
	lazy := c.pool.Lazy()
	if !c.live.Watched() && !lazy {
		return inner
	}
	tc := &trustSessionCache{inner: inner, c: c, last: c.live.Initial()}
	if lazy {
		tc.dirs = c.s.CAPaths
	}
	return tc
}

// generation describes the trust now.
func (tc *trustSessionCache) generation() string {
	st := tc.c.live.Current()
	tc.mu.Lock()
	if st != tc.last {
		if removesCA(tc.last, st) {
			tc.removals++
		}
		tc.last = st
	}
	n := tc.removals
	tc.mu.Unlock()
	var b strings.Builder
	b.WriteString(strconv.Itoa(n))
	for _, d := range tc.dirs {
		b.WriteByte(' ')
		if fi, err := os.Stat(d); err == nil {
			b.WriteString(strconv.FormatInt(fi.ModTime().UnixNano(), 36))
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func (tc *trustSessionCache) Get(sessionKey string) (*tls.ClientSessionState, bool) {
	return tc.inner.Get(tc.generation() + " " + sessionKey)
}

func (tc *trustSessionCache) Put(sessionKey string, cs *tls.ClientSessionState) {
	tc.inner.Put(tc.generation()+" "+sessionKey, cs)
}

// removesCA reports whether a CA of old is not in cur.
func removesCA(old, cur *internal.TrustState) bool {
	have := make(map[string]bool)
	for _, c := range cur.Pool.Certificates() {
		have[string(c.Raw)] = true
	}
	for _, c := range old.Pool.Certificates() {
		if !have[string(c.Raw)] {
			return true
		}
	}
	return false
}

package tlsdefault

import (
	"crypto/tls"
	"fmt"

	"github.com/tlsdefault/tlsdefault/internal/godebugenv"
)

// checkGODEBUG refuses to build a client or server without legacy.Allow
// while the process runs with a GODEBUG setting that weakens every TLS
// connection of the process in a way no tls.Config field can undo:
//
//   - tlssha1=1: crypto/tls accepts SHA-1 handshake signatures in TLS 1.2
//     from every peer;
//   - tlsmlkem=0: crypto/tls offers and accepts no hybrid post-quantum key
//     exchange (X25519MLKEM768 and the others), so a recording of today's
//     traffic is open to a future quantum computer; CurvePreferences only
//     filters Go's list and cannot bring them back. (tlssecpmlkem=0 removes
//     only the NIST-curve hybrids of Go 1.26 and keeps X25519MLKEM768: it
//     is accepted.)
//
// A setting is read from the environment and from the binary's default
// GODEBUG (go.mod godebug lines, //go:debug directives), as the Go runtime
// reads it, when the constructor runs and again at each handshake (one
// read of the environment).
func checkGODEBUG() error {
	g := godebugenv.Now()
	if v, src := g.Lookup("tlssha1"); v == "1" {
		return fmt.Errorf("tlsdefault: GODEBUG tlssha1=1 (from %s) makes crypto/tls accept SHA-1 handshake signatures in TLS 1.2 from every peer of this program, which no tls.Config setting can undo, so this client or server is not built; remove tlssha1=1 from GODEBUG, or, if one old peer needs SHA-1 signatures, build the client or server for it with legacy.Allow(legacy.ForHosts(...)) (the setting still reaches every TLS connection of the process, so keep that code in a process of its own)", src)
	}
	if v, src := g.Lookup("tlsmlkem"); v == "0" {
		return fmt.Errorf("tlsdefault: GODEBUG tlsmlkem=0 (from %s) removes the hybrid post-quantum key exchange (X25519MLKEM768) from every TLS connection of this program, which no tls.Config setting can undo (CurvePreferences only filters Go's list), so this client or server is not built; remove tlsmlkem=0 from GODEBUG (tlssecpmlkem=0, which keeps X25519MLKEM768, is accepted), or, if one old peer or middlebox cannot take a post-quantum key share, build the client or server for it with legacy.Allow(legacy.ForHosts(...)) (the setting still reaches every TLS connection of the process, so keep that code in a process of its own)", src)
	}
	return nil
}

// godebugSessions is the ClientSessionCache of a client built without
// legacy.Allow: while checkGODEBUG refuses the process's GODEBUG, it
// offers no session. A resumed handshake makes a key exchange of its own
// (TLS 1.3 PSK with (EC)DHE, with the groups GODEBUG leaves, tlsmlkem=0
// removing the post-quantum ones) but crypto/tls calls no
// VerifyPeerCertificate for it, so with VerifyConnection replaced nothing
// would refuse it; a full handshake is refused by VerifyPeerCertificate.
type godebugSessions struct{ inner tls.ClientSessionCache }

func (g godebugSessions) Get(key string) (*tls.ClientSessionState, bool) {
	if checkGODEBUG() != nil {
		return nil, false
	}
	return g.inner.Get(key)
}

func (g godebugSessions) Put(key string, cs *tls.ClientSessionState) { g.inner.Put(key, cs) }

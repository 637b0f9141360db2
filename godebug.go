package tlsdefault

import (
	"fmt"

	"github.com/tlsdefault/tlsdefault/internal/godebugenv"
)

// checkGODEBUG refuses to build a client or server without legacy.Allow
// while the process runs with GODEBUG=tlssha1=1: crypto/tls then accepts
// SHA-1 handshake signatures in TLS 1.2 from every peer, a weakening that
// no tls.Config field can undo. The setting is read from the environment
// and from the binary's default GODEBUG (go.mod godebug lines, //go:debug
// directives), as the Go runtime reads it, when the constructor runs.
func checkGODEBUG() error {
	if v, src := godebugenv.Lookup("tlssha1"); v == "1" {
		return fmt.Errorf("tlsdefault: GODEBUG tlssha1=1 (from %s) makes crypto/tls accept SHA-1 handshake signatures in TLS 1.2 from every peer of this program, which no tls.Config setting can undo, so this client or server is not built; remove tlssha1=1 from GODEBUG, or, if one old peer needs SHA-1 signatures, build the client or server for it with legacy.Allow(legacy.ForHosts(...)) (the setting still reaches every TLS connection of the process, so keep that code in a process of its own)", src)
	}
	return nil
}

package internal

import "crypto/tls"

// PeerCheckError is a peer refused by a check given to WithPeerCheck. It
// wraps the check's error.
type PeerCheckError struct {
	// Peer is "server" or "client": whose connection was refused.
	Peer string
	// Err is the check's error.
	Err error
}

func (e *PeerCheckError) Error() string {
	return "tlsdefault: the " + e.Peer + " was refused by the WithPeerCheck check: " + e.Err.Error()
}

func (e *PeerCheckError) Unwrap() error { return e.Err }

// RunPeerChecks runs the checks in the order given; the first error refuses
// the peer.
func RunPeerChecks(peer string, checks []func(tls.ConnectionState) error, cs tls.ConnectionState) error {
	for _, check := range checks {
		if err := check(cs); err != nil {
			return &PeerCheckError{Peer: peer, Err: err}
		}
	}
	return nil
}

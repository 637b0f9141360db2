package internal

import (
	"crypto/tls"
	"fmt"

	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// PeerCheckError is a peer refused by a check given to WithPeerCheck. It
// wraps the check's error.
type PeerCheckError struct {
	// Peer is "server" or "client": whose connection was refused.
	Peer string
	// Err is the check's error.
	Err error
	// Partial is set when the check ran on a client from
	// VerifyPeerCertificate, because the config's VerifyConnection was
	// replaced by a hook that is not the library's: the ConnectionState
	// then had only PeerCertificates and VerifiedChains set.
	Partial bool
}

func (e *PeerCheckError) Error() string {
	msg := "tlsdefault: the " + e.Peer + " was refused by the WithPeerCheck check: " + e.Err.Error()
	if e.Partial {
		msg += " (the check ran from VerifyPeerCertificate with only PeerCertificates and VerifiedChains set, because the config's VerifyConnection is no longer the library's: leave it as the library set it and give every check with WithPeerCheck, or use NewClient, whose checks always see the whole state)"
	}
	return msg
}

func (e *PeerCheckError) Unwrap() error { return e.Err }

// RunPeerChecks runs the checks in the order given; the first error refuses
// the peer. A check that panics refuses the peer too: the panic is
// recovered (a check runs in the handshake goroutine of a server, where a
// panic would end the process, and an anonymous client could cause it)
// and its value, escaped and cut, is in the error.
func RunPeerChecks(peer string, checks []func(tls.ConnectionState) error, cs tls.ConnectionState) error {
	for _, check := range checks {
		if err := runPeerCheck(check, cs); err != nil {
			return &PeerCheckError{Peer: peer, Err: err}
		}
	}
	return nil
}

func runPeerCheck(check func(tls.ConnectionState) error, cs tls.ConnectionState) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{What: "the check", Value: v}
		}
	}()
	return check(cs)
}

// PanicError is a panic recovered from the user's code called during a
// handshake (a WithPeerCheck check, a certificate source). Its message
// holds the panic value, escaped and cut, and no stack trace.
type PanicError struct {
	What  string // "the check", "GetCertificate"
	Value any
}

func (e *PanicError) Error() string {
	return e.What + " panicked (the handshake was refused; fix the code so that it returns an error instead): " + safetext.Quote(fmt.Sprint(e.Value))
}

// Unwrap returns the panic value when it is an error (a runtime error
// such as an index out of range).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

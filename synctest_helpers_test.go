package tlsdefault_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// pipeHandshake runs one handshake between client and server over
// net.Pipe, which, unlike a socket, lets testing/synctest's fake clock
// advance while the other side waits. It returns the client's view and the
// first error (client first). Use it inside synctest.Test, where time.Now
// is fake: give the configs a Time that matches the test certificates.
func pipeHandshake(t *testing.T, client, server *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	cc, sc := net.Pipe()
	defer cc.Close()
	serr := make(chan error, 1)
	go func() {
		defer sc.Close()
		serr <- tls.Server(sc, server).Handshake()
	}()
	tc := tls.Client(cc, client)
	cerr := tc.Handshake()
	cs := tc.ConnectionState()
	tc.Close()
	se := <-serr
	if cerr != nil {
		return cs, cerr
	}
	return cs, se
}

// atRealTime returns a Time function for configs used inside a synctest
// bubble: the real time when it was called plus the fake time elapsed in
// the bubble since then.
func atRealTime(real time.Time, fakeStart time.Time) func() time.Time {
	return func() time.Time { return real.Add(time.Since(fakeStart)) }
}

package tlsdefault

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/tlsdefault/tlsdefault/internal"
)

// NewServer returns a new *http.Server that serves handler on ln, a
// listener from Listen or NewListener: call its Serve(ln). Unlike a bare
// http.Server it has timeouts, each with its reason in the package's
// defaults:
//
//   - ReadHeaderTimeout 10 s: a peer that completes the handshake and then
//     stays silent, or sends its headers slowly, is closed;
//   - IdleTimeout 2 min: keep-alive connections (HTTP/1.1 and HTTP/2) with
//     nothing in flight are closed;
//   - MaxHeaderBytes 64 KiB instead of 1 MiB;
//   - no ReadTimeout or WriteTimeout, which would cut off long uploads,
//     downloads and streams.
//
// It speaks HTTP/2 and HTTP/1.1 (the listener negotiates them by ALPN),
// checks idle HTTP/2 connections with pings, and writes its errors to the
// listener's log (WithErrorLog). A plain-HTTP request on the TLS port gets
// "400 Client sent an HTTP request to an HTTPS server", as with
// http.Server.ServeTLS (the listener answers it). Change the fields before
// calling Serve if you need to.
//
// A listener that does not come from Listen or NewListener is an error:
// the server would speak plain HTTP on it, or TLS without the handshake
// timeout and policy of this package.
func NewServer(ln net.Listener, handler http.Handler) (*http.Server, error) {
	l, ok := ln.(*listener)
	if !ok {
		return nil, fmt.Errorf("tlsdefault: NewServer: the listener (%T) is not from Listen or NewListener; serving on it would bypass this package's TLS", ln)
	}
	if handler == nil {
		return nil, errors.New("tlsdefault: NewServer: nil handler (pass http.DefaultServeMux explicitly if that is what you mean)")
	}
	return newHTTPServer(l, handler), nil
}

func newHTTPServer(l *listener, handler http.Handler) *http.Server {
	errLog := l.logger
	if errLog == nil {
		errLog = log.Default()
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: internal.ReadHeaderTimeout,
		IdleTimeout:       internal.IdleTimeout,
		MaxHeaderBytes:    internal.MaxHeaderBytes,
		ErrorLog:          errLog,
		Protocols:         new(http.Protocols),
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: internal.SendPingTimeout,
			PingTimeout:     internal.PingTimeout,
		},
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(true)
	return srv
}

// Serve serves handler over HTTPS on the TCP address addr (":443",
// "127.0.0.1:8443") until ctx is done: Listen with opts, then the server of
// NewServer. When ctx is done it stops accepting, lets requests in flight
// finish for up to 30 seconds (http.Server.Shutdown), closes what is left
// and returns nil. It returns an error when the options are wrong, the
// address cannot be bound, or serving fails.
func Serve(ctx context.Context, addr string, handler http.Handler, opts ...Option) error {
	if ctx == nil {
		return errors.New("tlsdefault: Serve: nil context (use context.Background() to serve until the program ends)")
	}
	ln, err := Listen("tcp", addr, opts...)
	if err != nil {
		return err
	}
	return serve(ctx, ln, handler)
}

func serve(ctx context.Context, ln net.Listener, handler http.Handler) error {
	srv, err := NewServer(ln, handler)
	if err != nil {
		ln.Close()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("tlsdefault: Serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), internal.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if err != nil {
		srv.Close()
	}
	<-done
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("tlsdefault: Serve: shutting down: %w", err)
	}
	return nil
}

package tlsdefault_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestNewServer(t *testing.T) {
	ca := testpki.NewCA(t)
	logs := &syncBuffer{}
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()), tlsdefault.WithErrorLog(log.New(logs, "", 0)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tlsdefault.NewServer(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if srv.ReadHeaderTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes >= http.DefaultMaxHeaderBytes ||
		srv.ErrorLog == nil || srv.Protocols == nil || !srv.Protocols.HTTP2() || !srv.Protocols.HTTP1() || srv.ReadTimeout != 0 || srv.WriteTimeout != 0 {
		t.Fatalf("server fields: %+v", srv)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + ln.Addr().String()
	if _, body, err := get(t, c, url); err != nil || body != "HTTP/2.0" {
		t.Fatalf("GET: %q, %v", body, err)
	}
	// Headers over the cap: 431 from http.Server.
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("X-Big", strings.Repeat("a", 100<<10))
	h1, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	h1.Transport.(*http.Transport).Protocols.SetHTTP2(false)
	if resp, err := h1.Do(req); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("big header: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// The server's own errors reach the listener's log.
	srv.ErrorLog.Print("marker")
	if !strings.Contains(logs.String(), "marker") {
		t.Fatal("ErrorLog is not the listener's log")
	}
	// Plain HTTP gets the 400 through the server too.
	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("plain HTTP: %v %v", resp, err)
	}
	resp.Body.Close()

	plain, _ := net.Listen("tcp", "127.0.0.1:0")
	defer plain.Close()
	if _, err := tlsdefault.NewServer(plain, http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "not from Listen") {
		t.Fatalf("NewServer on a plain listener: %v", err)
	}
	if _, err := tlsdefault.NewServer(ln, nil); err == nil {
		t.Fatal("NewServer with a nil handler")
	}
}

func TestServe(t *testing.T) {
	ca := testpki.NewCA(t)
	// Find a free port, then serve on it.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- tlsdefault.Serve(ctx, addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "finished")
		}), tlsdefault.WithCertificate(ca.Server(t).TLS()), tlsdefault.WithErrorLog(quietLog()))
	}()
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		for range 100 { // until Serve has bound the address
			_, body, err := get(t, c, "https://"+addr)
			if err == nil {
				got <- body
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		got <- "never served"
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("request not served")
	}
	cancel() // graceful: the request in flight finishes
	time.Sleep(50 * time.Millisecond)
	close(release)
	if body := <-got; body != "finished" {
		t.Fatalf("request in flight: %q", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := tlsdefault.Serve(context.Background(), addr, http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "no server certificate") {
		t.Fatalf("Serve without a certificate: %v", err)
	}
}

// pipeListener hands out in-memory connections, so that a server can run
// inside a testing/synctest bubble with fake time.
type pipeListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (p *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.ch:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeListener) Close() error   { p.once.Do(func() { close(p.done) }); return nil }
func (p *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443} }

func (p *pipeListener) dial() net.Conn {
	a, b := net.Pipe()
	p.ch <- a
	return b
}

// TestNewServerClosesSilentPeers: a peer that completes the handshake and
// then sends nothing (or only the HTTP/2 preface) does not hold its
// connection, or a WithMaxConns slot, for longer than a bounded time.
func TestNewServerClosesSilentPeers(t *testing.T) {
	ca := testpki.NewCA(t)
	cert := ca.Server(t).TLS()
	realNow := time.Now() // a bubble's clock starts in 2000
	preface := "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"
	tests := []struct {
		name, proto, send string
		max               time.Duration
	}{
		{"http1-silent", "http/1.1", "", 10 * time.Second},
		{"http1-partial-header", "http/1.1", "GET / HTTP/1.1\r\nHost: x\r\n", 10 * time.Second},
		{"h2-no-preface", "h2", "", 10 * time.Second},
		{"h2-preface-then-silent", "h2", preface, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				inner := newPipeListener()
				ln, err := tlsdefault.NewListener(inner, tlsdefault.WithCertificate(cert), tlsdefault.WithErrorLog(quietLog()), tlsdefault.WithMaxConns(1))
				if err != nil {
					t.Fatal(err)
				}
				srv, err := tlsdefault.NewServer(ln, http.NotFoundHandler())
				if err != nil {
					t.Fatal(err)
				}
				srv.ErrorLog = quietLog()
				go srv.Serve(ln)
				defer srv.Close()
				// TLS 1.2: over a synchronous pipe a TLS 1.3 server's
				// session tickets would wait for a reader.
				tc := tls.Client(inner.dial(), &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", Time: func() time.Time { return realNow }, MaxVersion: tls.VersionTLS12, NextProtos: []string{tt.proto}})
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				if tc.ConnectionState().NegotiatedProtocol != tt.proto {
					t.Fatalf("negotiated %q", tc.ConnectionState().NegotiatedProtocol)
				}
				start := time.Now()
				if tt.send != "" {
					io.WriteString(tc, tt.send)
				}
				_, err = io.Copy(io.Discard, tc) // until the server closes
				elapsed := time.Since(start)
				if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
					t.Logf("read: %v", err)
				}
				if elapsed > tt.max || elapsed < time.Second {
					t.Fatalf("silent peer closed after %v, want within %v", elapsed, tt.max)
				}
				t.Logf("closed after %v", elapsed)
				tc.Close()
			})
		})
	}
}

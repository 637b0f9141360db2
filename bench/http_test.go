package bench

import (
	"crypto/tls"
	"io"
	"net/http"
	"testing"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/bench/internal/benchpki"
)

const implCleanhttp = "cleanhttp"

// httpServer serves a two-byte body over tlsdefault.Listen (HTTP/2 and
// HTTP/1.1, session tickets on: the stdlib's server defaults). Every client
// of a benchmark talks to the same kind of server.
func httpServer(tb testing.TB, p *benchpki.PKI) (url string, stop func()) {
	tb.Helper()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(p.TLSCert))
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	return "https://" + ln.Addr().String() + "/", func() {
		srv.Close()
		<-done
	}
}

// httpClient returns the client of impl trusting p's root: tlsdefault's
// NewClient, a clone of http.DefaultTransport, or go-cleanhttp's pooled
// transport, the last two with TLSClientConfig{RootCAs} only. With h1only
// the transport speaks HTTP/1.1 alone.
func httpClient(tb testing.TB, impl string, p *benchpki.PKI, h1only bool) *http.Client {
	tb.Helper()
	var c *http.Client
	switch impl {
	case implOurs:
		var err error
		c, err = tlsdefault.NewClient(tlsdefault.WithCAData(p.RootPEM))
		if err != nil {
			tb.Fatal(err)
		}
	case implStdlib:
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: p.Roots}
		c = &http.Client{Transport: t}
	case implCleanhttp:
		t := cleanhttp.DefaultPooledTransport()
		t.TLSClientConfig = &tls.Config{RootCAs: p.Roots}
		c = &http.Client{Transport: t}
	}
	if h1only {
		t := c.Transport.(*http.Transport)
		t.Protocols = new(http.Protocols)
		t.Protocols.SetHTTP1(true)
	}
	return c
}

// get makes one request and reads the response; it reports whether the
// connection's handshake resumed a session and the protocol.
func get(c *http.Client, url string) (resumed bool, proto string, err error) {
	resp, err := c.Get(url)
	if err != nil {
		return false, "", err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.TLS != nil {
		resumed = resp.TLS.DidResume
	}
	return resumed, resp.Proto, err
}

// BenchmarkP2NewConn measures a request on a new HTTPS connection to a
// host the client has visited before (the transport's idle connections are
// closed after each request), with ECDSA and RSA leaves. NewClient keeps a
// TLS session cache and resumes; http.DefaultTransport and go-cleanhttp
// have none and do a full handshake each time. resumed/op is the fraction
// of handshakes that resumed.
func BenchmarkP2NewConn(b *testing.B) {
	for _, keyType := range []string{benchpki.ECDSA, benchpki.RSA} {
		p := benchpki.Get(keyType)
		for _, impl := range []string{implStdlib, implCleanhttp, implOurs} {
			b.Run("cert="+keyType+"/impl="+impl, func(b *testing.B) {
				url, stop := httpServer(b, p)
				defer stop()
				c := httpClient(b, impl, p, false)
				defer c.CloseIdleConnections()
				if _, proto, err := get(c, url); err != nil { // the visit
					b.Fatal(err)
				} else if proto != "HTTP/2.0" {
					b.Fatalf("negotiated %s, want HTTP/2.0", proto)
				}
				c.CloseIdleConnections()
				resumed := 0
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU(b)
				for i := 0; i < b.N; i++ {
					r, _, err := get(c, url)
					if err != nil {
						b.Fatal(err)
					}
					if r {
						resumed++
					}
					c.CloseIdleConnections()
				}
				cpu.report(b)
				b.ReportMetric(float64(resumed)/float64(b.N), "resumed/op")
			})
		}
	}
}

// BenchmarkP3KeepAlive measures requests on one kept-alive connection,
// HTTP/1.1 and HTTP/2, ECDSA leaf.
func BenchmarkP3KeepAlive(b *testing.B) {
	p := benchpki.Get(benchpki.ECDSA)
	for _, proto := range []string{"HTTP1", "HTTP2"} {
		for _, impl := range []string{implStdlib, implCleanhttp, implOurs} {
			b.Run("proto="+proto+"/impl="+impl, func(b *testing.B) {
				url, stop := httpServer(b, p)
				defer stop()
				c := httpClient(b, impl, p, proto == "HTTP1")
				defer c.CloseIdleConnections()
				want := map[string]string{"HTTP1": "HTTP/1.1", "HTTP2": "HTTP/2.0"}[proto]
				if _, got, err := get(c, url); err != nil {
					b.Fatal(err)
				} else if got != want {
					b.Fatalf("negotiated %s, want %s", got, want)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU(b)
				for i := 0; i < b.N; i++ {
					if _, _, err := get(c, url); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
	}
}

package tlsdefault_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// connectProxy is an HTTP proxy that tunnels CONNECT requests on loopback
// and counts them.
func connectProxy(t *testing.T) (*url.URL, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	track := func(cs ...net.Conn) {
		mu.Lock()
		open = append(open, cs...)
		mu.Unlock()
	}
	srv := &http.Server{ErrorLog: quietLog(), ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		n.Add(1)
		up, err := net.DialTimeout("tcp", r.Host, 5*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		down, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			up.Close()
			down.Close()
			return
		}
		if n := buf.Reader.Buffered(); n > 0 {
			early, _ := buf.Reader.Peek(n)
			up.Write(early)
		}
		track(up, down)
		wg.Add(2)
		go func() { defer wg.Done(); io.Copy(up, down); up.Close() }()
		go func() { defer wg.Done(); io.Copy(down, up); down.Close() }()
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, &n
}

// A clone of NewTransport's transport behaves as any http.Transport clone
// does: its own DialContext, TLSClientConfig (RootCAs, a wrapped
// VerifyConnection) and Proxy are used for HTTPS, with a cafile as with a
// hashed capath, by host name and by IP address; the original is left as
// it was.
func TestTransportCloneHonoursItsFields(t *testing.T) {
	x, y := testpki.NewCA(t), testpki.NewCA(t)
	xURL := "https://" + serveHTTPS(t, plainServer(x.Server(t)), nil)
	yAddr := serveHTTPS(t, plainServer(y.Server(t)), nil)
	yURL := "https://" + yAddr
	yByName := "https://localhost:" + port(yAddr)
	dir, _ := hashedDir(t, x, y)
	for src, opts := range map[string][]tlsdefault.Option{
		"cadata": {tlsdefault.WithCAData(x.CertPEM()), tlsdefault.WithCAData(y.CertPEM())},
		"capath": {tlsdefault.WithCAPath(dir)},
	} {
		tr, err := tlsdefault.NewTransport(opts...)
		if err != nil {
			t.Fatal(err)
		}
		client := func(rt http.RoundTripper) *http.Client { return &http.Client{Transport: rt} }
		t.Run(src+"/DialContext", func(t *testing.T) {
			t2 := tr.Clone()
			blocked := errors.New("blocked by the guard")
			var calls atomic.Int32
			t2.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				calls.Add(1)
				if addr != yAddr && addr != "localhost:"+port(yAddr) {
					return nil, blocked
				}
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}
			if _, _, err := get(t, client(t2), xURL); !errors.Is(err, blocked) {
				t.Fatalf("the clone's DialContext guard was not used: %v", err)
			}
			if _, _, err := get(t, client(t2), yURL); err != nil || calls.Load() != 2 {
				t.Fatalf("guard called %d times, err %v", calls.Load(), err)
			}
			if _, _, err := get(t, client(tr), xURL); err != nil {
				t.Fatalf("the original transport changed: %v", err)
			}
		})
		t.Run(src+"/RootCAs", func(t *testing.T) {
			t2 := tr.Clone()
			t2.TLSClientConfig.RootCAs = y.Pool()
			_, _, err := get(t, client(t2), xURL)
			mustAs[x509.UnknownAuthorityError](t, err)
			for _, u := range []string{yURL, yByName} {
				if _, _, err := get(t, client(t2), u); err != nil {
					t.Fatalf("%s: %v", u, err)
				}
			}
			if _, _, err := get(t, client(tr), xURL); err != nil {
				t.Fatalf("the original transport changed: %v", err)
			}
		})
		t.Run(src+"/VerifyConnection", func(t *testing.T) {
			t2 := tr.Clone()
			ours := t2.TLSClientConfig.VerifyConnection
			pinned := errors.New("pin mismatch")
			var calls atomic.Int32
			t2.TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error {
				calls.Add(1)
				if err := ours(cs); err != nil {
					return err
				}
				return pinned
			}
			if _, _, err := get(t, client(t2), yURL); !errors.Is(err, pinned) || calls.Load() != 1 {
				t.Fatalf("the clone's VerifyConnection called %d times, err %v", calls.Load(), err)
			}
		})
		t.Run(src+"/Proxy", func(t *testing.T) {
			proxy, connects := connectProxy(t)
			t2 := tr.Clone()
			defer t2.CloseIdleConnections()
			t2.Proxy = http.ProxyURL(proxy)
			if _, _, err := get(t, client(t2), yURL); err != nil {
				t.Fatal(err)
			}
			if connects.Load() != 1 {
				t.Fatalf("the clone's proxy saw %d CONNECT requests, want 1", connects.Load())
			}
			// And a clone told to trust only Y still refuses X through it.
			t2.TLSClientConfig.RootCAs = y.Pool()
			_, _, err := get(t, client(t2), xURL)
			mustAs[x509.UnknownAuthorityError](t, err)
		})
	}
}

// NewClient's transport dials HTTPS itself (DialTLSContext); as its
// documentation says, a clone of it with DialTLSContext set to nil is
// an http.Transport that honours its own fields.
func TestNewClientTransportCloneWithoutDialler(t *testing.T) {
	x := testpki.NewCA(t)
	addr := serveHTTPS(t, plainServer(x.Server(t)), nil)
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(x.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Transport.(*http.Transport)
	if tr.DialTLSContext == nil {
		t.Fatal("NewClient's transport has no dialler")
	}
	t2 := tr.Clone()
	t2.DialTLSContext = nil
	blocked := errors.New("blocked by the guard")
	t2.DialContext = func(context.Context, string, string) (net.Conn, error) { return nil, blocked }
	if _, _, err := get(t, &http.Client{Transport: t2}, "https://"+addr); !errors.Is(err, blocked) {
		t.Fatalf("guard not used: %v", err)
	}
	if _, _, err := get(t, c, "https://"+addr); err != nil {
		t.Fatalf("the original client changed: %v", err)
	}
}

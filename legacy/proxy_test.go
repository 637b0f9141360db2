package legacy_test

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// connectProxy is an HTTP proxy on loopback that answers CONNECT only,
// tunnelling to addrs[host] (whatever port was asked), and records the
// hosts asked for.
type connectProxy struct {
	addrs map[string]string
	mu    sync.Mutex
	asked []string
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.asked = append(p.asked, host)
	p.mu.Unlock()
	to, ok := p.addrs[host]
	if !ok {
		http.Error(w, "no such host", http.StatusBadGateway)
		return
	}
	up, err := net.DialTimeout("tcp", to, 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer up.Close()
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, buf); done <- struct{}{} }()
	go func() { io.Copy(conn, up); done <- struct{}{} }()
	<-done
}

func (p *connectProxy) hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// startProxy serves p on loopback and returns its URL.
func startProxy(t *testing.T, p *connectProxy) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ErrorLog: discardLog, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}
}

// Through an HTTP proxy, net/http does the TLS handshake itself with the
// transport's TLSClientConfig: a host in the scope of legacy.ForHosts is
// still reached with TLS 1.0, a host out of scope that picks an old
// version is refused (fail closed), a modern host out of scope is reached
// as usual, and a host dialled by IP address is out of scope (crypto/tls
// does not tell the verifier the address).
func TestForHostsThroughProxy(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test", "new.test", "modern.test", "127.0.0.1")
	tls10 := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}))
	modern := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}}))
	p := &connectProxy{addrs: map[string]string{"old.test": tls10, "new.test": tls10, "modern.test": modern, "127.0.0.1": tls10}}
	proxy := startProxy(t, p)

	var n legacy.Counter
	c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()),
		legacy.Allow(legacy.ForHosts("old.test", "127.0.0.1"), legacy.Quiet(), legacy.Observe(&n)))
	c.Transport.(*http.Transport).Proxy = http.ProxyURL(proxy)

	resp, err := get(c, "https://old.test/")
	if err != nil {
		t.Fatalf("old.test is in scope, through the proxy: %v", err)
	}
	if resp.TLS.Version != tls.VersionTLS10 {
		t.Errorf("old.test: %s, want TLS 1.0", tls.VersionName(resp.TLS.Version))
	}
	if p := n.Peers(); n.Count() != 1 || p["old.test"].Count != 1 {
		t.Errorf("Counter: %d, %v; want one handshake with old.test", n.Count(), p)
	}

	_, err = get(c, "https://new.test/")
	if err == nil {
		t.Fatal("new.test is out of scope but was reached at TLS 1.0 through the proxy")
	}
	if !strings.Contains(err.Error(), "legacy") || !strings.Contains(err.Error(), "new.test") {
		t.Errorf("new.test: the error does not say that legacy mode does not cover it: %v", err)
	}

	resp, err = get(c, "https://modern.test/")
	if err != nil {
		t.Fatalf("modern.test through the proxy: %v", err)
	}
	if resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("modern.test: %s, want TLS 1.3", tls.VersionName(resp.TLS.Version))
	}

	_, err = get(c, "https://127.0.0.1/")
	if err == nil {
		t.Fatal("127.0.0.1 through the proxy: reached at TLS 1.0, but the documentation says an IP address is out of scope there")
	}
	t.Logf("127.0.0.1 through the proxy: %v", err)

	if got := p.hosts(); strings.Join(got, " ") != "old.test new.test modern.test 127.0.0.1" {
		t.Errorf("the proxy was asked for %v; want every request to go through it", got)
	}
	if n.Count() != 1 {
		t.Errorf("Counter: %d legacy handshakes, want 1", n.Count())
	}
}

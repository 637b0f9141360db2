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
// transport's TLSClientConfig, which NewClient never widens for a scope
// (so that no field of it can open the old versions to other hosts). So a
// host in the scope of legacy.ForHosts, by name or by IP address, is
// refused before any handshake, with an error that says why and what to
// do instead; a host out of scope that speaks only TLS 1.0 is refused by
// the strict config (fail closed); a modern host out of scope is reached
// as usual. What the error advises, a client of its own with legacy.Allow()
// without ForHosts, reaches the old host through the same proxy.
func TestForHostsThroughProxy(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t, "old.test", "oldmodern.test", "new.test", "modern.test", "127.0.0.1")
	tls10 := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}))
	modern := hostPort(t, goServer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}}))
	p := &connectProxy{addrs: map[string]string{"old.test": tls10, "oldmodern.test": modern, "new.test": tls10, "modern.test": modern, "127.0.0.1": tls10}}
	proxy := startProxy(t, p)

	var n legacy.Counter
	c := newClient(t, tlsdefault.WithCAData(ca.CertPEM()),
		legacy.Allow(legacy.ForHosts("old.test", "oldmodern.test", "127.0.0.1"), legacy.Quiet(), legacy.Observe(&n)))
	c.Transport.(*http.Transport).Proxy = http.ProxyURL(proxy)

	// In scope: refused, whatever the host speaks, saying why.
	for _, host := range []string{"old.test", "oldmodern.test", "127.0.0.1"} {
		resp, err := get(c, "https://"+host+"/")
		if err == nil {
			t.Errorf("%s is in scope and was reached through the proxy with %s; want the documented refusal", host, tls.VersionName(resp.TLS.Version))
			continue
		}
		msg := err.Error()
		for _, want := range []string{"tlsdefault: ", `"` + host + `" is in the scope of legacy.ForHosts`, "proxy", "TLSClientConfig", "NO_PROXY", "legacy.Allow() without ForHosts"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s through the proxy: the error lacks %q: %v", host, want, err)
			}
		}
	}

	// Out of scope, TLS 1.0 only: the strict config refuses it.
	if resp, err := get(c, "https://new.test/"); err == nil {
		t.Fatalf("new.test is out of scope but was reached with %s through the proxy", tls.VersionName(resp.TLS.Version))
	} else {
		t.Logf("new.test through the proxy: %v", err)
	}

	resp, err := get(c, "https://modern.test/")
	if err != nil {
		t.Fatalf("modern.test through the proxy: %v", err)
	}
	if resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("modern.test: %s, want TLS 1.3", tls.VersionName(resp.TLS.Version))
	}
	if n.Count() != 0 {
		t.Errorf("Counter: %d legacy handshakes, want none", n.Count())
	}

	// What the error advises: a client of its own, legacy.Allow() without
	// ForHosts, used only for the old host.
	dedicated := newClient(t, tlsdefault.WithCAData(ca.CertPEM()), legacy.Allow(legacy.Quiet(), legacy.Observe(&n)))
	dedicated.Transport.(*http.Transport).Proxy = http.ProxyURL(proxy)
	resp, err = get(dedicated, "https://old.test/")
	if err != nil {
		t.Fatalf("old.test through the proxy with a dedicated legacy.Allow() client: %v", err)
	}
	if resp.TLS.Version != tls.VersionTLS10 {
		t.Errorf("old.test with the dedicated client: %s, want TLS 1.0", tls.VersionName(resp.TLS.Version))
	}
	if p := n.Peers(); n.Count() != 1 || p["old.test"].Count != 1 {
		t.Errorf("Counter: %d, %v; want one handshake with old.test", n.Count(), p)
	}

	if got := p.hosts(); strings.Join(got, " ") != "old.test oldmodern.test 127.0.0.1 new.test modern.test old.test" {
		t.Errorf("the proxy was asked for %v; want every request to go through it", got)
	}
}

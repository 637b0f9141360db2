package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// Through an HTTPS_PROXY, a host of --legacy-host is refused before any
// handshake (net/http handshakes with the strict TLSClientConfig there),
// and the command says so in its own words, with what to do instead.
func TestGetLegacyHostThroughProxy(t *testing.T) {
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Method+" "+r.Host)
		mu.Unlock()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	proxy := "http://" + ln.Addr().String()
	r := runBinEnv(t, []string{"HTTPS_PROXY=" + proxy, "https_proxy=" + proxy, "NO_PROXY=", "no_proxy="},
		"get", "--cafile", caFile, "--legacy-host", "old.test", "https://old.test/")
	if r.code != exitFailure {
		t.Fatalf("want exit code %d\n%s", exitFailure, r)
	}
	for _, want := range []string{
		`"old.test" is in the scope of --legacy-host, but the request goes through a proxy`,
		"tlsdefault: hint: exempt the host from the proxy with NO_PROXY=old.test, or give --legacy instead of --legacy-host",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, api := range []string{"legacy.Allow", "legacy.ForHosts"} {
		if strings.Contains(r.stderr, api) {
			t.Errorf("stderr names the library's %s, not the flag:\n%s", api, r.stderr)
		}
	}
	checkErrorLines(t, r.stderr)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(asked, ",") != "CONNECT old.test:443" {
		t.Errorf("the proxy was asked %v; want one CONNECT to old.test:443", asked)
	}
}

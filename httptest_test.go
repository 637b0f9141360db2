package tlsdefault_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// TestHTTPTest: ServerConfig's result as the TLS of
// httptest.NewUnstartedServer presents our certificate to clients with
// and without SNI; with reloaded files, the listener is wrapped instead.
func TestHTTPTest(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto+" "+r.TLS.ServerName) })
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, url string) {
		t.Helper()
		port := url[strings.LastIndex(url, ":"):]
		for _, u := range []string{"https://127.0.0.1" + port, "https://localhost" + port} {
			resp, body, err := get(t, client, u)
			if err != nil {
				t.Fatalf("%s: %v", u, err)
			}
			if !resp.TLS.PeerCertificates[0].Equal(leaf.Cert) {
				t.Fatalf("%s: served %q, not our certificate", u, resp.TLS.PeerCertificates[0].Subject)
			}
			t.Logf("%s: %s", u, body)
		}
	}
	t.Run("ServerConfig", func(t *testing.T) {
		ts := httptest.NewUnstartedServer(h)
		cfg, err := tlsdefault.ServerConfig(tlsdefault.WithCertificate(leaf.TLS()))
		if err != nil {
			t.Fatal(err)
		}
		ts.TLS = cfg
		ts.EnableHTTP2 = true
		ts.StartTLS()
		defer ts.Close()
		check(t, ts.URL)
	})
	t.Run("NewListener", func(t *testing.T) {
		certFile, keyFile := leaf.WriteFiles(t, t.TempDir())
		ts := httptest.NewUnstartedServer(h)
		ln, err := tlsdefault.NewListener(ts.Listener, tlsdefault.WithKeyPairFiles(certFile, keyFile))
		if err != nil {
			t.Fatal(err)
		}
		ts.Listener = ln
		ts.Start() // the listener does TLS; Start sets an http:// URL
		defer ts.Close()
		check(t, "https://"+ln.Addr().String())
	})
}

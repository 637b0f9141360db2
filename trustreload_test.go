package tlsdefault_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// trustFileSize is the size every version of a test's CA file is padded
// to (PEM ignores text between blocks), so that a replacement can keep the
// size.
const trustFileSize = 8192

// The ways a CA file is replaced while a process runs.
var trustReplacements = []string{
	"rename",              // consul-template, Vault agent, trust-manager: write a temporary file, rename it over
	"..data",              // a Kubernetes secret or config map volume: a symlink swap
	"same size and mtime", // cp -p, rsync -t, tar x: same size, modification time kept
}

func padPEM(t testing.TB, blocks ...[]byte) []byte {
	t.Helper()
	data := bytes.Join(blocks, nil)
	if len(data) > trustFileSize {
		t.Fatalf("%d bytes of PEM over %d", len(data), trustFileSize)
	}
	return append(data, bytes.Repeat([]byte("\n"), trustFileSize-len(data))...)
}

// trustFile writes data as a CA file in dir, laid out for how, and
// returns its path and a function that replaces its content the way how
// says.
func trustFile(t *testing.T, dir, how string, data []byte) (path string, replace func(data []byte)) {
	t.Helper()
	switch how {
	case "rename":
		path = filepath.Join(dir, "ca.pem")
		os.WriteFile(path, data, 0o644)
		return path, func(data []byte) {
			tmp := path + ".tmp"
			if err := os.WriteFile(tmp, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}
	case "..data":
		n := 0
		version := func(data []byte) string {
			n++
			v := fmt.Sprintf("..2026_12_01_09_00_%02d.%d", n, n)
			os.Mkdir(filepath.Join(dir, v), 0o755)
			if err := os.WriteFile(filepath.Join(dir, v, "ca.crt"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			return v
		}
		os.Symlink(version(data), filepath.Join(dir, "..data"))
		path = filepath.Join(dir, "ca.crt")
		os.Symlink(filepath.Join("..data", "ca.crt"), path)
		return path, func(data []byte) {
			tmp := filepath.Join(dir, "..data_tmp")
			if err := os.Symlink(version(data), tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
				t.Fatal(err)
			}
		}
	case "same size and mtime":
		path = filepath.Join(dir, "ca.pem")
		os.WriteFile(path, data, 0o644)
		mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
		os.Chtimes(path, mtime, mtime)
		return path, func(data []byte) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(data)
			f.Close()
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(path); fi.Size() != trustFileSize || !fi.ModTime().Equal(mtime) {
				t.Fatal("set-up: size or mtime changed")
			}
		}
	}
	t.Fatalf("unknown replacement %q", how)
	return "", nil
}

// mtlsClient is a NewClient presenting leaf and trusting serverCA, making
// a new connection (resuming when it can) per request.
func mtlsClient(t *testing.T, serverCA *testpki.CA, leaf *testpki.Leaf) *http.Client {
	t.Helper()
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(serverCA.CertPEM()), tlsdefault.WithCertificate(leaf.TLS()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// fetch makes one request on a new connection and returns whether it
// resumed.
func fetch(c *http.Client, url string) (resumed bool, err error) {
	defer c.CloseIdleConnections()
	resp, err := c.Get(url)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && string(body) != "ok" {
		err = fmt.Errorf("body %q", body)
	}
	return resp.TLS.DidResume, err
}

// TestServerTrustReload: the client CAs of a server follow its CA file:
// a CA added is accepted, a CA removed is refused at the next handshake
// (also by a client holding a session ticket), a broken file keeps the
// trust in use and is reported once.
func TestServerTrustReload(t *testing.T) {
	for _, how := range trustReplacements {
		t.Run(how, func(t *testing.T) {
			ca0, ca1, ca2 := testpki.NewCA(t), testpki.NewCA(t), testpki.NewCA(t)
			caFile, replace := trustFile(t, t.TempDir(), how, padPEM(t, ca1.CertPEM()))
			var logBuf syncBuffer
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
				tlsdefault.WithCertificate(ca0.Server(t).TLS()),
				tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
				tlsdefault.WithCAFile(caFile),
				tlsdefault.WithErrorLog(log.New(&logBuf, "", 0)),
				tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			url := "https://" + serveListener(t, ln, nil) + "/"
			c1, c2 := mtlsClient(t, ca0, ca1.Client(t, "one")), mtlsClient(t, ca0, ca2.Client(t, "two"))
			if _, err := fetch(c1, url); err != nil {
				t.Fatalf("CA1 client: %v", err)
			}
			if _, err := fetch(c2, url); err == nil {
				t.Fatal("CA2 client accepted before CA2 was added")
			}

			replace(padPEM(t, ca1.CertPEM(), ca2.CertPEM()))
			if _, err := fetch(c2, url); err != nil {
				t.Fatalf("CA2 client after CA2 was added: %v", err)
			}
			resumed, err := fetch(c1, url)
			if err != nil || !resumed {
				t.Fatalf("CA1 client after CA2 was added: resumed %v, %v", resumed, err)
			}

			replace(padPEM(t, ca2.CertPEM()))
			if _, err := fetch(c1, url); err == nil {
				t.Fatal("CA1 client (holding a session ticket) accepted after CA1 was removed")
			}
			if _, err := fetch(c2, url); err != nil {
				t.Fatalf("CA2 client after CA1 was removed: %v", err)
			}

			replace(padPEM(t, []byte("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")))
			for range 3 {
				if _, err := fetch(c2, url); err != nil {
					t.Fatalf("CA2 client after a broken file: %v", err)
				}
			}
			if n := strings.Count(logBuf.String(), "keeping the previous trust"); n != 1 || !strings.Contains(logBuf.String(), "WithCAFile") {
				t.Fatalf("broken file reported %d times: %q", n, logBuf.String())
			}
		})
	}
}

// TestClientTrustReload: the servers a client trusts follow its CA file,
// through NewClient and through ClientConfig with tls.Dial.
func TestClientTrustReload(t *testing.T) {
	for _, how := range trustReplacements {
		t.Run(how, func(t *testing.T) {
			ca1, ca2 := testpki.NewCA(t), testpki.NewCA(t)
			// Under different names: the session cache is keyed by name.
			srv1 := "https://" + strings.Replace(serveHTTPS(t, &tls.Config{Certificates: []tls.Certificate{ca1.Server(t).TLS()}}, nil), "127.0.0.1", "localhost", 1) + "/"
			srv2 := "https://" + serveHTTPS(t, &tls.Config{Certificates: []tls.Certificate{ca2.Server(t).TLS()}}, nil) + "/"
			caFile, replace := trustFile(t, t.TempDir(), how, padPEM(t, ca1.CertPEM()))
			c, err := tlsdefault.NewClient(tlsdefault.WithCAFile(caFile), tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			cfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAFile(caFile), tlsdefault.WithReloadInterval(time.Nanosecond))
			if err != nil {
				t.Fatal(err)
			}
			dial := func(url string) (bool, error) {
				conn, err := tls.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "https://"), "/"), cfg)
				if err != nil {
					return false, err
				}
				defer conn.Close()
				// Read the session ticket (TLS 1.3 sends it after the handshake).
				conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				conn.Read(make([]byte, 1))
				return conn.ConnectionState().DidResume, nil
			}
			cfg.ServerName = "localhost"

			if _, err := fetch(c, srv1); err != nil {
				t.Fatalf("CA1 server: %v", err)
			}
			if _, err := dial(srv1); err != nil {
				t.Fatalf("CA1 server, tls.Dial: %v", err)
			}
			if _, err := fetch(c, srv2); err == nil {
				t.Fatal("CA2 server accepted before CA2 was added")
			}

			replace(padPEM(t, ca1.CertPEM(), ca2.CertPEM()))
			if _, err := fetch(c, srv2); err != nil {
				t.Fatalf("CA2 server after CA2 was added: %v", err)
			}
			if resumed, err := fetch(c, srv1); err != nil || !resumed {
				t.Fatalf("CA1 server after CA2 was added: resumed %v, %v", resumed, err)
			}
			if resumed, err := dial(srv1); err != nil || !resumed {
				t.Fatalf("CA1 server after CA2 was added, tls.Dial: resumed %v, %v", resumed, err)
			}

			replace(padPEM(t, ca2.CertPEM()))
			_, err = fetch(c, srv1)
			if err == nil {
				t.Fatal("CA1 server (session cached) accepted after CA1 was removed")
			}
			mustAs[x509.UnknownAuthorityError](t, err)
			_, err = dial(srv1)
			if err == nil {
				t.Fatal("CA1 server (session cached), tls.Dial: accepted after CA1 was removed")
			}
			mustAs[x509.UnknownAuthorityError](t, err)
			if _, err := fetch(c, srv2); err != nil {
				t.Fatalf("CA2 server after CA1 was removed: %v", err)
			}
		})
	}
}

// TestServerTrustReloadCAPath: the plain files of a WithCAPath directory
// are followed the same way: a file added is trusted, a file removed is not.
func TestServerTrustReloadCAPath(t *testing.T) {
	ca0, ca1, ca2 := testpki.NewCA(t), testpki.NewCA(t), testpki.NewCA(t)
	dir := t.TempDir()
	ca1.WriteFile(t, dir, "one.pem")
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(ca0.Server(t).TLS()),
		tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
		tlsdefault.WithCAPath(dir),
		tlsdefault.WithErrorLog(quietLog()),
		tlsdefault.WithReloadInterval(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + serveListener(t, ln, nil) + "/"
	c1, c2 := mtlsClient(t, ca0, ca1.Client(t, "one")), mtlsClient(t, ca0, ca2.Client(t, "two"))
	if _, err := fetch(c1, url); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(c2, url); err == nil {
		t.Fatal("CA2 client accepted before two.crt was added")
	}
	ca2.WriteFile(t, dir, "two.crt")
	if _, err := fetch(c2, url); err != nil {
		t.Fatalf("CA2 client after two.crt was added: %v", err)
	}
	os.Remove(filepath.Join(dir, "one.pem"))
	if _, err := fetch(c1, url); err == nil {
		t.Fatal("CA1 client accepted after one.pem was removed")
	}
	if _, err := fetch(c2, url); err != nil {
		t.Fatalf("CA2 client after one.pem was removed: %v", err)
	}
}

// TestTrustRotationUnderLoad: 100 requests a second, each on a new
// connection (resumed when possible), from clients with certificates of
// CA1 and, once the server's CA file gains CA2, of CA2. With the real
// reload interval: no valid client's request fails, CA2 is accepted within
// 2 s of the swap, and CA1, once removed, is refused within 2 s.
func TestTrustRotationUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test of about 15 s")
	}
	const (
		rate   = 100
		within = 2 * time.Second
	)
	for _, how := range trustReplacements {
		t.Run(how, func(t *testing.T) {
			ca0, ca1, ca2 := testpki.NewCA(t), testpki.NewCA(t), testpki.NewCA(t)
			caFile, replace := trustFile(t, t.TempDir(), how, padPEM(t, ca1.CertPEM()))
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
				tlsdefault.WithCertificate(ca0.Server(t).TLS()),
				tlsdefault.WithClientAuth(tls.RequireAndVerifyClientCert),
				tlsdefault.WithCAFile(caFile),
				tlsdefault.WithErrorLog(quietLog()))
			if err != nil {
				t.Fatal(err)
			}
			url := "https://" + serveListener(t, ln, nil) + "/"
			clients := []*http.Client{mtlsClient(t, ca0, ca1.Client(t, "one")), mtlsClient(t, ca0, ca2.Client(t, "two"))}
			for _, c := range clients {
				c.Timeout = 5 * time.Second
			}
			type result struct {
				client int
				start  time.Time
				err    error
			}
			var (
				mu      sync.Mutex
				results []result
				wg      sync.WaitGroup
				sem     = make(chan struct{}, 20) // at most 20 in flight
			)
			// load sends requests at rate for d, from the clients given,
			// in turn.
			load := func(d time.Duration, who ...int) {
				tick := time.NewTicker(time.Second / rate)
				defer tick.Stop()
				end := time.Now().Add(d)
				for i := 0; time.Now().Before(end); i++ {
					<-tick.C
					sem <- struct{}{}
					c := who[i%len(who)]
					wg.Go(func() {
						defer func() { <-sem }()
						start := time.Now()
						_, err := fetch(clients[c], url)
						mu.Lock()
						results = append(results, result{c, start, err})
						mu.Unlock()
					})
				}
			}
			load(500*time.Millisecond, 0)
			tAdd := time.Now()
			replace(padPEM(t, ca1.CertPEM(), ca2.CertPEM()))
			load(within+500*time.Millisecond, 0, 1)
			tRemove := time.Now()
			replace(padPEM(t, ca2.CertPEM()))
			load(within+500*time.Millisecond, 0, 1)
			wg.Wait()

			var firstCA2 time.Time
			n := [2]int{}
			for _, r := range results {
				n[r.client]++
				if r.client == 1 && r.err == nil && (firstCA2.IsZero() || r.start.Before(firstCA2)) {
					firstCA2 = r.start
				}
			}
			if firstCA2.IsZero() || firstCA2.Sub(tAdd) > within {
				t.Fatalf("CA2 not accepted within %v of the swap (first success %v after)", within, firstCA2.Sub(tAdd))
			}
			var lastCA1 time.Time
			for _, r := range results {
				switch {
				case r.client == 0 && r.start.Before(tRemove) && r.err != nil:
					t.Errorf("CA1 client failed while CA1 was trusted (%v after the start of the removal): %v", r.start.Sub(tRemove), r.err)
				case r.client == 1 && r.start.After(firstCA2) && r.err != nil:
					t.Errorf("CA2 client failed after CA2 was accepted: %v", r.err)
				case r.client == 0 && r.start.After(tRemove) && r.err == nil:
					lastCA1 = r.start
				}
			}
			if d := lastCA1.Sub(tRemove); d > within {
				t.Errorf("CA1 still accepted %v after its removal", d)
			}
			t.Logf("%d requests from CA1, %d from CA2; CA2 accepted %v after the swap; CA1 refused from %v after its removal",
				n[0], n[1], firstCA2.Sub(tAdd).Round(time.Millisecond), max(0, lastCA1.Sub(tRemove)).Round(time.Millisecond))
		})
	}
}

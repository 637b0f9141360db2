package tlsdefault_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// writeTicketKeys replaces path (atomically, mode 0600) with a key file
// holding keys, the first encrypting.
func writeTicketKeys(t testing.TB, path string, keys ...string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte("# test keys\n"+strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func newTicketKey(t testing.TB) string {
	var k [32]byte
	rand.Read(k[:])
	return base64.StdEncoding.EncodeToString(k[:])
}

// fleet is n servers on loopback with the same certificate.
type fleet struct {
	addrs []string
	lns   []net.Listener
	logs  []*syncBuffer
}

func startFleet(t *testing.T, n int, leaf *testpki.Leaf, opts ...tlsdefault.Option) *fleet {
	t.Helper()
	f := &fleet{}
	for i := range n {
		buf := new(syncBuffer)
		o := append([]tlsdefault.Option{tlsdefault.WithCertificate(leaf.TLS()), tlsdefault.WithErrorLog(log.New(buf, "", 0))}, opts...)
		ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", o...)
		if err != nil {
			t.Fatal(err)
		}
		addr := serveListener(t, ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "server %d", i)
		}))
		f.addrs, f.lns, f.logs = append(f.addrs, addr), append(f.lns, ln), append(f.logs, buf)
	}
	return f
}

// roundRobin is a client of the fleet behind a round-robin "load
// balancer" (its dialer): each request is a new connection, to the next
// server, under the one name "localhost".
type roundRobin struct {
	client *http.Client
	tr     *http.Transport
	next   atomic.Int64
	f      *fleet
}

func newRoundRobin(t testing.TB, f *fleet, ca *testpki.CA) *roundRobin {
	t.Helper()
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	rr := &roundRobin{client: c, tr: c.Transport.(*http.Transport), f: f}
	rr.tr.DisableKeepAlives = true
	var d net.Dialer
	rr.tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		i := rr.next.Add(1) - 1
		return d.DialContext(ctx, network, f.addrs[int(i)%len(f.addrs)])
	}
	t.Cleanup(rr.tr.CloseIdleConnections)
	return rr
}

// get makes one request on a new connection and returns which server
// answered and whether the session was resumed.
func (rr *roundRobin) get(t testing.TB) (server string, resumed bool) {
	t.Helper()
	defer rr.tr.CloseIdleConnections()
	resp, err := rr.client.Get("https://localhost/")
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp.TLS.DidResume
}

// TestFleetSharedTicketKeys: three servers sharing a ticket key file
// resume each other's sessions; a rotation (new key first, old kept)
// keeps old tickets valid; dropping the old key falls back to full
// handshakes without a failed request.
func TestFleetSharedTicketKeys(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Server(t)
	path := filepath.Join(t.TempDir(), "ticket.keys")
	k1, k2 := newTicketKey(t), newTicketKey(t)
	writeTicketKeys(t, path, k1)
	// The file is checked at every ticket.
	f := startFleet(t, 3, leaf, tlsdefault.WithSessionTicketKeyFile(path), tlsdefault.WithReloadInterval(time.Nanosecond))

	main := newRoundRobin(t, f, ca)
	if s, resumed := main.get(t); resumed || s != "server 0" {
		t.Fatalf("first request: %s, resumed %v", s, resumed)
	}
	for i := 1; i <= 6; i++ {
		s, resumed := main.get(t)
		if want := fmt.Sprintf("server %d", i%3); s != want {
			t.Fatalf("request %d answered by %s, want %s", i, s, want)
		}
		if !resumed {
			t.Fatalf("request %d (%s) did not resume", i, s)
		}
	}
	// Clients that got a ticket under k1 and then wait. Each makes its
	// first request after the rotation to a different server.
	waiting := func() []*roundRobin {
		var rrs []*roundRobin
		for i := range 3 {
			rr := newRoundRobin(t, f, ca)
			rr.next.Store(int64(i))
			rr.get(t)
			rrs = append(rrs, rr)
		}
		return rrs
	}
	beforeRotation, beforeDrop := waiting(), waiting()

	writeTicketKeys(t, path, k2, k1)
	for i, rr := range beforeRotation {
		s, resumed := rr.get(t)
		if !resumed {
			t.Errorf("after the rotation, a ticket issued under the old key did not resume on %s (client %d)", s, i)
		}
	}
	for range 3 {
		if s, resumed := main.get(t); !resumed {
			t.Errorf("after the rotation, %s did not resume", s)
		}
	}

	writeTicketKeys(t, path, k2)
	for i, rr := range beforeDrop {
		s, resumed := rr.get(t)
		if resumed {
			t.Errorf("after the old key was dropped, a ticket under it resumed on %s (client %d)", s, i)
		}
		// The full handshake gave it a ticket under the new key.
		if s, resumed := rr.get(t); !resumed {
			t.Errorf("client %d did not resume on %s after its full handshake", i, s)
		}
	}
	for range 3 {
		if s, resumed := main.get(t); !resumed {
			t.Errorf("with the new key only, %s did not resume a ticket under it", s)
		}
	}
	for i, l := range f.logs {
		if s := l.String(); s != "" {
			t.Errorf("server %d logged: %s", i, s)
		}
	}
}

// TestFleetWithoutSharedKeys: each server has its own keys, so a client
// going round the fleet never resumes.
func TestFleetWithoutSharedKeys(t *testing.T) {
	ca := testpki.NewCA(t)
	f := startFleet(t, 3, ca.Server(t))
	rr := newRoundRobin(t, f, ca)
	n := 0
	for range 7 {
		if _, resumed := rr.get(t); resumed {
			n++
		}
	}
	if n != 0 {
		t.Fatalf("%d of 7 connections resumed across servers with separate keys", n)
	}
}

// TestTicketKeyFileBroken: a broken new file keeps the keys, is reported
// once, and the report holds no key.
func TestTicketKeyFileBroken(t *testing.T) {
	ca := testpki.NewCA(t)
	path := filepath.Join(t.TempDir(), "ticket.keys")
	k1 := newTicketKey(t)
	writeTicketKeys(t, path, k1)
	f := startFleet(t, 2, ca.Server(t), tlsdefault.WithSessionTicketKeyFile(path), tlsdefault.WithReloadInterval(time.Nanosecond))
	rr := newRoundRobin(t, f, ca)
	rr.get(t)
	writeTicketKeys(t, path, k1, k1[:30]+"!"+k1[31:])
	for i := range 4 {
		if s, resumed := rr.get(t); !resumed {
			t.Fatalf("request %d: %s did not resume with the kept keys", i, s)
		}
	}
	for i, l := range f.logs {
		s := l.String()
		if strings.Count(s, "keeping the previous session ticket keys") != 1 || !strings.Contains(s, "line 3") {
			t.Errorf("server %d: broken file not reported once with its line: %q", i, s)
		}
		if strings.Contains(s, k1[:12]) || strings.Contains(s, k1[32:]) {
			t.Errorf("server %d: log holds key material: %q", i, s)
		}
	}
}

func TestTicketKeyFileErrors(t *testing.T) {
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	cert := tlsdefault.WithCertificate(ca.Server(t).TLS())
	loose := filepath.Join(dir, "loose.keys")
	k := newTicketKey(t)
	os.WriteFile(loose, []byte(k+"\n"), 0o644)
	os.Chmod(loose, 0o644)
	empty := filepath.Join(dir, "empty.keys")
	os.WriteFile(empty, []byte("# nothing yet\n"), 0o600)
	bad := filepath.Join(dir, "bad.keys")
	os.WriteFile(bad, []byte(k[:43]+"\n"), 0o600)
	for _, tc := range []struct {
		name string
		opts []tlsdefault.Option
		want []string
	}{
		{"group or others may read", []tlsdefault.Option{cert, tlsdefault.WithSessionTicketKeyFile(loose)}, []string{"tlsdefault: WithSessionTicketKeyFile: ", loose, "group or others", "chmod 600"}},
		{"no key", []tlsdefault.Option{cert, tlsdefault.WithSessionTicketKeyFile(empty)}, []string{empty, "no key"}},
		{"bad key", []tlsdefault.Option{cert, tlsdefault.WithSessionTicketKeyFile(bad)}, []string{bad, "line 1"}},
		{"missing", []tlsdefault.Option{cert, tlsdefault.WithSessionTicketKeyFile(filepath.Join(dir, "missing"))}, []string{"missing", "no such file"}},
		{"empty path", []tlsdefault.Option{cert, tlsdefault.WithSessionTicketKeyFile("")}, []string{"WithSessionTicketKeyFile: empty path"}},
		{"twice", []tlsdefault.Option{cert, tlsdefault.WithSessionTicketKeyFile(bad), tlsdefault.WithSessionTicketKeyFile(empty)}, []string{"given twice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tlsdefault.ServerConfig(tc.opts...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), k[:12]) {
				t.Errorf("error holds key material: %q", err)
			}
		})
	}
	if _, err := tlsdefault.NewClient(tlsdefault.WithSessionTicketKeyFile(bad)); err == nil || !strings.Contains(err.Error(), "applies to servers") {
		t.Errorf("client: %v", err)
	}
}

package tlsdefault_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsdefault/tlsdefault"
)

// Two servers share a session ticket key file, so that a client resumes
// on one the session it made with the other (behind a load balancer, any
// server of the fleet).
func ExampleWithSessionTicketKeyFile() {
	dir, err := os.MkdirTemp("", "fleet")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// What `tlsdefault ticket-keys new` (or `openssl rand -base64 32`) writes.
	var key [32]byte
	rand.Read(key[:])
	keys := filepath.Join(dir, "ticket.keys")
	if err := os.WriteFile(keys, []byte(base64.StdEncoding.EncodeToString(key[:])+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	cert, caDER := throwawayCert()
	var addrs []string
	for range 2 {
		ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(cert), tlsdefault.WithSessionTicketKeyFile(keys))
		if err != nil {
			log.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
		go srv.Serve(ln)
		defer srv.Close()
		addrs = append(addrs, ln.Addr().String())
	}

	// A client going round the servers, a new connection each time.
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(caDER))
	if err != nil {
		log.Fatal(err)
	}
	tr := client.Transport.(*http.Transport)
	tr.DisableKeepAlives = true
	var n atomic.Int64
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addrs[n.Add(1)%2])
	}
	for i := range 4 {
		resp, err := client.Get("https://127.0.0.1/")
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("connection %d: resumed %v\n", i+1, resp.TLS.DidResume)
	}
	// Output:
	// connection 1: resumed false
	// connection 2: resumed true
	// connection 3: resumed true
	// connection 4: resumed true
}

// counting is a slog.Handler that counts the records of tlsdefault by
// event and level, as a program would in its metrics (a Prometheus
// counter with labels event and level, say), and hands every record on.
type counting struct {
	slog.Handler
	mu     sync.Mutex
	counts map[string]int
}

func (c *counting) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "event" {
			c.mu.Lock()
			c.counts[a.Value.String()+" "+r.Level.String()]++
			c.mu.Unlock()
			return false
		}
		return true
	})
	return c.Handler.Handle(ctx, r)
}

func (c *counting) Enabled(context.Context, slog.Level) bool { return true } // count debug records too

func (c *counting) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k, v := range c.counts {
		out = append(out, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(out)
	return out
}

// Count the records of WithLogger in a program's own metrics: here, a
// certificate that expires within 7 days (the throwaway one is valid for
// an hour) and a client speaking plain HTTP to the TLS port.
func ExampleWithLogger() {
	metrics := &counting{Handler: slog.NewTextHandler(io.Discard, nil), counts: map[string]int{}}
	cert, _ := throwawayCert()
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(cert), tlsdefault.WithLogger(slog.New(metrics)))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	go srv.Serve(ln)
	defer srv.Close()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: example\r\n\r\n")
	io.Copy(io.Discard, c)
	c.Close()
	for range 100 { // the failure is reported once the connection is closed
		if len(metrics.snapshot()) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, line := range metrics.snapshot() {
		fmt.Println(line)
	}
	// Output:
	// certificate_expiry WARN: 1
	// handshake_failed DEBUG: 1
}

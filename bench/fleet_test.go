package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/bench/internal/benchpki"
)

// fleetOf starts n tlsdefault.Listen servers with the same certificate
// and options and returns a client that goes round them (a new connection
// per request, each to the next server, all under the name "localhost"),
// as behind a round-robin load balancer.
func fleetOf(b *testing.B, p *benchpki.PKI, n int, opts ...tlsdefault.Option) (get func() (resumed bool, err error)) {
	b.Helper()
	var addrs []string
	for range n {
		ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", append([]tlsdefault.Option{tlsdefault.WithCertificate(p.TLSCert)}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })
		addrs = append(addrs, ln.Addr().String())
	}
	c, err := tlsdefault.NewClient(tlsdefault.WithCAData(p.RootPEM))
	if err != nil {
		b.Fatal(err)
	}
	tr := c.Transport.(*http.Transport)
	tr.DisableKeepAlives = true
	var next atomic.Int64
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addrs[int(next.Add(1))%len(addrs)])
	}
	b.Cleanup(tr.CloseIdleConnections)
	return func() (bool, error) {
		defer tr.CloseIdleConnections()
		resp, err := c.Get("https://localhost/")
		if err != nil {
			return false, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.TLS.DidResume, err
	}
}

// BenchmarkFleetResumption: one request on a new connection to a fleet of
// three servers behind a round-robin client, with the servers sharing a
// session ticket key file (WithSessionTicketKeyFile: every connection after
// the first resumes) and without (each server its own keys: none
// resumes). Reported as separate-ns/shared-ns and the same in CPU.
func BenchmarkFleetResumption(b *testing.B) {
	for _, keyType := range []string{benchpki.ECDSA, benchpki.RSA} {
		b.Run("cert="+keyType, func(b *testing.B) {
			p := benchpki.Get(keyType)
			var k [32]byte
			rand.Read(k[:])
			path := filepath.Join(scratchDir, "fleet-"+keyType+".keys")
			if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k[:])+"\n"), 0o600); err != nil {
				b.Fatal(err)
			}
			shared := fleetOf(b, p, 3, tlsdefault.WithSessionTicketKeyFile(path))
			separate := fleetOf(b, p, 3)
			check := func(name string, get func() (bool, error), want bool) func() error {
				return func() error {
					resumed, err := get()
					if err == nil && resumed != want {
						err = fmt.Errorf("%s: resumed %v, want %v", name, resumed, want)
					}
					return err
				}
			}
			shared() // the first connection of the shared fleet is a full handshake
			runPaired(b, []pairOp{
				{"shared", check("shared", shared, true)},
				{"separate", check("separate", separate, false)},
			}, []ratio{
				{"separate", "shared", false},
				{"separate", "shared", true},
			})
		})
	}
}

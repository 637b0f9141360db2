package tlsdefault_test

// Hardening tests: misbehaving peers, the connection cap, key pair rotation
// under load, and hostile trust inputs for package capool. Everything runs
// on 127.0.0.1, and every loop is bounded in count and in time. The
// outside scanner (testssl.sh) is in scanner_test.go; the fuzzers of the
// capool parsers are in capool/fuzz_test.go (run by .ci/fuzz.sh).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// openFileLimit returns the soft limit on open files of this process, or 0
// when it cannot be read (not Linux). The Go runtime already raises the
// soft limit to the hard limit at start-up on Unix systems, so there is
// nothing left to raise here: a test that needs more descriptors than this
// scales itself down instead.
func openFileLimit() int {
	f, err := os.Open("/proc/self/limits")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Max open files"); ok {
			if fields := strings.Fields(rest); len(fields) > 0 {
				if n, err := strconv.Atoi(fields[0]); err == nil {
					return n
				}
			}
		}
	}
	return 0
}

// settleGoroutines waits (at most d) until the number of goroutines is at
// most want, and returns the last count.
func settleGoroutines(want int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// heapAlloc returns the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// within runs f and fails the test if it does not return within d: a hang
// becomes a failure instead of a test binary timeout.
// skipFloodInShort skips a flood of connections under -short, which
// keeps "go test -short ./..." well under a minute; CI runs them.
func skipFloodInShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("a flood of connections: skipped under -short")
	}
}

func within(t *testing.T, d time.Duration, what string, f func()) time.Duration {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
		return 0
	}
}

// realClientHello returns the bytes of one ClientHello record as
// crypto/tls sends it.
func realClientHello(t *testing.T) []byte {
	t.Helper()
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	go tls.Client(c1, &tls.Config{ServerName: "localhost"}).Handshake()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c2, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c2, body); err != nil {
		t.Fatal(err)
	}
	return append(hdr, body...)
}

// firstError keeps the first error stored in it (atomic.Value would panic
// on errors of different types).
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// lines counts the non-empty lines of s.
func lines(s string) int {
	n := 0
	for l := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// TestHardeningMisbehavingPeers throws 1,000 silent connections, peers that
// send half a ClientHello and stall, plain HTTP, random bytes and TCP
// resets at one Listen server at once, while a normal client keeps making
// requests on fresh connections. Each normal request must succeed within
// requestBound; every bad peer must be closed by the server, not before the
// handshake timeout for the silent and stalled ones and not long after it;
// afterwards goroutines and heap return to the baseline, and the failed
// handshakes are logged at a bounded rate (about one line a second).
func TestHardeningMisbehavingPeers(t *testing.T) {
	skipFloodInShort(t)
	const (
		// Long enough that all the bad peers are open at once even when
		// dialling them takes a second (-race, two CPUs shared with other
		// test binaries), short enough to keep the test quick.
		handshakeTimeout = 2 * time.Second
		requestBound     = time.Second
		closeSlack       = 3 * time.Second // beyond the handshake timeout, for -race on a small machine
		halfN            = 50
		httpN            = 50
		randomN          = 50
		resetN           = 200
	)
	silentN := 1000
	// Each peer costs two descriptors in this process (both ends), plus
	// headroom for the normal client, the test binary and the runtime.
	if lim := openFileLimit(); lim > 0 && 2*(silentN+halfN+httpN+randomN+resetN)+300 > lim {
		silentN = max(50, (lim-300)/2-halfN-httpN-randomN-resetN)
		t.Logf("open file limit is %d: using %d silent peers instead of 1000", lim, silentN)
	}

	ca := testpki.NewCA(t)
	var logBuf syncBuffer
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithHandshakeTimeout(handshakeTimeout),
		tlsdefault.WithErrorLog(log.New(&logBuf, "", 0)))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		ErrorLog:          quietLog(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()
	url := "https://" + addr + "/"

	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	tr := client.Transport.(*http.Transport)
	// HTTP/1.1 for the normal client: Go's HTTP/2 client keeps each closed
	// connection reachable from its read-idle (health check) timer until
	// that fires, 30 s (SendPingTimeout) after the last frame, which would
	// show here as heap growth that is not the server's.
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP1(true)
	// fresh makes one request on a new connection, so that each one goes
	// through the listener's accept and handshake path.
	fresh := func() (time.Duration, error) {
		tr.CloseIdleConnections()
		start := time.Now()
		resp, err := client.Get(url)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return time.Since(start), err
	}
	for range 3 {
		if _, err := fresh(); err != nil {
			t.Fatal(err)
		}
	}
	tr.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
	baseG := settleGoroutines(0, 300*time.Millisecond)
	baseHeap := heapAlloc()
	const goroutineSlack = 5
	hello := realClientHello(t)

	rng := mrand.New(mrand.NewPCG(1, 2))
	junk := make([]byte, randomN*4096)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	// flood runs one round of bad peers against the server, with the
	// normal client going throughout, and checks them; it returns how long
	// it took and how many bad peers there were.
	flood := func(round int) (time.Duration, int) {
		// The normal client, throughout.
		stop := make(chan struct{})
		var (
			normalMu    sync.Mutex
			normalN     int
			normalSlow  []time.Duration
			normalErrs  []error
			normalWorst time.Duration
		)
		normalDone := make(chan struct{})
		go func() {
			defer close(normalDone)
			for i := 0; i < 2000; i++ { // bounded; stopped long before
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				d, err := fresh()
				normalMu.Lock()
				normalN++
				normalWorst = max(normalWorst, d)
				if err != nil {
					normalErrs = append(normalErrs, err)
				} else if d > requestBound {
					normalSlow = append(normalSlow, d)
				}
				normalMu.Unlock()
			}
		}()

		start := time.Now()
		type peer struct {
			kind   string
			c      net.Conn
			dialed time.Time      // when the dial began: the server cannot have accepted it before
			opened time.Time      // when the dial returned
			closed chan time.Time // when the server closed it, as seen by a read
		}
		var (
			peersMu sync.Mutex
			peers   []*peer
			dialErr firstError
		)
		watch := func(kind string, c net.Conn, dialed, opened time.Time) {
			p := &peer{kind: kind, c: c, dialed: dialed, opened: opened, closed: make(chan time.Time, 1)}
			peersMu.Lock()
			peers = append(peers, p)
			peersMu.Unlock()
			go func() {
				c.SetReadDeadline(time.Now().Add(handshakeTimeout + closeSlack + 5*time.Second))
				// The server sends nothing useful to these peers (an alert
				// at most); read until it closes the connection.
				_, err := io.Copy(io.Discard, c)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					p.closed <- time.Time{}
					return
				}
				p.closed <- time.Now()
			}()
		}
		dial := func() (net.Conn, time.Time, time.Time, bool) {
			dialed := time.Now()
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				dialErr.set(err)
				return nil, dialed, time.Time{}, false
			}
			return c, dialed, time.Now(), true
		}
		var wg sync.WaitGroup
		// Silent peers: eight dialers, so that all are open well within the
		// handshake timeout.
		const dialers = 8
		for d := range dialers {
			wg.Go(func() {
				for i := d; i < silentN; i += dialers {
					if c, dialed, at, ok := dial(); ok {
						watch("silent", c, dialed, at)
					}
				}
			})
		}
		wg.Go(func() {
			for range halfN {
				if c, dialed, at, ok := dial(); ok {
					c.Write(hello[:len(hello)/2])
					watch("half-hello", c, dialed, at)
				}
			}
		})
		wg.Go(func() {
			for range httpN {
				if c, dialed, at, ok := dial(); ok {
					io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
					watch("plain-http", c, dialed, at)
				}
			}
		})
		wg.Go(func() {
			for i := range randomN {
				if c, dialed, at, ok := dial(); ok {
					c.Write(junk[i*4096 : (i+1)*4096])
					watch("random", c, dialed, at)
				}
			}
		})
		wg.Go(func() {
			for i := range resetN {
				c, _, _, ok := dial()
				if !ok {
					continue
				}
				if i%2 == 1 {
					// Half of them reset in the middle of a ClientHello.
					c.Write(hello[:len(hello)/3])
				}
				c.(*net.TCPConn).SetLinger(0)
				c.Close() // RST, not FIN
			}
		})
		wg.Wait()
		dialPhase := time.Since(start)
		if err := dialErr.get(); err != nil {
			t.Fatalf("dialling the bad peers: %v", err)
		}

		// Every watched peer is closed by the server.
		var lastOpen, firstSilentClose, lastClose time.Time
		counts := map[string]int{}
		var early, stuck []string
		for _, p := range peers {
			counts[p.kind]++
			if p.opened.After(lastOpen) {
				lastOpen = p.opened
			}
		}
		for _, p := range peers {
			at := <-p.closed
			p.c.Close()
			if at.IsZero() {
				stuck = append(stuck, p.kind)
				continue
			}
			if at.After(lastClose) {
				lastClose = at
			}
			if p.kind == "silent" || p.kind == "half-hello" {
				if firstSilentClose.IsZero() || at.Before(firstSilentClose) {
					firstSilentClose = at
				}
				// Closed by the handshake timeout, not before: the server
				// accepted it after the dial began.
				if at.Sub(p.dialed) < handshakeTimeout {
					early = append(early, fmt.Sprintf("%s after %v", p.kind, at.Sub(p.dialed)))
				}
			}
		}
		if len(stuck) > 0 {
			t.Errorf("%d bad peers still open %v after the handshake timeout: %v", len(stuck), closeSlack+5*time.Second, stuck[:min(10, len(stuck))])
		}
		if len(early) > 0 {
			t.Errorf("%d silent or stalled peers closed before the handshake timeout of %v: %v", len(early), handshakeTimeout, early[:min(10, len(early))])
		}
		if !lastClose.IsZero() && lastClose.Sub(lastOpen) > handshakeTimeout+closeSlack {
			t.Errorf("last bad peer closed %v after the last one opened; want within %v", lastClose.Sub(lastOpen), handshakeTimeout+closeSlack)
		}
		if counts["silent"] != silentN {
			t.Errorf("%d silent peers, want %d", counts["silent"], silentN)
		}
		if !firstSilentClose.IsZero() && !lastOpen.Before(firstSilentClose) {
			t.Errorf("the bad peers were not all open at once: the last opened %v after the first was closed (dial phase %v)", lastOpen.Sub(firstSilentClose), dialPhase)
		}

		// Keep the normal client going a little longer, then stop it.
		time.Sleep(200 * time.Millisecond)
		close(stop)
		<-normalDone
		normalMu.Lock()
		if len(normalErrs) > 0 {
			t.Errorf("%d of %d normal requests failed; first: %v", len(normalErrs), normalN, normalErrs[0])
		}
		if len(normalSlow) > 0 {
			t.Errorf("%d of %d normal requests took longer than %v: %v", len(normalSlow), normalN, requestBound, normalSlow)
		}
		if normalN < 5 {
			t.Errorf("only %d normal requests were made while the bad peers were open", normalN)
		}
		t.Logf("round %d: %d silent, %d half-ClientHello, %d plain HTTP, %d random, %d reset peers: dialled in %v, all closed %v after the last was opened (handshake timeout %v); %d normal requests, slowest %v (bound %v)",
			round, counts["silent"], counts["half-hello"], counts["plain-http"], counts["random"], resetN, dialPhase.Round(time.Millisecond),
			lastClose.Sub(lastOpen).Round(time.Millisecond), handshakeTimeout, normalN, normalWorst.Round(time.Millisecond), requestBound)
		normalMu.Unlock()

		return time.Since(start), len(peers) + resetN
	}

	// Two rounds: the heap after the second must not have grown from the
	// first (a leak per connection would), and both must end near the
	// baseline.
	var elapsed time.Duration
	totalBad := 0
	heaps := []uint64{baseHeap}
	var g int
	for round := 1; round <= 2; round++ {
		d, bad := flood(round)
		elapsed += d
		totalBad += bad
		tr.CloseIdleConnections()
		g = settleGoroutines(baseG+goroutineSlack, 5*time.Second)
		if g > baseG+goroutineSlack {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("round %d: %d goroutines 5s after the bad peers left, %d before (slack %d):\n%s", round, g, baseG, goroutineSlack, buf)
		}
		// The runtime keeps the descriptors of dead goroutines for reuse (about
		// 1 KiB each, never freed): the flood runs some 2,700 at once, so the
		// heap ends 2-3 MiB above the baseline without anything leaking (a heap
		// profile shows only runtime.malg). With 1,350 bad connections, the
		// slack catches a leak of more than about 2 KiB per connection (a
		// *tls.Conn alone is bigger).
		h := heapAlloc()
		heaps = append(heaps, h)
		const heapSlack = 5 << 20
		if h > baseHeap+heapSlack {
			t.Errorf("round %d: heap %d KiB after the bad peers left, %d KiB before (slack %d KiB)", round, h>>10, baseHeap>>10, heapSlack>>10)
		}
		t.Logf("round %d: goroutines %d before, %d after; heap %d KiB before, %d KiB after", round, baseG, g, baseHeap>>10, h>>10)

	}
	// Growth from the first round to the second: 1,350 more connections.
	const growthSlack = 1 << 20
	if heaps[2] > heaps[1]+growthSlack {
		t.Errorf("heap grew from %d KiB to %d KiB between two rounds of %d bad peers: a leak of about %d bytes per connection", heaps[1]>>10, heaps[2]>>10, totalBad/2, int(heaps[2]-heaps[1])/(totalBad/2))
	}

	// Failed handshakes are logged, at about one line a second. (Wait for
	// the second to be over, so that a count reported at its end is in.)
	time.Sleep(1500 * time.Millisecond)
	elapsed += 1500 * time.Millisecond
	logged := logBuf.String()
	n := lines(logged)
	maxLines := int(elapsed/time.Second) + 2
	if n == 0 {
		t.Error("no failed handshake was logged")
	}
	if n > maxLines {
		t.Errorf("%d log lines for %d bad peers in %v; want at most %d:\n%s", n, totalBad, elapsed, maxLines, logged)
	}
	// How many failures the log accounts for: each line is one, plus the
	// "(and N more ...)" it adds.
	accounted := n
	for l := range strings.SplitSeq(logged, "\n") {
		if _, rest, ok := strings.Cut(l, "(and "); ok {
			if k, err := strconv.Atoi(strings.Fields(rest)[0]); err == nil {
				accounted += k
			}
		}
	}
	// Peers reset by the client may in theory never reach Accept; all the
	// others must be counted.
	if accounted < totalBad-2*resetN {
		t.Errorf("the log accounts for %d of %d failed handshakes: failures left out must be counted when their second is over", accounted, totalBad)
	}
	t.Logf("%d log lines for %d bad peers in %v (bound %d), accounting for %d failed handshakes; first: %.200s", n, totalBad, elapsed.Round(time.Millisecond), maxLines, accounted, logged)
}

// countingListener counts the connections it has handed out that are still
// open, and the most open at once. It is the innermost listener, so what it
// counts is what the server process holds.
type countingListener struct {
	net.Listener
	open, peak, total atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.open.Add(1)
	l.total.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countingConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// TestHardeningMaxConns makes n+500 connection attempts at once against a
// listener with WithMaxConns(n): some silent (they hold a slot until the
// handshake timeout), most completing a handshake and holding the
// connection briefly. At no time are more than n connections open at the
// server (counted both below the TLS layer and by http.Server's ConnState),
// every attempt is eventually served, and afterwards the server serves a
// normal client again, over HTTP/2 with r.TLS set. The count is taken by a
// wrapper around the innermost listener (given to NewListener), which is
// the same code path as Listen.
func TestHardeningMaxConns(t *testing.T) {
	skipFloodInShort(t)
	const (
		n        = 20
		silentN  = 50
		tlsN     = 450 + n // silentN + tlsN = n + 500 attempts
		hold     = 100 * time.Millisecond
		timeout  = time.Second
		overall  = 45 * time.Second
		attempts = silentN + tlsN
	)
	ca := testpki.NewCA(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: inner}
	ln, err := tlsdefault.NewListener(cl,
		tlsdefault.WithCertificate(ca.Server(t).TLS()),
		tlsdefault.WithMaxConns(n),
		tlsdefault.WithHandshakeTimeout(timeout),
		tlsdefault.WithErrorLog(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	var httpOpen, httpPeak atomic.Int64
	var sawTLS, sawH2 atomic.Bool
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawTLS.Store(r.TLS != nil)
			sawH2.Store(r.ProtoMajor == 2)
			io.WriteString(w, "ok")
		}),
		ErrorLog:          quietLog(),
		ReadHeaderTimeout: 5 * time.Second,
		ConnState: func(c net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				v := httpOpen.Add(1)
				for {
					p := httpPeak.Load()
					if v <= p || httpPeak.CompareAndSwap(p, v) {
						break
					}
				}
			case http.StateClosed, http.StateHijacked:
				httpOpen.Add(-1)
			}
		},
	}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	ccfg, err := tlsdefault.ClientConfig(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	ccfg.ServerName = "localhost"
	ccfg.ClientSessionCache = nil
	ctx, cancel := context.WithTimeout(context.Background(), overall)
	defer cancel()
	start := time.Now()
	gate := make(chan struct{})
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr firstError
	var served, retries atomic.Int64
	for i := range attempts {
		wg.Go(func() {
			<-gate
			if i < silentN {
				c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
				if err != nil {
					failed.Add(1)
					firstErr.set(err)
					return
				}
				defer c.Close()
				// Say nothing; the server closes it once it has been
				// accepted and the handshake timeout has passed.
				c.SetReadDeadline(time.Now().Add(overall))
				io.Copy(io.Discard, c)
				return
			}
			// A handshake that a starved CPU (-race, two CPUs shared with
			// other test binaries) drags past the server's handshake
			// timeout is closed by the server, as it should be; the client
			// tries again, up to three times in all.
			d := &tls.Dialer{Config: ccfg}
			var c net.Conn
			var err error
			for try := range 3 {
				if c, err = d.DialContext(ctx, "tcp", addr); err == nil {
					break
				}
				if try < 2 {
					retries.Add(1)
				}
			}
			if err != nil {
				failed.Add(1)
				firstErr.set(err)
				return
			}
			served.Add(1)
			time.Sleep(hold)
			c.Close()
		})
	}
	close(gate)
	wg.Wait()
	burst := time.Since(start)
	if f := failed.Load(); f > 0 {
		t.Errorf("%d of %d connection attempts failed; first: %v", f, attempts, firstErr.get())
	}
	if p := cl.peak.Load(); p > n {
		t.Errorf("%d connections open at the server at once, cap %d", p, n)
	} else if p < n {
		t.Errorf("at most %d connections were open at once: the cap of %d was never reached, so it was not tested", p, n)
	}
	// http.Server's ConnState hooks are not counted here: it reports
	// StateClosed only after closing the connection, so a new connection's
	// StateNew can come first and the hook count can pass n by a few
	// without more than n connections ever being open.
	// They all close.
	deadline := time.Now().Add(5 * time.Second)
	for (cl.open.Load() > 0 || httpOpen.Load() > 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if o, h := cl.open.Load(), httpOpen.Load(); o > 0 || h > 0 {
		t.Errorf("%d connections still open at the listener, %d at http.Server, after the clients left", o, h)
	}
	// And the server serves again.
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	t0 := time.Now()
	if _, body, err := get(t, client, "https://"+addr+"/"); err != nil || body != "ok" {
		t.Fatalf("after the burst: %q, %v", body, err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("request after the burst took %v", d)
	}
	if !sawTLS.Load() || !sawH2.Load() {
		t.Errorf("with the cap on: r.TLS set %v, HTTP/2 %v; want both", sawTLS.Load(), sawH2.Load())
	}
	t.Logf("cap %d: %d attempts (%d silent, %d TLS) all served in %v (%d handshakes retried); peak open at the listener %d (ConnState hooks peaked at %d); %d accepted in all",
		n, attempts, silentN, tlsN, burst.Round(time.Millisecond), retries.Load(), cl.peak.Load(), httpPeak.Load(), cl.total.Load())
}

// TestHardeningRotationUnderLoad replaces the server's key pair files 10
// times while 200 clients make requests, each on a new connection without
// session resumption (so each connection is presented a certificate). No
// request may fail, and every connection begun more than the reload
// interval (1 s) plus slack after a rotation must present the new
// certificate (or a newer one).
func TestHardeningRotationUnderLoad(t *testing.T) {
	skipFloodInShort(t)
	// 200 clients doing full handshakes without pause saturate a 2-core
	// machine under the race detector: handshakes then outlast the
	// listener's timeout and fail for reasons that are not the rotation.
	clients := 200
	if raceEnabled {
		clients = 50
	}
	const (
		rotations = 10
		spacing   = 1500 * time.Millisecond
		reload    = time.Second // internal.ReloadInterval
		slack     = 300 * time.Millisecond
	)
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	leaves := make([]*testpki.Leaf, rotations+1)
	index := map[string]int{}
	for i := range leaves {
		leaves[i] = ca.Server(t)
		index[leaves[i].Cert.SerialNumber.String()] = i
	}
	certFile, keyFile := leaves[0].WriteFiles(t, dir)
	var logBuf syncBuffer
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
		tlsdefault.WithKeyPairFiles(certFile, keyFile),
		tlsdefault.WithErrorLog(log.New(&logBuf, "", 0)))
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + serveListener(t, ln, nil) + "/"

	type obs struct {
		start, end time.Time
		cert       int
	}
	var (
		mu      sync.Mutex
		results []obs
		fails   []error
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
		if err != nil {
			t.Fatal(err)
		}
		tr := client.Transport.(*http.Transport)
		tr.DisableKeepAlives = true                 // a new connection per request
		tr.TLSClientConfig.ClientSessionCache = nil // and a full handshake
		wg.Go(func() {
			defer tr.CloseIdleConnections()
			rng := mrand.New(mrand.NewPCG(uint64(c), 7))
			for range 1000 { // bounded; stopped long before
				select {
				case <-stop:
					return
				case <-time.After(time.Duration(rng.IntN(100)) * time.Millisecond):
				}
				s := time.Now()
				resp, err := client.Get(url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				e := time.Now()
				mu.Lock()
				if err != nil {
					fails = append(fails, err)
				} else {
					idx := -1
					if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
						if i, ok := index[resp.TLS.PeerCertificates[0].SerialNumber.String()]; ok {
							idx = i
						}
					}
					results = append(results, obs{s, e, idx})
				}
				mu.Unlock()
			}
		})
	}
	// Let the load build up, then rotate.
	time.Sleep(spacing)
	rotated := make([]time.Time, rotations+1)
	for i := 1; i <= rotations; i++ {
		leaves[i].WriteFiles(t, dir)
		rotated[i] = time.Now()
		time.Sleep(spacing)
	}
	close(stop)
	if d := within(t, 30*time.Second, "stopping the clients", wg.Wait); d > 10*time.Second {
		t.Logf("clients took %v to stop", d)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(fails) > 0 {
		t.Errorf("%d of %d requests failed during rotation; first: %v", len(fails), len(fails)+len(results), fails[0])
	}
	// For each connection: the newest rotation that was due before it
	// started is the oldest certificate it may see. For the report: after
	// each rotation, the latest start of a connection that still got an
	// older certificate, and the first connection done with the new one.
	var late []string
	lastOld := make([]time.Duration, rotations+1)
	firstNew := make([]time.Duration, rotations+1)
	for _, o := range results {
		if o.cert < 0 {
			late = append(late, "a certificate that is not one of the test's")
			continue
		}
		due := 0
		for i := 1; i <= rotations; i++ {
			if o.start.After(rotated[i].Add(reload + slack)) {
				due = i
			}
			if o.start.After(rotated[i]) && o.cert < i {
				lastOld[i] = max(lastOld[i], o.start.Sub(rotated[i]))
			}
			if o.cert >= i && o.end.After(rotated[i]) && (firstNew[i] == 0 || o.end.Sub(rotated[i]) < firstNew[i]) {
				firstNew[i] = o.end.Sub(rotated[i])
			}
		}
		if o.cert < due {
			late = append(late, fmt.Sprintf("connection begun %v after rotation %d presented certificate %d", o.start.Sub(rotated[due]).Round(time.Millisecond), due, o.cert))
		}
	}
	if len(late) > 0 {
		t.Errorf("%d connections presented an old certificate; first: %v", len(late), late[:min(5, len(late))])
	}
	var worstOld, worstNew time.Duration
	for i := 1; i <= rotations; i++ {
		if firstNew[i] == 0 {
			t.Errorf("certificate %d was never presented", i)
		}
		worstOld, worstNew = max(worstOld, lastOld[i]), max(worstNew, firstNew[i])
	}
	var slowest time.Duration
	for _, o := range results {
		slowest = max(slowest, o.end.Sub(o.start))
	}
	t.Logf("%d clients, %d rotations %v apart: %d requests, %d failed; connections begun up to %v after a rotation still got the old certificate (bound: reload interval %v + %v); the first request with a new certificate completed at most %v after its files were written; slowest request %v; %d log lines (pairs caught mid-rotation)",
		clients, rotations, spacing, len(results)+len(fails), len(fails), worstOld.Round(time.Millisecond), reload, slack, worstNew.Round(time.Millisecond), slowest.Round(time.Millisecond), lines(logBuf.String()))
}

// TestHardeningCAFileOverCap: a cafile larger than capool's 64 MiB cap (a
// sparse file: no disk space is used) is an error naming the cap, and the
// file is not read (allocations stay far below its size).
func TestHardeningCAFileOverCap(t *testing.T) {
	const capSize = 64 << 20
	dir := t.TempDir()
	big := filepath.Join(dir, "big.pem")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(big, capSize+1); err != nil {
		t.Skipf("cannot make a sparse file: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var loadErr error
	d := within(t, 10*time.Second, "Load of an oversized cafile", func() {
		_, loadErr = capool.Load(capool.Sources{CAFile: big})
	})
	runtime.ReadMemStats(&after)
	if loadErr == nil {
		t.Fatal("a cafile over the cap was accepted")
	}
	var se *capool.SourceError
	if !errors.As(loadErr, &se) || !strings.Contains(loadErr.Error(), "64 MiB") || !strings.Contains(loadErr.Error(), big) {
		t.Errorf("error %q (%T): want a *capool.SourceError naming the file and the 64 MiB cap", loadErr, loadErr)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("%d MiB allocated refusing the file: it was read", alloc>>20)
	}
	t.Logf("refused in %v: %v", d, loadErr)

	// Through the root package: an error from the constructor.
	if _, err := tlsdefault.NewClient(tlsdefault.WithCAFile(big)); err == nil || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("NewClient(WithCAFile(oversized)): %v", err)
	}
	// In a capath directory: that file is reported, the rest still loads.
	ca := testpki.NewCA(t)
	ca.WriteFile(t, dir, "ca.pem")
	p, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		t.Fatalf("capath with one oversized file: %v", err)
	}
	if p.Len() != 1 || !slices.ContainsFunc(p.Problems(), func(e error) bool { return strings.Contains(e.Error(), "64 MiB") }) {
		t.Errorf("capath with one oversized file: %d certificates, problems %v", p.Len(), p.Problems())
	}
	// cadata over the cap: refused before parsing.
	data := make([]byte, capSize+1)
	if _, err := capool.ParseCAData(data); err == nil || !strings.Contains(err.Error(), "64 MiB") {
		t.Errorf("ParseCAData of %d bytes: %v", len(data), err)
	}
}

// TestHardeningSymlinkLoops: symbolic link loops as a cafile, as a capath,
// and inside a capath (plain names and hashed names) are errors or
// reported problems, never a hang; a directory linked under a certificate
// file name is not descended into.
func TestHardeningSymlinkLoops(t *testing.T) {
	dir := t.TempDir()
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	good := testpki.NewCA(t)
	other := testpki.NewCA(t)
	good.WriteFile(t, dir, "good.pem")
	link("self.pem", "self.pem")
	link("b.crt", "a.crt")
	link("a.crt", "b.crt")
	link(".", "dir.pem")

	// Without hashed names the plain files are read: the loops are
	// reported next to the good file.
	var p *capool.Pool
	var err error
	within(t, 10*time.Second, "Load of a capath with symlink loops", func() {
		p, err = capool.Load(capool.Sources{CAPath: dir})
	})
	if err != nil {
		t.Fatalf("capath with loops next to a good file: %v", err)
	}
	probs := fmt.Sprint(p.Problems())
	for _, name := range []string{"self.pem", "a.crt", "b.crt"} {
		if !strings.Contains(probs, name) {
			t.Errorf("loop %s not reported; problems: %s", name, probs)
		}
	}
	opts := x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := p.Verify(good.Server(t).Cert, nil, opts); err != nil {
		t.Errorf("leaf of the good CA (plain file): %v", err)
	}

	// Hashed names (good's, and one that loops, under which other's
	// certificates are looked up): the directory is looked up by hash.
	link("good.pem", fmt.Sprintf("%08x.0", capool.SubjectHash(good.Cert)))
	hashName := fmt.Sprintf("%08x.0", capool.SubjectHash(other.Cert))
	link(hashName, hashName)
	within(t, 10*time.Second, "Load of a hashed capath with symlink loops", func() {
		p, err = capool.Load(capool.Sources{CAPath: dir})
	})
	if err != nil {
		t.Fatalf("hashed capath with loops: %v", err)
	}
	if !p.Lazy() {
		t.Errorf("pool with a hashed name is not lazy: %s", p.Describe())
	}
	if probs := fmt.Sprint(p.Problems()); !strings.Contains(probs, hashName+": too many levels of symbolic links") {
		t.Errorf("looping hashed name not reported: %s", probs)
	}
	// Verifying a leaf of good: found; of other: its hashed name loops,
	// which is an error, not a hang.
	within(t, 10*time.Second, "Verify through looping hashed names", func() {
		if _, err := p.Verify(good.Server(t).Cert, nil, opts); err != nil {
			t.Errorf("leaf of the good CA: %v", err)
		}
		if _, err := p.Verify(other.Server(t).Cert, nil, opts); err == nil {
			t.Error("leaf whose issuer's hashed name is a loop verified")
		} else {
			t.Logf("leaf under a looping hashed name: %v", err)
		}
	})

	// The cafile and the capath themselves as loops.
	loopFile := filepath.Join(dir, "self.pem")
	if _, err := capool.Load(capool.Sources{CAFile: loopFile}); err == nil {
		t.Error("a cafile that is a symlink loop was accepted")
	} else {
		t.Logf("cafile loop: %v", err)
	}
	loopDir := filepath.Join(t.TempDir(), "loopdir")
	if err := os.Symlink(loopDir, loopDir); err != nil {
		t.Fatal(err)
	}
	if _, err := capool.Load(capool.Sources{CAPath: loopDir}); err == nil {
		t.Error("a capath that is a symlink loop was accepted")
	} else {
		t.Logf("capath loop: %v", err)
	}
	if _, err := tlsdefault.NewClient(tlsdefault.WithCAFile(loopFile)); err == nil {
		t.Error("NewClient(WithCAFile(loop)) succeeded")
	}
}

// TestHardeningHugeCAPath: a capath of 100,000 entries (half of them
// hashed names, half .pem files, all hard links to empty files, next to
// one real CA and its hashed link) loads in bounded time, lists the real
// CA and reports the empty hashed files as problems without failing (the
// .pem files of a hashed directory are not sources: OpenSSL's rule), and
// verification through it still works.
func TestHardeningHugeCAPath(t *testing.T) {
	if testing.Short() {
		t.Skip("flood: 100,000 directory entries")
	}
	const entries = 100_000
	dir := t.TempDir()
	// Two files, because a file system may cap the links to one inode
	// (ext4: 65,000).
	emptyDir := t.TempDir()
	emptyHashed, emptyPEM := filepath.Join(emptyDir, "hashed"), filepath.Join(emptyDir, "pem")
	for _, f := range []string{emptyHashed, emptyPEM} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t)
	otherHash := capool.SubjectHash(other.Cert)
	mk := time.Now()
	hashed := 0
	for i := range entries / 2 {
		// Hashed names: one of them is the one other's leaves look up.
		h := uint32(i) * 2654435761
		if i == 0 {
			h = otherHash
		}
		if err := os.Link(emptyHashed, filepath.Join(dir, fmt.Sprintf("%08x.0", h))); err != nil {
			if !errors.Is(err, os.ErrExist) { // i == 0 may collide
				t.Skipf("hard links: %v", err)
			}
		} else {
			hashed++
		}
		if err := os.Link(emptyPEM, filepath.Join(dir, fmt.Sprintf("empty%06d.pem", i))); err != nil {
			t.Fatal(err)
		}
	}
	ca.WriteFile(t, dir, "ca.pem")
	if err := os.Symlink("ca.pem", filepath.Join(dir, fmt.Sprintf("%08x.0", capool.SubjectHash(ca.Cert)))); err != nil {
		t.Fatal(err)
	}
	t.Logf("made %d entries in %v", entries, time.Since(mk).Round(time.Millisecond))

	var p *capool.Pool
	var err error
	d := within(t, 60*time.Second, "Load of a 100,000-entry capath", func() {
		p, err = capool.Load(capool.Sources{CAPath: dir})
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.Len() != 1 || !p.Lazy() {
		t.Errorf("pool: %d certificates, lazy %v; want 1 and lazy: %s", p.Len(), p.Lazy(), p.Describe())
	}
	if n := len(p.Problems()); n != hashed {
		t.Errorf("%d problems reported, want %d (one per empty hashed file)", n, hashed)
	}
	opts := x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	dv := within(t, 10*time.Second, "Verify through a 100,000-entry capath", func() {
		if _, err := p.Verify(ca.Server(t).Cert, nil, opts); err != nil {
			t.Errorf("leaf of the real CA: %v", err)
		}
		if _, err := p.Verify(other.Server(t).Cert, nil, opts); err == nil {
			t.Error("leaf whose issuer's hashed file is empty verified")
		}
	})
	t.Logf("Load of %d entries took %v (%d problems); two verifications %v", entries, d.Round(time.Millisecond), len(p.Problems()), dv.Round(time.Millisecond))
}

// TestHardeningManySANs: a CA certificate with 10,000 subject alternative
// names parses (ParseCAData, PEM and DER, and Load), hashes, and a leaf
// with 10,000 names, the one asked for last, serves a real handshake
// through Listen and NewClient in bounded time.
func TestHardeningManySANs(t *testing.T) {
	const sans = 10_000
	names := make([]string, sans)
	for i := range names {
		names[i] = fmt.Sprintf("host-%05d.many-sans.test", i)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(10_000),
		Subject:               pkix.Name{CommonName: "CA with 10,000 names"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		DNSNames:              names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	within(t, 10*time.Second, "parsing a certificate with 10,000 names", func() {
		for _, data := range [][]byte{der, pemData} {
			certs, err := capool.ParseCAData(data)
			if err != nil || len(certs) != 1 || len(certs[0].DNSNames) != sans {
				t.Errorf("ParseCAData: %v, %d certificates", err, len(certs))
				return
			}
			_ = capool.SubjectHash(certs[0])
		}
		if p, err := capool.Load(capool.Sources{CAData: pemData}); err != nil || p.Len() != 1 {
			t.Errorf("Load: %v", err)
		}
	})

	// A served leaf with 10,000 names; the client asks for the last one.
	ca := testpki.NewCA(t)
	lkey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// Short names: crypto/tls refuses a certificate message over 256 KiB
	// (checked below), and 10,000 of the CA's names would make 270 KB.
	leafNames := make([]string, 0, sans)
	for i := range sans - 1 {
		leafNames = append(leafNames, fmt.Sprintf("h%05d.test", i))
	}
	leafNames = append(leafNames, "localhost")
	ltmpl := &x509.Certificate{
		SerialNumber: big.NewInt(10_001),
		Subject:      pkix.Name{CommonName: "leaf with 10,000 names"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	serve := func(names []string) (port string, size int) {
		t.Helper()
		ltmpl.DNSNames = names
		lder, err := x509.CreateCertificate(rand.Reader, ltmpl, ca.Cert, lkey.Public(), ca.Key)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0",
			tlsdefault.WithCertificate(tls.Certificate{Certificate: [][]byte{lder}, PrivateKey: lkey}),
			tlsdefault.WithErrorLog(quietLog()))
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ = net.SplitHostPort(serveListener(t, ln, nil))
		return port, len(lder)
	}
	port, size := serve(leafNames)
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	d := within(t, 10*time.Second, "handshake with a 10,000-name certificate", func() {
		if _, body, err := get(t, client, "https://localhost:"+port+"/"); err != nil || body != "ok" {
			t.Errorf("request to the last of 10,000 names: %q, %v", body, err)
		}
	})
	t.Logf("certificate of %d bytes with %d names: handshake and request in %v", size, sans, d.Round(time.Millisecond))

	// With the long names the certificate is over crypto/tls's 256 KiB
	// limit for a certificate message: a clear error, at once.
	bigPort, bigSize := serve(append(slices.Clone(names[:sans-1]), "localhost"))
	within(t, 10*time.Second, "handshake with an oversized certificate", func() {
		_, _, err := get(t, client, "https://localhost:"+bigPort+"/")
		if err == nil || !strings.Contains(err.Error(), "exceeds maximum") {
			t.Errorf("certificate of %d bytes: %v; want the size limit error", bigSize, err)
		} else {
			t.Logf("certificate of %d bytes: %v", bigSize, err)
		}
	})
}

// nestedSequences returns depth nested DER SEQUENCE headers around an
// empty SEQUENCE: 30 len(30 len(... 30 00)).
func nestedSequences(depth int) []byte {
	hdr := func(n int) []byte {
		switch {
		case n < 0x80:
			return []byte{0x30, byte(n)}
		case n < 0x100:
			return []byte{0x30, 0x81, byte(n)}
		case n < 0x10000:
			return []byte{0x30, 0x82, byte(n >> 8), byte(n)}
		case n < 0x1000000:
			return []byte{0x30, 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
		default:
			return []byte{0x30, 0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		}
	}
	// content[i] is the content length of the element at depth i from the
	// inside: the innermost is empty.
	content := make([]int, depth)
	for i := 1; i < depth; i++ {
		content[i] = content[i-1] + len(hdr(content[i-1]))
	}
	var out []byte
	for i := depth - 1; i >= 0; i-- {
		out = append(out, hdr(content[i])...)
	}
	return out
}

// TestHardeningDeepASN1: 100,000 nested SEQUENCEs, lengths that claim
// gigabytes, indefinite lengths and names with deeply nested values are
// clear errors (or a hash) from ParseCAData, Load and SubjectHash: no panic,
// no hang.
func TestHardeningDeepASN1(t *testing.T) {
	deep := nestedSequences(100_000)
	if len(deep) < 400_000 {
		t.Fatalf("nesting is only %d bytes", len(deep))
	}
	// A name whose one attribute value is deeply nested.
	oidCN := []byte{0x06, 0x03, 0x55, 0x04, 0x03}
	wrap := func(tag byte, content []byte) []byte {
		n := len(content)
		var h []byte
		switch {
		case n < 0x80:
			h = []byte{tag, byte(n)}
		case n < 0x10000:
			h = []byte{tag, 0x82, byte(n >> 8), byte(n)}
		default:
			h = []byte{tag, 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
		}
		return append(h, content...)
	}
	deepName := wrap(0x30, wrap(0x31, wrap(0x30, append(slices.Clone(oidCN), nestedSequences(10_000)...))))
	inputs := []struct {
		name string
		data []byte
	}{
		{"100,000 nested SEQUENCEs (DER)", deep},
		{"100,000 nested SEQUENCEs (PEM)", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: deep})},
		{"length claiming 2 GiB", []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30, 0x00}},
		{"length of length 0x7f", append([]byte{0x30, 0xff}, bytes.Repeat([]byte{0xff}, 200)...)},
		{"indefinite length (BER)", append(append([]byte{0x30, 0x80}, nestedSequences(1000)...), 0x00, 0x00)},
		{"truncated deep nesting", deep[:len(deep)/2]},
		{"name with a deeply nested value", deepName},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			within(t, 20*time.Second, in.name, func() {
				certs, err := capool.ParseCAData(in.data)
				if err == nil {
					t.Errorf("ParseCAData accepted it: %d certificates", len(certs))
				}
				var se *capool.SourceError
				if err != nil && !errors.As(err, &se) {
					t.Errorf("ParseCAData error %v is not a *capool.SourceError", err)
				}
				if _, err := capool.Load(capool.Sources{CAData: in.data}); err == nil {
					t.Error("Load accepted it")
				}
				// As a subject name: SubjectHash must not panic or hang on
				// a name it cannot canonicalise.
				_ = capool.SubjectHash(&x509.Certificate{RawSubject: in.data})
			})
		})
	}
	// As a cafile on disk, and through the root package.
	f := filepath.Join(t.TempDir(), "deep.pem")
	if err := os.WriteFile(f, inputs[1].data, 0o644); err != nil {
		t.Fatal(err)
	}
	within(t, 20*time.Second, "deep nesting as a cafile", func() {
		if _, err := capool.Load(capool.Sources{CAFile: f}); err == nil {
			t.Error("Load of a cafile of deep nesting succeeded")
		} else if !strings.Contains(err.Error(), f) {
			t.Errorf("error does not name the file: %v", err)
		}
		if _, err := tlsdefault.NewClient(tlsdefault.WithCAData(deep)); err == nil {
			t.Error("NewClient(WithCAData(deep nesting)) succeeded")
		}
	})
}

// TestHardeningKeyPairFilesNotRegular: key pair files that are not regular
// files (here a FIFO with no writer, which blocks a reader for ever) are an
// error from the constructor, and replacing the served certificate file
// with one keeps the last good pair serving and later pairs loading,
// instead of hanging a handshake and stopping reloads for good.
func TestHardeningKeyPairFilesNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if out, err := exec.Command("mkfifo", fifo).CombinedOutput(); err != nil {
		t.Skipf("mkfifo: %v %s", err, out)
	}
	ca := testpki.NewCA(t)
	first := ca.Server(t)
	certFile, keyFile := first.WriteFiles(t, dir)
	within(t, 5*time.Second, "Listen with a FIFO as the certificate file", func() {
		if _, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithKeyPairFiles(fifo, keyFile)); err == nil {
			t.Error("a FIFO as the certificate file was accepted")
		}
	})

	// The rest runs in a synctest bubble, with handshakes over net.Pipe:
	// the reload interval passes on the fake clock.
	second := ca.Server(t)
	real := time.Now()
	synctest.Test(t, func(t *testing.T) {
		now := atRealTime(real, time.Now())
		var logBuf syncBuffer
		cfg, err := tlsdefault.ServerConfig(tlsdefault.WithKeyPairFiles(certFile, keyFile), tlsdefault.WithErrorLog(log.New(&logBuf, "", 0)))
		if err != nil {
			t.Fatal(err)
		}
		serial := func() (string, error) {
			cs, err := pipeHandshake(t, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost", Time: now}, cfg)
			if err != nil {
				return "", err
			}
			return cs.PeerCertificates[0].SerialNumber.String(), nil
		}
		// Swap a FIFO in for the certificate file.
		fifo2 := filepath.Join(dir, "fifo2")
		if out, err := exec.Command("mkfifo", fifo2).CombinedOutput(); err != nil {
			t.Fatalf("mkfifo: %v %s", err, out)
		}
		if err := os.Rename(fifo2, certFile); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1200 * time.Millisecond) // past the reload interval
		for i := range 3 {
			if s, err := serial(); err != nil || s != first.Cert.SerialNumber.String() {
				t.Fatalf("handshake %d with a FIFO as the certificate file: serial %s, %v; want the last good certificate", i, s, err)
			}
		}
		// A good pair written later is picked up.
		second.WriteFiles(t, dir)
		time.Sleep(1200 * time.Millisecond)
		if s, err := serial(); err != nil || s != second.Cert.SerialNumber.String() {
			t.Fatalf("the new pair was not picked up after the FIFO: serial %s, %v; log: %s", s, err, logBuf.String())
		}
		t.Logf("log: %s", logBuf.String())
	})
}

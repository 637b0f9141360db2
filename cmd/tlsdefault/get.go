package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsdefault/tlsdefault"
)

type getCmd struct {
	trust     trustFlags
	cert      string
	key       string
	legacy    legacyFlags
	out       string
	verbose   bool
	timeout   time.Duration
	connectTo string
	opts      []tlsdefault.Option // the client's options, for probeAlert

	handshakeDone atomic.Bool // a TLS handshake of the request completed

	mu       sync.Mutex
	sentCert []*x509.Certificate // with -v: the chain the server sent last
}

func runGet(args []string, stdout, stderr io.Writer) error {
	var c getCmd
	fs := newFlagSet("get")
	c.trust.register(fs)
	fs.StringVar(&c.cert, "cert", "", "")
	fs.StringVar(&c.key, "key", "", "")
	c.legacy.register(fs)
	fs.StringVar(&c.out, "o", "", "")
	fs.BoolVar(&c.verbose, "v", false, "")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "")
	fs.StringVar(&c.connectTo, "connect-to", "", "")
	pos, err := parseFlags(fs, getUsage, args, stdout)
	if err != nil {
		return err
	}

	// Conflicting and incomplete flags first, before any file is read.
	if err := c.legacy.check("get"); err != nil {
		return err
	}
	if err := checkEmpty(fs, append([]string{"cert", "key", "o", "legacy-host", "connect-to"}, trustFlagNames...)...); err != nil {
		return err
	}
	if c.cert != "" && c.key == "" {
		return usageErrorf("get: --cert needs --key (the client certificate's private key)")
	}
	if c.key != "" && c.cert == "" {
		return usageErrorf("get: --key needs --cert (the client certificate)")
	}
	if c.timeout <= 0 {
		return usageErrorf("get: --timeout must be positive")
	}
	if c.connectTo != "" {
		if err := checkHostPort("get", "connect-to", c.connectTo); err != nil {
			return err
		}
	}
	if len(pos) == 0 {
		return usageErrorf("get: no URL given, as in 'tlsdefault get https://example.com/'")
	}
	if len(pos) > 1 {
		return usageErrorf("get: give one URL; %q is one too many", pos[1])
	}
	u, err := parseURL(pos[0])
	if err != nil {
		return err
	}

	if err := c.checkOut(); err != nil {
		return err
	}
	pool, err := c.trust.load()
	if err != nil {
		return sourceError("get", exitUsage, err, &c.trust)
	}
	for _, f := range []struct{ flag, path string }{{"cert", c.cert}, {"key", c.key}} {
		if err := checkFile("get", f.flag, f.path); err != nil {
			return err
		}
	}

	opts := []tlsdefault.Option{tlsdefault.WithErrorLog(errorLog(stderr))}
	if pool != nil {
		opts = append(opts, tlsdefault.WithPool(pool))
	}
	if c.cert != "" {
		opts = append(opts, tlsdefault.WithKeyPairFiles(c.cert, c.key))
	}
	if o := c.legacy.option(stderr); o != nil {
		opts = append(opts, o)
	}
	c.opts = opts
	client, err := tlsdefault.NewClient(opts...)
	if err != nil {
		return usageErrorf("get: %s", libWords{trust: &c.trust, cert: c.cert, key: c.key}.rewrite(err.Error()))
	}
	client.Timeout = c.timeout
	client.CheckRedirect = checkRedirect
	defer client.CloseIdleConnections()
	if t, ok := client.Transport.(*http.Transport); ok {
		if c.connectTo != "" {
			c.dialConnectTo(t, u)
		}
		if c.verbose {
			c.captureChain(t)
		}
	}

	if u.Scheme == "http" {
		warnf(stderr, "%s is plain HTTP, not TLS: nothing is encrypted and the server is not authenticated; use https:// where the server offers it", u.Redacted())
	}
	if c.connectTo != "" && c.verbose {
		infof(stderr, "connecting to %s for %s; the certificate must be valid for %s", c.connectTo, u.Host, u.Hostname())
	}

	// Note completed handshakes: a request that fails after one may have
	// been refused by the server for the client certificate (see
	// afterHandshake).
	trace := &httptrace.ClientTrace{TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
		if err == nil {
			c.handshakeDone.Store(true)
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, u.String(), nil)
	if err != nil {
		return usageErrorf("get: %v", err)
	}
	req.Header.Set("User-Agent", "tlsdefault-get")
	resp, err := client.Do(req)
	if err != nil {
		if c.verbose {
			c.writeSentChain(stderr, u, err)
		}
		return c.explain(err, u, pool)
	}
	defer resp.Body.Close()

	if c.verbose {
		fmt.Fprintf(stderr, "url:          %s\n", resp.Request.URL.Redacted())
		fmt.Fprintf(stderr, "status:       %s (%s)\n", peerText(resp.Status), resp.Proto)
		if resp.TLS != nil {
			writeConnReport(stderr, resp.TLS, pool, resp.Request.URL.Hostname())
		} else {
			fmt.Fprintf(stderr, "tls:          none (plain HTTP)\n")
		}
	}

	if err := c.writeBody(resp.Body, stdout); err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		return &cliError{code: exitHTTPStatus, msgs: []string{fmt.Sprintf("get: the server answered %s", peerText(resp.Status))}}
	}
	return nil
}

// checkRedirect follows up to 10 redirects, never from https:// to
// http://: a redirect to plain HTTP is followed only when every request
// before it was plain HTTP too (the URL given was http://).
func checkRedirect(req *http.Request, via []*http.Request) error {
	switch req.URL.Scheme {
	case "https":
	case "http":
		for _, v := range via {
			if v.URL.Scheme != "http" {
				return fmt.Errorf("refusing to follow a redirect from https:// to %s: not an https:// URL", req.URL.Redacted())
			}
		}
	default:
		return fmt.Errorf("refusing to follow a redirect to %s: not an https:// URL", req.URL.Redacted())
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

// parseURL accepts https:// URLs, http:// URLs (plain HTTP, with a
// warning), and host[:port][/path], taken as https://.
func parseURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usageErrorf("get: %q is not a URL: %v", raw, errors.Unwrap(err))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, usageErrorf("get: %q is not an https:// URL (nor http://, plain HTTP)", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, usageErrorf("get: %q has no host", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, usageErrorf("get: %q: port %s is out of range (1 to 65535)", raw, p)
		}
	}
	return u, nil
}

// checkHostPort checks a HOST:PORT flag whose port must be a number from
// 1 to 65535.
func checkHostPort(cmd, name, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		msg := err.Error()
		if ae, ok := errors.AsType[*net.AddrError](err); ok {
			msg = ae.Err
		}
		return usageErrorf("%s: %s %s: %s; give HOST:PORT, as in 127.0.0.1:8443", cmd, dashed(name), addr, msg)
	}
	if host == "" {
		return usageErrorf("%s: %s %s: no host; give HOST:PORT, as in 127.0.0.1:8443", cmd, dashed(name), addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return usageErrorf("%s: %s %s: port %q is out of range (1 to 65535)", cmd, dashed(name), addr, port)
	}
	return nil
}

// dialConnectTo makes t connect to --connect-to instead of u's host and
// port, for that host and port only (a redirect elsewhere goes where it
// says); the name sent and verified stays u's host. Proxies are not used:
// the point is to reach that address.
func (c *getCmd) dialConnectTo(t *http.Transport, u *url.URL) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	from := net.JoinHostPort(u.Hostname(), port)
	to := c.connectTo
	t.Proxy = nil
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == from {
			addr = to
		}
		return dial(ctx, network, addr)
	}
}

// captureChain wraps the VerifyConnection of t's config (never replacing
// it: the library's checks run as before, and decide) to keep the chain
// the server sent, for -v to show also when the handshake fails after
// the certificate was verified (a policy or a legacy-scope refusal).
func (c *getCmd) captureChain(t *http.Transport) {
	cfg := t.TLSClientConfig
	if cfg == nil {
		return
	}
	inner := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		c.mu.Lock()
		c.sentCert = cs.PeerCertificates
		c.mu.Unlock()
		if inner != nil {
			return inner(cs)
		}
		return nil
	}
}

// sentChain is the chain the server sent in the failed request: from the
// verification error, which carries it, or as captured by captureChain.
func (c *getCmd) sentChain(err error) []*x509.Certificate {
	if cve, ok := errors.AsType[*tls.CertificateVerificationError](err); ok && len(cve.UnverifiedCertificates) > 0 {
		return cve.UnverifiedCertificates
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sentCert
}

// writeSentChain is -v for a failed request: the chain the server sent,
// which was not (or not in the end) accepted.
func (c *getCmd) writeSentChain(w io.Writer, u *url.URL, err error) {
	fmt.Fprintf(w, "url:          %s\n", u.Redacted())
	chain := c.sentChain(err)
	if len(chain) == 0 {
		if u.Scheme == "https" {
			fmt.Fprintf(w, "chain:        none received\n")
		}
		return
	}
	fmt.Fprintf(w, "chain (as sent by the server, not accepted):\n")
	writeChain(w, chain, time.Now())
}

// checkOut checks -o before the request is made: FILE must not be a
// directory, and the directory it goes in must exist.
func (c *getCmd) checkOut() error {
	if c.out == "" || c.out == "-" {
		return nil
	}
	fi, err := os.Stat(c.out)
	switch {
	case err == nil && fi.IsDir():
		return usageErrorf("get: -o %s is a directory; give a file name, as in -o %s", c.out, filepath.Join(c.out, "page.html"))
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return usageErrorf("get: -o %s: %v", c.out, pathless(err))
	}
	dir := filepath.Dir(c.out)
	di, err := os.Stat(dir)
	switch {
	case err != nil:
		return usageErrorf("get: -o %s: the directory %s: %v", c.out, dir, pathless(err))
	case !di.IsDir():
		return usageErrorf("get: -o %s: %s is not a directory", c.out, dir)
	}
	return nil
}

// writeBody copies the body to -o FILE or to stdout. A regular FILE is
// written under a temporary name in its directory and renamed when
// complete, so that a failed download leaves any earlier FILE as it was;
// an existing FILE keeps its mode, a new one gets 0666 less the umask.
// Anything else that exists (/dev/null, a FIFO) is written to directly.
func (c *getCmd) writeBody(body io.Reader, stdout io.Writer) error {
	if c.out == "" || c.out == "-" {
		if _, err := io.Copy(stdout, body); err != nil {
			return fmt.Errorf("get: reading the body: %w", err)
		}
		return nil
	}
	if fi, err := os.Stat(c.out); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(c.out, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("get: -o %s: %w", c.out, pathless(err))
		}
		_, err = io.Copy(f, body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("get: -o %s: %w", c.out, err)
		}
		return nil
	}
	if err := replaceFile(c.out, body); err != nil {
		return fmt.Errorf("get: -o %s: %w", c.out, err)
	}
	return nil
}

// httpURL is u with the scheme http://, for the hint to a port that
// speaks plain HTTP; the port stays, as it is the one that answered.
func httpURL(u *url.URL) string {
	h := *u
	h.Scheme = "http"
	if h.Port() == "" {
		h.Host = net.JoinHostPort(h.Hostname(), "443")
	}
	return h.Redacted()
}

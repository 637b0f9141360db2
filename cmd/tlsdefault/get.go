package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// legacyFlags are --legacy and --legacy-host, shared by get and serve.
type legacyFlags struct {
	all   bool
	hosts stringList
}

func (l *legacyFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&l.all, "legacy", false, "")
	fs.Var(&l.hosts, "legacy-host", "")
}

// on reports whether legacy mode was asked for.
func (l *legacyFlags) on() bool { return l.all || len(l.hosts) > 0 }

// check rejects --legacy with --legacy-host: --legacy allows every host,
// so the two together say two different things.
func (l *legacyFlags) check(cmd string) error {
	if l.all && len(l.hosts) > 0 {
		return usageErrorf("%s: --legacy and --legacy-host contradict each other (--legacy allows every host); give one of them", cmd)
	}
	return nil
}

// option returns the legacy.Allow option for the flags, warning on stderr,
// or nil.
func (l *legacyFlags) option(stderr io.Writer, extra ...legacy.Scope) tlsdefault.Option {
	if !l.on() {
		return nil
	}
	scopes := append([]legacy.Scope{legacy.WarnTo(stderr)}, extra...)
	if len(l.hosts) > 0 {
		scopes = append(scopes, legacy.ForHosts(l.hosts...))
	}
	return legacy.Allow(scopes...)
}

type getCmd struct {
	trust   trustFlags
	cert    string
	key     string
	legacy  legacyFlags
	out     string
	verbose bool
	timeout time.Duration
	opts    []tlsdefault.Option // the client's options, for probeAlert

	handshakeDone atomic.Bool // a TLS handshake of the request completed
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
	pos, err := parseFlags(fs, getUsage, args, stdout)
	if err != nil {
		return err
	}

	// Conflicting and incomplete flags first, before any file is read.
	if err := c.legacy.check("get"); err != nil {
		return err
	}
	if err := checkEmpty(fs, "cafile", "capath", "cadata-file", "cert", "key", "o", "legacy-host"); err != nil {
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
	if len(pos) == 0 {
		return usageErrorf("get: no URL given, as in 'tlsdefault get https://example.com/'")
	}
	if len(pos) > 1 {
		return usageErrorf("get: give one URL; %q is one too many", pos[1])
	}
	u, err := parseHTTPSURL(pos[0])
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
	for _, f := range []string{c.cert, c.key} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return usageErrorf("get: %v", err)
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
		return usageErrorf("get: %s", flagWords(err.Error(), &c.trust))
	}
	client.Timeout = c.timeout
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("refusing to follow a redirect to %s: not an https:// URL", req.URL.Redacted())
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	defer client.CloseIdleConnections()

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
		return c.explain(err, u, pool)
	}
	defer resp.Body.Close()

	if c.verbose {
		fmt.Fprintf(stderr, "url:          %s\n", resp.Request.URL.Redacted())
		fmt.Fprintf(stderr, "status:       %s (%s)\n", resp.Status, resp.Proto)
		if resp.TLS != nil {
			writeConnReport(stderr, resp.TLS, pool, resp.Request.URL.Hostname())
		}
	}

	if err := c.writeBody(resp.Body, stdout); err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		return &cliError{code: exitHTTPStatus, msgs: []string{fmt.Sprintf("get: the server answered %s", resp.Status)}}
	}
	return nil
}

// parseHTTPSURL accepts https:// URLs, and host[:port][/path] taken as one.
func parseHTTPSURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usageErrorf("get: %q is not a URL: %v", raw, errors.Unwrap(err))
	}
	if u.Scheme != "https" {
		return nil, usageErrorf("get: %q is not an https:// URL; tlsdefault speaks TLS only", raw)
	}
	if u.Host == "" {
		return nil, usageErrorf("get: %q has no host", raw)
	}
	return u, nil
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
// anything else that exists (/dev/null, a FIFO) is written to directly.
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
			return fmt.Errorf("get: -o: %w", err)
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
	if err := copyFileAtomic(c.out, body, 0o644); err != nil {
		return fmt.Errorf("get: -o %s: %w", c.out, err)
	}
	return nil
}

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tlsdefault/tlsdefault"
)

type serveCmd struct {
	addr       string
	cert, key  string
	dirOut     string
	clientAuth string
	trust      trustFlags // the CAs client certificates must chain to
	legacy     legacyFlags
	dir        string
	root       *os.Root // c.dir, opened
}

// clientAuthModes maps --client-auth to crypto/tls, as Python's verify_mode
// on a server context: CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED.
var clientAuthModes = map[string]tls.ClientAuthType{
	"none":     tls.NoClientCert,
	"optional": tls.VerifyClientCertIfGiven,
	"required": tls.RequireAndVerifyClientCert,
}

func runServe(args []string, stdout, stderr io.Writer) error {
	var c serveCmd
	fs := newFlagSet("serve")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8443", "")
	fs.StringVar(&c.cert, "cert", "", "")
	fs.StringVar(&c.key, "key", "", "")
	fs.StringVar(&c.dirOut, "dir-out", "", "")
	fs.StringVar(&c.clientAuth, "client-auth", "none", "")
	c.trust.register(fs)
	c.legacy.register(fs)
	fs.StringVar(&c.dir, "dir", "", "")
	pos, err := parseFlags(fs, serveUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("serve: unexpected argument %q (serve takes flags only)", pos[0])
	}

	// Conflicting and incomplete flags first.
	if err := c.legacy.check("serve"); err != nil {
		return err
	}
	if err := checkEmpty(fs, append([]string{"addr", "cert", "key", "dir-out", "dir", "legacy-host"}, trustFlagNames...)...); err != nil {
		return err
	}
	if c.cert != "" && c.key == "" {
		return usageErrorf("serve: --cert needs --key (the certificate's private key)")
	}
	if c.key != "" && c.cert == "" {
		return usageErrorf("serve: --key needs --cert")
	}
	if c.cert != "" && c.dirOut != "" {
		return usageErrorf("serve: --dir-out is where the throwaway certificates go; with --cert and --key none are made")
	}
	mode, ok := clientAuthModes[c.clientAuth]
	if !ok {
		return usageErrorf("serve: --client-auth %q: give none, optional or required", c.clientAuth)
	}
	clientCAs := c.trust.given()
	if mode == tls.NoClientCert && clientCAs {
		return usageErrorf("serve: --cafile, --capath, --cadata-file and --system name the CAs of client certificates; give --client-auth optional or required too")
	}
	if mode != tls.NoClientCert && !clientCAs && c.cert != "" {
		return usageErrorf("serve: --client-auth %s needs the CAs that client certificates must chain to: give --cafile, --capath or --cadata-file (or --system)", c.clientAuth)
	}
	for _, p := range []struct{ flag, path string }{{"cert", c.cert}, {"key", c.key}} {
		if err := checkFile("serve", p.flag, p.path); err != nil {
			return err
		}
	}
	if err := checkDir("serve", "dir", c.dir, false); err != nil {
		return err
	}
	if err := checkDir("serve", "dir-out", c.dirOut, true); err != nil {
		return err
	}
	if c.dir != "" {
		if c.root, err = os.OpenRoot(c.dir); err != nil {
			return usageErrorf("serve: --dir %s: %v", c.dir, pathless(err))
		}
		defer c.root.Close()
	}

	// The address is checked before anything is made: a mistyped --addr
	// is a usage error, and leaves nothing behind.
	if err := checkAddr(c.addr); err != nil {
		return err
	}

	// The client CAs are read before anything is written, so that a bad
	// --cafile leaves no throwaway directory behind.
	clientPool, err := c.trust.load()
	if err != nil {
		return sourceError("serve", exitUsage, err, &c.trust)
	}
	words := libWords{trust: &c.trust, cert: c.cert, key: c.key}

	opts := []tlsdefault.Option{
		tlsdefault.WithErrorLog(errorLog(stderr)),
		tlsdefault.WithClientAuth(mode),
	}
	if clientPool != nil {
		opts = append(opts, tlsdefault.WithPool(clientPool))
	}
	if o := c.legacy.option(stderr); o != nil {
		opts = append(opts, o)
	}

	// The throwaway certificates are made in memory first, and the
	// options checked with them, so that a usage error comes before the
	// address is bound and nothing is written until it is.
	var tw *throwaway
	check := opts
	if c.cert != "" {
		check = append(check[:len(check):len(check)], tlsdefault.WithKeyPairFiles(c.cert, c.key))
	} else {
		tw, err = newThrowaway()
		if err != nil {
			return fmt.Errorf("serve: making the throwaway certificates: %w", err)
		}
		check = append(check[:len(check):len(check)], tlsdefault.WithCertificate(tw.srv.tls()))
		if mode != tls.NoClientCert && !clientCAs {
			check = append(check, tlsdefault.WithCAData(tw.ca.certPEM()))
		}
	}
	if _, err := tlsdefault.ServerConfig(check...); err != nil {
		return usageErrorf("serve: %s", words.rewrite(err.Error()))
	}

	inner, err := net.Listen("tcp", c.addr)
	if err != nil {
		return listenError(c.addr, err)
	}
	serving := false // set once ln owns inner and the files are kept
	defer func() {
		if !serving {
			inner.Close()
		}
	}()

	var files *throwawayFiles
	if tw != nil {
		files, err = tw.write(c.dirOut)
		if err != nil {
			if c.dirOut != "" {
				return fmt.Errorf("serve: --dir-out %s: writing the throwaway certificates: %w", c.dirOut, err)
			}
			return fmt.Errorf("serve: writing the throwaway certificates: %w", err)
		}
		defer func() {
			if !serving && c.dirOut == "" {
				os.RemoveAll(files.dir)
			}
		}()
		opts = append(opts, tlsdefault.WithKeyPairFiles(files.certFile, files.keyFile))
		if mode != tls.NoClientCert && !clientCAs {
			opts = append(opts, tlsdefault.WithCAFile(files.caFile))
		}
	} else {
		opts = append(opts, tlsdefault.WithKeyPairFiles(c.cert, c.key))
	}
	ln, err := tlsdefault.NewListener(inner, opts...)
	if err != nil {
		return usageErrorf("serve: %s", words.rewrite(err.Error()))
	}
	serving = true
	if files != nil {
		infof(stderr, "wrote a throwaway CA and certificates to %s", files.dir)
		infof(stderr, "  trust %s; the server's pair is cert.pem and key.pem, a client's client.pem and client-key.pem", files.caFile)
		if mode != tls.NoClientCert && !clientCAs {
			infof(stderr, "client certificates are verified against the throwaway CA")
		}
	}
	return c.serve(ln, stderr)
}

// serve serves HTTP on ln until a signal comes.
func (c *serveCmd) serve(ln net.Listener, stderr io.Writer) error {
	var handler http.Handler = http.HandlerFunc(echoHandler)
	if c.dir != "" {
		handler = dirHandler(c.root)
	}
	// The library's server: header and idle timeouts, a smaller header
	// limit, errors to the listener's log (errorLog, as given to Listen).
	srv, err := tlsdefault.NewServer(ln, handler)
	if err != nil {
		return errors.New("serve: " + libMessage(err))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	what := "the echo page"
	if c.dir != "" {
		what = c.dir
	}
	infof(stderr, "serving https://%s/ (%s; client certificates: %s); stop with ctrl-c", ln.Addr(), what, c.clientAuth)

	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return errors.New("serve: " + libMessage(err))
	case <-ctx.Done():
	}
	stop() // a second signal kills the process
	infof(stderr, "shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		srv.Close()
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	infof(stderr, "stopped")
	return nil
}

// throwaway is a CA, a server certificate for the loopback names and a
// client certificate, made in memory.
type throwaway struct {
	ca       *throwawayCA
	srv, cli *issued
}

func newThrowaway() (*throwaway, error) {
	ca, err := newThrowawayCA()
	if err != nil {
		return nil, err
	}
	srv, err := ca.server("localhost", "127.0.0.1", "::1")
	if err != nil {
		return nil, err
	}
	cli, err := ca.client("tlsdefault throwaway client")
	if err != nil {
		return nil, err
	}
	return &throwaway{ca: ca, srv: srv, cli: cli}, nil
}

// write writes the files to dir (--dir-out), or to a new temporary
// directory when dir is "", which is removed again if writing fails.
func (t *throwaway) write(dir string) (*throwawayFiles, error) {
	if dir != "" {
		return writeThrowaway(dir, t.ca, t.srv, t.cli)
	}
	dir, err := os.MkdirTemp("", "tlsdefault-serve-")
	if err != nil {
		return nil, err
	}
	files, err := writeThrowaway(dir, t.ca, t.srv, t.cli)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return files, nil
}

// checkAddr checks --addr the way net.Listen reads it: HOST:PORT, with a
// port number from 0 to 65535 (0 picks a free port) or a service name.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		msg := err.Error()
		if ae, ok := errors.AsType[*net.AddrError](err); ok {
			msg = ae.Err
		}
		return usageErrorf("serve: --addr %s: %s; give HOST:PORT, as in 127.0.0.1:8443 or :8443", addr, msg)
	}
	if port == "" {
		return nil // as net.Listen: a free port
	}
	if n, err := strconv.ParseUint(port, 10, 64); err == nil || isDigits(port) {
		if err != nil || n > 65535 {
			return usageErrorf("serve: --addr %s: port %s is out of range (0 to 65535)", addr, port)
		}
		return nil
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return usageErrorf("serve: --addr %s: %q is not a port number or a known service name", addr, port)
	}
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// listenError explains a failure to bind --addr: a run-time failure
// (exit code 1), not a usage error.
func listenError(addr string, err error) error {
	ce := &cliError{code: exitFailure}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		ce.msgs = []string{fmt.Sprintf("serve: --addr %s: the address is already in use", addr)}
		ce.hints = []string{"another program is listening there; stop it, or pick another port (--addr 127.0.0.1:0 picks a free one)"}
	case errors.Is(err, syscall.EACCES):
		ce.msgs = []string{fmt.Sprintf("serve: --addr %s: permission denied", addr)}
		ce.hints = []string{"ports below 1024 need privileges; pick a higher port, as in --addr 127.0.0.1:8443"}
	default:
		ce.msgs = []string{fmt.Sprintf("serve: --addr %s: %s", addr, libMessage(err))}
	}
	return ce
}

// libMessage is an error's message without the "tlsdefault: " prefix the
// library's messages start with, which report adds once.
func libMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "tlsdefault: ")
}

// echoHandler shows what was negotiated on the request's connection.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	fmt.Fprintf(&b, "protocol:     %s\n", r.Proto)
	fmt.Fprintf(&b, "remote:       %s\n", r.RemoteAddr)
	if cs := r.TLS; cs != nil {
		fmt.Fprintf(&b, "version:      %s\n", versionName(cs.Version))
		fmt.Fprintf(&b, "cipher suite: %s\n", suiteName(cs.CipherSuite))
		fmt.Fprintf(&b, "key exchange: %s\n", groupName(cs))
		fmt.Fprintf(&b, "alpn:         %s\n", alpnName(cs))
		fmt.Fprintf(&b, "resumed:      %s\n", yesNo(cs.DidResume))
		if cs.ServerName != "" {
			fmt.Fprintf(&b, "server name:  %s\n", peerText(cs.ServerName))
		} else {
			fmt.Fprintf(&b, "server name:  none (no SNI)\n")
		}
		if len(cs.PeerCertificates) > 0 {
			leaf := cs.PeerCertificates[0]
			fmt.Fprintf(&b, "client cert:  %s (issued by %s)\n", peerText(leaf.Subject.String()), peerText(leaf.Issuer.String()))
		} else {
			fmt.Fprintf(&b, "client cert:  none\n")
		}
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html>\n<title>tlsdefault serve</title>\n<pre>%s</pre>\n", html.EscapeString(b.String()))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, b.String())
}

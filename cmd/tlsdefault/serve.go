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
	"strings"
	"syscall"
	"time"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/capool"
)

type serveCmd struct {
	addr       string
	cert, key  string
	dirOut     string
	clientAuth string
	cafile     string
	capath     string
	legacy     legacyFlags
	dir        string
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
	fs.StringVar(&c.cafile, "cafile", "", "")
	fs.StringVar(&c.capath, "capath", "", "")
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
	if err := checkEmpty(fs, "addr", "cert", "key", "dir-out", "cafile", "capath", "dir", "legacy-host"); err != nil {
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
	clientCAs := c.cafile != "" || c.capath != ""
	if mode == tls.NoClientCert && clientCAs {
		return usageErrorf("serve: --cafile and --capath name the CAs of client certificates; give --client-auth optional or required too")
	}
	if mode != tls.NoClientCert && !clientCAs && c.cert != "" {
		return usageErrorf("serve: --client-auth %s needs the CAs that client certificates must chain to: give --cafile or --capath", c.clientAuth)
	}
	for _, p := range []struct{ flag, path string }{{"cert", c.cert}, {"key", c.key}, {"cafile", c.cafile}, {"capath", c.capath}, {"dir", c.dir}} {
		if p.path == "" {
			continue
		}
		if _, err := os.Stat(p.path); err != nil {
			return usageErrorf("serve: --%s: %v", p.flag, err)
		}
	}
	if c.dir != "" {
		if fi, err := os.Stat(c.dir); err == nil && !fi.IsDir() {
			return usageErrorf("serve: --dir %s is not a directory", c.dir)
		}
	}

	// The client CAs are read before anything is written, so that a bad
	// --cafile leaves no throwaway directory behind.
	var clientPool *capool.Pool
	if clientCAs {
		clientPool, err = capool.Load(capool.Sources{CAFile: c.cafile, CAPath: c.capath})
		if err != nil {
			return sourceError("serve", exitUsage, err, nil)
		}
	}

	opts := []tlsdefault.Option{
		tlsdefault.WithErrorLog(errorLog(stderr)),
		tlsdefault.WithClientAuth(mode),
	}
	if c.cert != "" {
		opts = append(opts, tlsdefault.WithKeyPairFiles(c.cert, c.key))
	} else {
		files, err := c.makeThrowaway()
		if err != nil {
			return fmt.Errorf("serve: making the throwaway certificates: %w", err)
		}
		opts = append(opts, tlsdefault.WithKeyPairFiles(files.certFile, files.keyFile))
		infof(stderr, "wrote a throwaway CA and certificates to %s", files.dir)
		infof(stderr, "  trust %s; the server's pair is cert.pem and key.pem, a client's client.pem and client-key.pem", files.caFile)
		if mode != tls.NoClientCert && !clientCAs {
			opts = append(opts, tlsdefault.WithCAFile(files.caFile))
			infof(stderr, "client certificates are verified against the throwaway CA")
		}
	}
	if clientPool != nil {
		opts = append(opts, tlsdefault.WithPool(clientPool))
	}
	if o := c.legacy.option(stderr); o != nil {
		opts = append(opts, o)
	}

	ln, err := tlsdefault.Listen("tcp", c.addr, opts...)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			return fmt.Errorf("serve: %v", err)
		}
		return usageErrorf("serve: %s", flagWords(err.Error(), nil))
	}

	var handler http.Handler = http.HandlerFunc(echoHandler)
	if c.dir != "" {
		handler = http.FileServer(http.Dir(c.dir))
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errorLog(stderr),
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
		return fmt.Errorf("serve: %w", err)
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

// makeThrowaway makes a CA, a server certificate for the loopback names and
// a client certificate, and writes them to --dir-out or a new temporary
// directory.
func (c *serveCmd) makeThrowaway() (*throwawayFiles, error) {
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
	dir := c.dirOut
	if dir == "" {
		dir, err = os.MkdirTemp("", "tlsdefault-serve-")
		if err != nil {
			return nil, err
		}
	}
	return writeThrowaway(dir, ca, srv, cli)
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
			fmt.Fprintf(&b, "server name:  %s\n", cs.ServerName)
		} else {
			fmt.Fprintf(&b, "server name:  none (no SNI)\n")
		}
		if len(cs.PeerCertificates) > 0 {
			leaf := cs.PeerCertificates[0]
			fmt.Fprintf(&b, "client cert:  %s (issued by %s)\n", leaf.Subject, leaf.Issuer)
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

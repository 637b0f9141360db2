package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, dir, "ca.pem")
	leaf := ca.Server(t)
	certFile, keyFile := leaf.WriteFiles(t, dir)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"), 0o644)
	missing := filepath.Join(dir, "missing.pem")
	// A usage error writes nothing, also no throwaway directory.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	defer func() {
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("left behind in TMPDIR: %v", ents)
		}
	}()

	tests := []struct {
		name string
		args []string
		want string // in the one stderr line
	}{
		{"unknown command", []string{"frob"}, `unknown command "frob"`},
		{"get no url", []string{"get"}, "no URL given"},
		{"get two urls", []string{"get", "https://a/", "https://b/"}, "one too many"},
		{"get unknown flag", []string{"get", "--frob", "https://a/"}, "flag provided but not defined: --frob"},
		{"get flag without value", []string{"get", "https://a/", "-o"}, "flag needs an argument: -o"},
		{"get bad timeout", []string{"get", "--timeout", "soon", "https://a/"}, "--timeout"},
		{"get cert without key", []string{"get", "--cert", certFile, "https://a/"}, "--cert needs --key"},
		{"get key without cert", []string{"get", "--key", keyFile, "https://a/"}, "--key needs --cert"},
		{"get legacy and legacy-host", []string{"get", "--legacy", "--legacy-host", "a", "https://a/"}, "--legacy and --legacy-host contradict"},
		// Conflicts are reported before any file is looked at.
		{"get conflict before files", []string{"get", "--legacy", "--legacy-host", "a", "--cafile", missing, "https://a/"}, "contradict"},
		{"get ftp url", []string{"get", "ftp://a/"}, "not an https:// URL"},
		{"get port out of range", []string{"get", "https://127.0.0.1:70000/"}, "port 70000 is out of range"},
		{"get port zero", []string{"get", "https://127.0.0.1:0/"}, "port 0 is out of range"},
		{"get repeated flag", []string{"get", "--cafile", caFile, "--cafile", caFile, "https://a/"}, "get: --cafile given twice; it takes one value, give it once"},
		{"get repeated bool flag", []string{"get", "-v", "https://a/", "-v"}, "get: -v given twice"},
		{"get connect-to without port", []string{"get", "--connect-to", "127.0.0.1", "https://a/"}, "get: --connect-to 127.0.0.1: missing port in address"},
		{"get connect-to port out of range", []string{"get", "--connect-to", "127.0.0.1:65536", "https://a/"}, `port "65536" is out of range`},
		{"get connect-to empty", []string{"get", "--connect-to", "", "https://a/"}, "get: --connect-to is empty"},
		{"get directory as cert", []string{"get", "--cert", dir, "--key", keyFile, "https://a/"}, "get: --cert " + dir + " is a directory"},
		{"get missing key names its flag", []string{"get", "--cert", certFile, "--key", missing, "https://a/"}, "get: --key " + missing + ": no such file"},
		{"serve repeated flag", []string{"serve", "--addr", "127.0.0.1:0", "--addr", "127.0.0.1:1"}, "serve: --addr given twice"},
		{"serve dir-out file", []string{"serve", "--dir-out", caFile}, "serve: --dir-out " + caFile + " is not a directory"},
		{"serve dir file", []string{"serve", "--dir", caFile}, "serve: --dir " + caFile + " is not a directory"},
		{"serve missing cert names its flag", []string{"serve", "--cert", missing, "--key", keyFile}, "serve: --cert " + missing + ": no such file"},
		{"serve missing cadata-file", []string{"serve", "--client-auth", "required", "--cadata-file", missing}, "--cadata-file " + missing},
		{"pool repeated flag", []string{"pool", "--capath", dir, "--capath", dir}, "pool: --capath given twice"},
		{"get empty cafile", []string{"get", "--cafile", "", "https://a/"}, "--cafile is empty"},
		{"get missing cafile", []string{"get", "--cafile", missing, "https://a/"}, "missing.pem: no such file"},
		{"get malformed cafile", []string{"get", "--cafile", garbage, "https://a/"}, "block 1"},
		{"get missing cert", []string{"get", "--cert", missing, "--key", keyFile, "https://a/"}, "missing.pem"},
		{"get bad legacy host", []string{"get", "--legacy-host", "https://a/", "https://a/"}, "not a host name"},
		{"get empty legacy host", []string{"get", "--legacy-host", "", "https://a/"}, "get: --legacy-host is empty; give a host name"},
		{"get empty o", []string{"get", "-o", "", "https://a/"}, "get: -o is empty; give a file name"},
		// -o is checked before the request (127.0.0.1:1 would refuse it:
		// exit code 1).
		{"get o directory", []string{"get", "-o", dir, "https://127.0.0.1:1/"}, "-o " + dir + " is a directory"},
		{"get o missing directory", []string{"get", "-o", filepath.Join(missing, "page.html"), "https://127.0.0.1:1/"}, "the directory " + missing + ": no such file"},
		{"get o under a file", []string{"get", "-o", filepath.Join(caFile, "page.html"), "https://127.0.0.1:1/"}, "not a directory"},
		{"serve addr without port", []string{"serve", "--addr", "99999"}, "serve: --addr 99999: missing port in address"},
		{"serve addr port out of range", []string{"serve", "--addr", "127.0.0.1:99999"}, "port 99999 is out of range"},
		{"serve addr bad port", []string{"serve", "--addr", "127.0.0.1:eighty"}, `"eighty" is not a port number`},
		{"serve bad client-auth", []string{"serve", "--client-auth", "maybe"}, `--client-auth "maybe"`},
		{"serve cert without key", []string{"serve", "--cert", certFile}, "--cert needs --key"},
		{"serve cafile without client-auth", []string{"serve", "--cafile", caFile}, "give --client-auth optional or required"},
		{"serve client-auth without CA", []string{"serve", "--cert", certFile, "--key", keyFile, "--client-auth", "required"}, "give --cafile, --capath or --cadata-file"},
		{"serve dir-out with cert", []string{"serve", "--cert", certFile, "--key", keyFile, "--dir-out", dir}, "--dir-out"},
		{"serve missing dir", []string{"serve", "--dir", missing}, "--dir"},
		{"serve argument", []string{"serve", "now"}, `unexpected argument "now"`},
		{"serve legacy and legacy-host", []string{"serve", "--legacy", "--legacy-host", "a"}, "contradict"},
		{"pool argument", []string{"pool", caFile}, "unexpected argument"},
		{"pool unknown flag", []string{"pool", "--yaml"}, "flag provided but not defined: --yaml"},
		{"rehash no dir", []string{"rehash"}, "no directory given"},
		{"rehash missing dir", []string{"rehash", missing}, "no such file"},
		{"rehash file", []string{"rehash", caFile}, "not a directory"},
		{"demo argument", []string{"demo", "fast"}, "unexpected argument"},
		{"version argument", []string{"version", "x"}, "unexpected argument"},
		{"help unknown", []string{"help", "frob"}, `unknown command "frob"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(tt.args...)
			if r.code != exitUsage {
				t.Fatalf("exit code %d, want %d\n%s", r.code, exitUsage, r)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one line on stderr, got %d:\n%s", len(lines), r.stderr)
			}
			if !strings.HasPrefix(lines[0], "tlsdefault: error: ") {
				t.Errorf("stderr %q does not start with \"tlsdefault: error: \"", lines[0])
			}
			if !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr %q does not contain %q", lines[0], tt.want)
			}
			checkErrorLines(t, r.stderr)
		})
	}
}

// TestUsageErrorsBinary checks the exit code of the real binary.
func TestUsageErrorsBinary(t *testing.T) {
	r := runBin(t, "get", "--nope", "https://example.com/")
	if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "tlsdefault: error: get: flag provided but not defined: --nope") {
		t.Errorf("want one usage line and exit code 2\n%s", r)
	}
	r = runBin(t)
	if r.code != exitUsage || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no arguments: want the short usage on stderr and exit code 2\n%s", r)
	}
}

func TestHelp(t *testing.T) {
	for _, sub := range []string{"get", "serve", "pool", "rehash", "demo", "version"} {
		for _, h := range []string{"--help", "-h", "-help"} {
			r := runIn(sub, h)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%s %s:\n%s", sub, h, r)
			}
			if !strings.HasPrefix(r.stdout, "Usage: tlsdefault "+sub) {
				t.Errorf("%s %s: usage does not start with \"Usage: tlsdefault %s\":\n%s", sub, h, sub, r.stdout)
			}
			if sub != "version" && !strings.Contains(r.stdout, "Example") {
				t.Errorf("%s %s: usage has no examples", sub, h)
			}
		}
		if r := runIn("help", sub); r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: tlsdefault "+sub) {
			t.Errorf("help %s:\n%s", sub, r)
		}
	}
	for _, h := range []string{"help", "--help", "-h"} {
		r := runIn(h)
		if r.code != 0 {
			t.Errorf("%s: %s", h, r)
		}
		for _, want := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE", "Exit codes:", "tlsdefault get", "tlsdefault serve", "tlsdefault pool", "tlsdefault rehash", "tlsdefault demo"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s: usage does not mention %s", h, want)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		r := runBin(t, arg)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "tlsdefault ") || !strings.Contains(r.stdout, runtime.Version()) {
			t.Errorf("%s:\n%s", arg, r)
		}
	}
}

func TestServeAndGetMutualTLS(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	s := startServe(t, "--dir-out", pki, "--client-auth", "required")
	if s.dir != pki {
		t.Fatalf("serve wrote to %q, want %q", s.dir, pki)
	}
	for name, mode := range map[string]os.FileMode{"ca.pem": 0o644, "cert.pem": 0o644, "key.pem": 0o600, "client.pem": 0o644, "client-key.pem": 0o600} {
		fi, err := os.Stat(s.file(name))
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}

	t.Run("with client certificate", func(t *testing.T) {
		r := runBin(t, "get", "-v", "--cafile", s.file("ca.pem"), "--cert", s.file("client.pem"), "--key", s.file("client-key.pem"), s.url)
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		for _, want := range []string{"version:      TLS 1.3", "client cert:  CN=tlsdefault throwaway client", "protocol:     HTTP/2.0", "alpn:         h2"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("page lacks %q:\n%s", want, r.stdout)
			}
		}
		for _, want := range []string{
			"status:       200 OK (HTTP/2.0)", "version:      TLS 1.3", "cipher suite: TLS_", "key exchange: X25519",
			"alpn:         h2", "resumed:      no", "chain (verified):", "0 subject: CN=localhost",
			"names:   localhost, 127.0.0.1, ::1", "key:     ECDSA P-256", "1 subject: CN=tlsdefault throwaway CA",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("-v output lacks %q:\n%s", want, r.stderr)
			}
		}
	})

	t.Run("without client certificate", func(t *testing.T) {
		r := runBin(t, "get", "--cafile", s.file("ca.pem"), s.url)
		if r.code != exitFailure {
			t.Fatalf("want exit code %d\n%s", exitFailure, r)
		}
		if r.stdout != "" {
			t.Errorf("stdout not empty: %q", r.stdout)
		}
		for _, want := range []string{
			"tlsdefault: error: handshake with 127.0.0.1 failed: the server requires a client certificate",
			"tlsdefault: hint: give a client certificate with --cert FILE --key FILE",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		checkErrorLines(t, r.stderr)
	})

	t.Run("unknown authority", func(t *testing.T) {
		other := testpki.NewCA(t)
		r := runBin(t, "get", "--cafile", other.WriteFile(t, t.TempDir(), "other.pem"), "--cert", s.file("client.pem"), "--key", s.file("client-key.pem"), s.url)
		if r.code != exitFailure {
			t.Fatalf("want exit code %d\n%s", exitFailure, r)
		}
		for _, want := range []string{"error: handshake with 127.0.0.1 failed: the server's certificate was issued by", "hint: trusted: cafile", "--cafile, --capath or --cadata-file"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		checkErrorLines(t, r.stderr)
	})

	t.Run("hashed capath and -o", func(t *testing.T) {
		capath := t.TempDir()
		ca, err := os.ReadFile(s.file("ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(capath, "ca.crt"), ca, 0o644)
		if r := runBin(t, "rehash", capath); r.code != 0 {
			t.Fatalf("rehash: %s", r)
		}
		// Only the hashed link: the CA is then found lazily by hash.
		hashed := t.TempDir()
		links, _ := filepath.Glob(filepath.Join(capath, "*.0"))
		if len(links) != 1 {
			t.Fatalf("rehash made %d links", len(links))
		}
		os.WriteFile(filepath.Join(hashed, filepath.Base(links[0])), ca, 0o644)

		out := filepath.Join(t.TempDir(), "page.txt")
		url := strings.Replace(s.url, "127.0.0.1", "localhost", 1)
		r := runBin(t, "get", "-v", "-o", out, "--capath", hashed, "--cert", s.file("client.pem"), "--key", s.file("client-key.pem"), url)
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		if r.stdout != "" {
			t.Errorf("-o given, but stdout is %q", r.stdout)
		}
		page, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(page), "server name:  localhost") {
			t.Errorf("-o file: %q, %v", page, err)
		}
		if !strings.Contains(r.stderr, "chain (verified):") || !strings.Contains(r.stderr, "1 subject: CN=tlsdefault throwaway CA") {
			t.Errorf("-v with a hashed capath does not show the verified chain:\n%s", r.stderr)
		}
	})
}

func TestServeGracefulShutdown(t *testing.T) {
	s := startServe(t)
	r := runBin(t, "get", "--cafile", s.file("ca.pem"), s.url)
	if r.code != 0 || !strings.Contains(r.stdout, "client cert:  none") {
		t.Fatalf("%s", r)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "tlsdefault: stopped") {
		t.Errorf("serve did not report stopping:\n%s", s.stderr)
	}
	if strings.HasPrefix(s.dir, os.TempDir()) {
		os.RemoveAll(s.dir)
	}
}

func TestServeFilesAndHTTPStatus(t *testing.T) {
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "index.txt"), []byte("served from a directory\n"), 0o644)
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t).WriteFiles(t, dir)
	caFile := ca.WriteFile(t, dir, "ca.pem")
	s := startServe(t, "--cert", certFile, "--key", keyFile, "--dir", www)

	r := runBin(t, "get", "--cafile", caFile, s.url+"index.txt")
	if r.code != 0 || r.stdout != "served from a directory\n" {
		t.Errorf("%s", r)
	}
	r = runBin(t, "get", "--cafile", caFile, s.url+"missing.txt")
	if r.code != exitHTTPStatus {
		t.Errorf("want exit code %d\n%s", exitHTTPStatus, r)
	}
	if !strings.Contains(r.stdout, "404 page not found") || !strings.Contains(r.stderr, "tlsdefault: error: get: the server answered 404 Not Found") {
		t.Errorf("%s", r)
	}
}

func TestGetLegacy(t *testing.T) {
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	addr := serveTLS(t, &tls.Config{
		MinVersion:   tls.VersionTLS10,
		MaxVersion:   tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		Certificates: []tls.Certificate{ca.Server(t).TLS()},
	})
	url := "https://" + addr + "/"

	r := runBin(t, "get", "--cafile", caFile, url)
	if r.code != exitFailure {
		t.Fatalf("default: want exit code %d\n%s", exitFailure, r)
	}
	for _, want := range []string{
		"tlsdefault: error: handshake with 127.0.0.1 failed: the server refused every protocol version this client offered",
		"tlsdefault: hint: if this server cannot be upgraded",
		"--legacy-host 127.0.0.1 " + url,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("default: stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	checkErrorLines(t, r.stderr)
	// The library's explanation names its API (legacy.Allow); the
	// command says it in its flags.
	for _, api := range []string{"legacy.Allow", "legacy.ForHosts", "WithCA"} {
		if strings.Contains(r.stderr, api) {
			t.Errorf("stderr names the library's %s, not the flag:\n%s", api, r.stderr)
		}
	}

	r = runBin(t, "get", "-v", "--cafile", caFile, "--legacy-host", "127.0.0.1", url)
	if r.code != 0 || r.stdout != "hello from the old server\n" {
		t.Fatalf("--legacy-host: %s", r)
	}
	for _, want := range []string{"tlsdefault: warning: legacy client handshake with 127.0.0.1: TLS 1.0", "version:      TLS 1.0"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("--legacy-host: stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	r = runBin(t, "get", "--cafile", caFile, "--legacy", url)
	if r.code != 0 {
		t.Errorf("--legacy: %s", r)
	}

	r = runBin(t, "get", "--cafile", caFile, "--legacy-host", "old.example", url)
	if r.code != exitFailure || strings.Contains(r.stderr, "hint: if this server cannot be upgraded") ||
		!strings.Contains(r.stderr, "tlsdefault: hint: --legacy-host names old.example, not 127.0.0.1; add --legacy-host 127.0.0.1") {
		t.Errorf("--legacy-host for another host: want exit code 1 and a hint\n%s", r)
	}
}

func TestGetConnectionRefused(t *testing.T) {
	r := runBin(t, "get", "--timeout", "5s", "https://127.0.0.1:1/")
	if r.code != exitFailure || !strings.Contains(r.stderr, "tlsdefault: error: get https://127.0.0.1:1/:") {
		t.Errorf("%s", r)
	}
	checkErrorLines(t, r.stderr)
}

func TestPoolJSON(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	expired := testpki.NewCA(t, testpki.Expired())
	leaf := ca.Server(t)
	bundle := writePEM(t, filepath.Join(dir, "bundle.pem"), ca.CertDER(), leaf.Cert.Raw, expired.CertDER(), ca.CertDER())

	r := runBin(t, "pool", "--json", "--cafile", bundle)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.stdout)
	}
	if got.Count != 3 || len(got.Certificates) != 3 {
		t.Fatalf("count %d, %d certificates; want 3 (the duplicate once)\n%s", got.Count, len(got.Certificates), r.stdout)
	}
	if got.Sources != "cafile "+bundle {
		t.Errorf("sources %q", got.Sources)
	}
	for i, want := range []struct {
		cert    *x509.Certificate
		block   int
		isCA    bool
		expired bool
	}{
		{ca.Cert, 1, true, false},
		{leaf.Cert, 2, false, false},
		{expired.Cert, 3, true, true},
	} {
		c := got.Certificates[i]
		if c.Subject != want.cert.Subject.String() || c.Block != want.block || c.IsCA != want.isCA || c.Expired != want.expired ||
			c.Source != "cafile" || c.Path != bundle || c.SubjectHash != fmt.Sprintf("%08x", capool.SubjectHash(want.cert)) ||
			!c.NotAfter.Equal(want.cert.NotAfter.UTC().Truncate(time.Second)) || c.Key != "ECDSA P-256" || len(c.SHA256) != 64 {
			t.Errorf("certificate %d: %+v", i, c)
		}
	}
	wantWarnings := []string{"duplicate certificate", "block 2: CN=", "is not a CA certificate", "block 3: CN=" + expired.Cert.Subject.CommonName, "expired on"}
	all := strings.Join(got.Warnings, "\n")
	for _, w := range wantWarnings {
		if !strings.Contains(all, w) {
			t.Errorf("warnings lack %q:\n%s", w, all)
		}
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if len(got.Warnings) != 3 {
		t.Errorf("want 3 warnings (duplicate, non-CA, expired), got %d:\n%s", len(got.Warnings), all)
	}

	// The subject hash is OpenSSL's.
	if openssl := findOpenSSL(t); openssl != "" {
		out, err := exec.Command(openssl, "x509", "-hash", "-noout", "-in", ca.WriteFile(t, dir, "ca.pem")).Output()
		if err != nil {
			t.Fatal(err)
		}
		if h := strings.TrimSpace(string(out)); h != got.Certificates[0].SubjectHash {
			t.Errorf("subject_hash %s, openssl says %s", got.Certificates[0].SubjectHash, h)
		}
	}
}

func TestPoolTableAndHashedCAPath(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	ca2 := testpki.NewCA(t)
	hash := fmt.Sprintf("%08x", capool.SubjectHash(ca.Cert))
	// A hashed-only CA (lazy in capool), a plain file with a link to it,
	// and a file whose name does not match its hash.
	writePEM(t, filepath.Join(dir, hash+".0"), ca.CertDER())
	writePEM(t, filepath.Join(dir, "second.pem"), ca2.CertDER())
	if err := os.Symlink("second.pem", filepath.Join(dir, fmt.Sprintf("%08x.0", capool.SubjectHash(ca2.Cert)))); err != nil {
		t.Skip("no symbolic links:", err)
	}
	writePEM(t, filepath.Join(dir, "00000000.0"), ca2.CertDER())

	r := runBin(t, "pool", "--capath", dir)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"HASH", "EXPIRES", "SOURCE", "SUBJECT",
		hash + "  ", "capath " + filepath.Join(dir, hash+".0") + " block 1 (" + hash + ".0)", ca.Cert.Subject.String(),
		"second.pem block 1 (", "2 certificates from capath " + dir,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "00000000.0 is named for hash 00000000, but its subject hash is") {
		t.Errorf("no warning for the misnamed file:\n%s", r.stderr)
	}

	r = runBin(t, "pool", "--json", "--capath", dir)
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Count != 2 {
		t.Fatalf("--json: %v\n%s", err, r)
	}
	if c := got.Certificates[len(got.Certificates)-1]; c.Subject != ca.Cert.Subject.String() || c.Source != "capath" || !slices.Equal(c.Links, []string{hash + ".0"}) {
		t.Errorf("hashed CA: %+v", c)
	}
}

func TestPoolFailures(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	noCerts := filepath.Join(dir, "nocerts.pem")
	os.WriteFile(noCerts, []byte("just text\n"), 0o644)
	der := filepath.Join(dir, "ca.der")
	ca := testpki.NewCA(t)
	os.WriteFile(der, ca.CertDER(), 0o644)

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing cafile", []string{"--cafile", filepath.Join(dir, "missing.pem")}, exitPool, "missing.pem"},
		{"empty capath", []string{"--capath", empty}, exitPool, "capath " + empty},
		{"no certificates", []string{"--cafile", noCerts}, exitPool, "nocerts.pem"},
		{"empty flag", []string{"--cafile", ""}, exitUsage, "--cafile is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, append([]string{"pool"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("want exit code %d\n%s", tt.code, r)
			}
			if !strings.HasPrefix(r.stderr, "tlsdefault: error: pool: ") || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want one error line containing %q\n%s", tt.want, r)
			}
			checkErrorLines(t, r.stderr)
		})
	}

	r := runBin(t, "pool", "--cadata-file", der)
	if r.code != 0 || !strings.Contains(r.stdout, "cadata") || !strings.Contains(r.stdout, "1 certificate from cadata") {
		t.Errorf("DER cadata: %s", r)
	}
}

func TestPoolSystem(t *testing.T) {
	ca := testpki.NewCA(t)
	file := ca.WriteFile(t, t.TempDir(), "system.pem")
	r := runBinEnv(t, []string{"SSL_CERT_FILE=" + file, "SSL_CERT_DIR=" + t.TempDir()}, "pool", "--json")
	if runtime.GOOS != "linux" {
		t.Skip("the system store can be listed on Linux only")
	}
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("%v\n%s", err, r)
	}
	if got.Count != 1 || got.Certificates[0].Source != "system" || got.Certificates[0].Subject != ca.Cert.Subject.String() {
		t.Errorf("SSL_CERT_FILE not honoured: %s", r.stdout)
	}
}

func findOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl not found, and CI=true: install it")
		}
		t.Log("openssl not found; skipping the comparison with it")
		return ""
	}
	return p
}

func TestRehashMatchesOpenSSL(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no symbolic links")
	}
	openssl := findOpenSSL(t)
	if openssl == "" {
		t.Skip("openssl not found")
	}
	src := t.TempDir()
	ca := testpki.NewCA(t)
	// Two CAs with the same subject share a hash: .0 and .1.
	same1 := testpki.NewCA(t, testpki.CommonName("tlsdefault rehash twin"))
	same2 := testpki.NewCA(t, testpki.CommonName("tlsdefault rehash twin"))
	writePEM(t, filepath.Join(src, "a.pem"), ca.CertDER())
	writePEM(t, filepath.Join(src, "twin1.crt"), same1.CertDER())
	writePEM(t, filepath.Join(src, "twin2.cer"), same2.CertDER())
	writePEM(t, filepath.Join(src, "copy-of-a.pem"), ca.CertDER()) // a duplicate: no link
	os.WriteFile(filepath.Join(src, "notes.txt"), []byte("not a certificate\n"), 0o644)
	crl, err := x509.CreateRevocationList(nil, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour)}, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "ca.crl"), pemBlock("X509 CRL", crl), 0o644)

	ours, theirs := t.TempDir(), t.TempDir()
	for _, d := range []string{ours, theirs} {
		ents, _ := os.ReadDir(src)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(src, e.Name()))
			os.WriteFile(filepath.Join(d, e.Name()), b, 0o644)
		}
	}
	if out, err := exec.Command(openssl, "rehash", theirs).CombinedOutput(); err != nil {
		t.Fatalf("openssl rehash: %v\n%s", err, out)
	}
	r := runBin(t, "rehash", ours)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	want, got := hashLinks(theirs), hashLinks(ours)
	if len(want) == 0 {
		t.Fatal("openssl rehash made no links")
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("links differ\nours:    %v\nopenssl: %v", got, want)
	}
	for name, target := range got {
		if !strings.Contains(r.stdout, name+" -> "+target+"  (new)\n") {
			t.Errorf("stdout does not list %s -> %s as new:\n%s", name, target, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("tlsdefault: %d links in %s: %d new, 0 removed", len(got), ours, len(got))) {
		t.Errorf("no summary:\n%s", r.stderr)
	}

	// A second run changes nothing; a stale link is removed.
	os.Symlink("gone.pem", filepath.Join(ours, "0badcafe.0"))
	r = runBin(t, "rehash", ours)
	if r.code != 0 || strings.Contains(r.stdout, "(new)") || !strings.Contains(r.stdout, "0badcafe.0 -> gone.pem  (removed)") {
		t.Errorf("second run:\n%s", r)
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestDemo(t *testing.T) {
	start := time.Now()
	r := runBin(t, "demo")
	elapsed := time.Since(start)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	lines := []string{
		"request 1: HTTP/2.0 200 OK, TLS 1.3, ",
		"alpn h2, resumed: no",
		"request 2: HTTP/2.0 200 OK, TLS 1.3, ",
		"resumed: yes",
		"old.test (the default client): refused: the server refused every protocol version this client offered (TLS 1.3, TLS 1.2)",
		"package legacy is the explicit opt-in",
		"old.test (in scope): accepted: HTTP/1.1 200 OK, TLS 1.0, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
		"observed by the hook: legacy client handshake with old.test: TLS 1.0",
		"other.test (same client, not in scope): refused: ",
		"legacy.Counter: 1 legacy handshake(s), old.test: 1",
	}
	for _, want := range lines {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "observed by the hook") != 1 {
		t.Errorf("want exactly one observed legacy handshake:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "tlsdefault: warning: legacy client handshake with old.test") {
		t.Errorf("no legacy warning on stderr:\n%s", r.stderr)
	}
	if elapsed > 10*time.Second {
		t.Errorf("demo took %v; it should take about a second", elapsed)
	}
}

// TestCADataFileNotRegular checks that --cadata-file refuses what is not a
// regular file (a FIFO would block, /dev/zero would be read without end)
// with one line naming the file, and the exit code of any other trust file
// that cannot be used: 2 for get, 4 for pool (as --cafile).
func TestCADataFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.pem")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxCADataSize + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	files := map[string]string{
		"directory": dir,
		"too big":   big,
	}
	want := map[string]string{
		"directory": "is a directory",
		"too big":   "67108865 bytes is over the 64 MiB limit",
		"fifo":      "not a regular file",
		"device":    "not a regular file",
	}
	if fifo := filepath.Join(dir, "fifo"); mkfifo(fifo) == nil {
		files["fifo"] = fifo
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		files["device"] = "/dev/zero"
	}
	for name, path := range files {
		for _, cmd := range []struct {
			args []string
			code int
		}{
			{[]string{"pool", "--cadata-file", path}, exitPool},
			{[]string{"get", "--cadata-file", path, "https://127.0.0.1:1/"}, exitUsage},
		} {
			t.Run(name+" "+cmd.args[0], func(t *testing.T) {
				r := runBin(t, cmd.args...) // bounded: a FIFO that blocks times out
				if r.code != cmd.code {
					t.Fatalf("want exit code %d\n%s", cmd.code, r)
				}
				line := "tlsdefault: error: " + cmd.args[0] + ": --cadata-file " + path + ": " + want[name]
				if !strings.HasPrefix(r.stderr, line) || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("want one line starting %q\n%s", line, r)
				}
				checkErrorLines(t, r.stderr)
			})
		}
	}
}

// TestReadCADataFileLimit checks the cap on what is read: a file of
// exactly 64 MiB is read, one byte more is not.
func TestReadCADataFileLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cadata")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, maxCADataSize); err != nil {
		t.Fatal(err)
	}
	data, err := readCADataFile(path)
	if err != nil || len(data) != maxCADataSize {
		t.Fatalf("64 MiB: %d bytes, %v", len(data), err)
	}
	if err := os.Truncate(path, maxCADataSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := readCADataFile(path); err == nil || !strings.Contains(err.Error(), "over the 64 MiB limit") {
		t.Fatalf("64 MiB + 1: %v", err)
	}
}

// TestServeBadAddr checks that an --addr that cannot be used leaves no
// throwaway directory behind and says so once: a malformed address is a
// usage error, a port in use a run-time failure.
func TestServeBadAddr(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dirOut := filepath.Join(t.TempDir(), "pki")
	inUse := "the address is already in use"
	if runtime.GOOS == "windows" {
		inUse = "" // WSAEADDRINUSE is reported in the system's words
	}

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no port", []string{"--addr", "99999"}, exitUsage, "tlsdefault: error: serve: --addr 99999: missing port in address"},
		{"port out of range", []string{"--addr", "127.0.0.1:99999"}, exitUsage, "tlsdefault: error: serve: --addr 127.0.0.1:99999: port 99999 is out of range (0 to 65535)"},
		{"port in use", []string{"--addr", busy.Addr().String()}, exitFailure, "tlsdefault: error: serve: --addr " + busy.Addr().String() + ": " + inUse},
		{"port in use with dir-out", []string{"--addr", busy.Addr().String(), "--dir-out", dirOut}, exitFailure, inUse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			r := runBinEnv(t, []string{"TMPDIR=" + tmp}, append([]string{"serve"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("want exit code %d\n%s", tt.code, r)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q\n%s", tt.want, r)
			}
			if strings.Contains(r.stderr, "tlsdefault: tlsdefault:") || strings.Contains(r.stderr, "serve: tlsdefault:") {
				t.Errorf("doubled prefix\n%s", r)
			}
			if strings.Contains(r.stderr, "throwaway") {
				t.Errorf("throwaway certificates reported\n%s", r)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("left behind in TMPDIR: %v", ents)
			}
			if _, err := os.Stat(dirOut); err == nil {
				t.Errorf("--dir-out %s was written although the address could not be bound", dirOut)
			}
			checkErrorLines(t, r.stderr)
		})
	}
}

// TestGetOutputFile checks that -o streams the body into a temporary file
// in FILE's own directory (the first part is there before the server has
// sent the rest) and renames it: afterwards the directory holds FILE alone.
func TestGetOutputFile(t *testing.T) {
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	release := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "first part\n")
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, "second part\n")
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          errorLog(io.Discard),
	}
	go srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}}))
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	out := filepath.Join(dir, "page.txt")
	if err := os.WriteFile(out, []byte("an older page\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "get", "--cafile", caFile, "-o", out, "https://"+ln.Addr().String()+"/")
	cmd.Env = commandEnv()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// The first part lands in a temporary file next to FILE, which still
	// holds the older page.
	deadline := time.Now().Add(15 * time.Second)
	for {
		tmps, _ := filepath.Glob(filepath.Join(dir, ".page.txt.tmp*"))
		if len(tmps) == 1 {
			if b, _ := os.ReadFile(tmps[0]); string(b) == "first part\n" {
				break
			}
		}
		if time.Now().After(deadline) {
			ents, _ := os.ReadDir(dir)
			t.Fatalf("no temporary file with the first part in %s: %v", dir, ents)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, _ := os.ReadFile(out); string(b) != "an older page\n" {
		t.Errorf("FILE changed before the body was complete: %q", b)
	}
	close(release)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("get -o: %v\nstderr:\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("-o given, but stdout is %q", stdout.String())
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "first part\nsecond part\n" {
		t.Errorf("-o file: %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the directory holds %v; want page.txt alone", ents)
	}
}

// TestGetOutputNotRegular checks that -o writes straight into a FILE that
// exists and is not a regular file (a FIFO here; /dev/null likewise)
// instead of renaming a temporary file over it.
func TestGetOutputNotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs:", err)
	}
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	addr := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}})
	read := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // opens when the command does
		read <- string(b)
	}()
	r := runBin(t, "get", "--cafile", caFile, "-o", fifo, "https://"+addr+"/")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	select {
	case got := <-read:
		if got != "hello from the old server\n" {
			t.Errorf("read from the FIFO: %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was written to the FIFO")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("the FIFO was replaced: %v, %v", fi.Mode(), err)
	}
}

// TestPoolHashedFileWithTwoCertificates checks that every certificate of a
// hashed capath file is listed, as OpenSSL loads them all, and that only a
// certificate whose subject hash differs from the name is warned about.
func TestPoolHashedFileWithTwoCertificates(t *testing.T) {
	dir := t.TempDir()
	// Two CAs with one subject share a hash; a third has another.
	twin1 := testpki.NewCA(t, testpki.CommonName("tlsdefault pool twin"))
	twin2 := testpki.NewCA(t, testpki.CommonName("tlsdefault pool twin"))
	other := testpki.NewCA(t, testpki.CommonName("tlsdefault pool other"))
	hash := fmt.Sprintf("%08x", capool.SubjectHash(twin1.Cert))
	otherHash := fmt.Sprintf("%08x", capool.SubjectHash(other.Cert))
	writePEM(t, filepath.Join(dir, hash+".0"), twin1.CertDER(), twin2.CertDER())

	r := runBin(t, "pool", "--json", "--capath", dir)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	var got poolListing
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if got.Count != 2 || got.Certificates[0].Block != 1 || got.Certificates[1].Block != 2 {
		t.Fatalf("want both certificates of %s.0 listed:\n%s", hash, r.stdout)
	}
	for _, c := range got.Certificates {
		if !slices.Equal(c.Links, []string{hash + ".0"}) {
			t.Errorf("links %v, want [%s.0]", c.Links, hash)
		}
	}
	if len(got.Warnings) != 0 || r.stderr != "" {
		t.Errorf("want no warnings for a hashed file of two certificates with its hash:\n%s", r)
	}

	// A second certificate with another subject is listed too, and
	// warned about: a lookup by its subject opens <its hash>.0.
	writePEM(t, filepath.Join(dir, hash+".0"), twin1.CertDER(), other.CertDER())
	r = runBin(t, "pool", "--capath", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "2 certificates from capath") || !strings.Contains(r.stdout, "block 2 ("+hash+".0)") {
		t.Fatalf("want both certificates listed\n%s", r)
	}
	for _, bad := range []string{"reads only the first", "holds 2 certificates"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("stderr says %q:\n%s", bad, r.stderr)
		}
	}
	wantWarn := "tlsdefault: warning: capool: capath " + dir + ": " + hash + ".0 block 2 (" + other.Cert.Subject.String() + ") is named for hash " + hash + ", but its subject hash is " + otherHash
	if !strings.Contains(r.stderr, wantWarn) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("want one warning, for block 2:\n%s", r.stderr)
	}

	// OpenSSL agrees that the second certificate of a hashed file is found.
	if openssl := findOpenSSL(t); openssl != "" {
		writePEM(t, filepath.Join(dir, hash+".0"), twin1.CertDER(), twin2.CertDER())
		leaf := writePEM(t, filepath.Join(t.TempDir(), "leaf.pem"), twin2.Server(t).Cert.Raw)
		if out, err := exec.Command(openssl, "verify", "-CApath", dir, leaf).CombinedOutput(); err != nil {
			t.Errorf("openssl verify -CApath through the second certificate: %v\n%s", err, out)
		}
	}
}

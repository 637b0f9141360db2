package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// TestServeDirConfined checks the file server of serve --dir: dot names
// are neither served nor listed, and links that lead out of the directory
// are not followed (nor listed), while links within it are.
func TestServeDirConfined(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("SECRET outside\n"), 0o644)
	www := t.TempDir()
	for name, body := range map[string]string{
		"index.txt":       "the index\n",
		".env":            "SECRET=env\n",
		".git/config":     "SECRET git\n",
		"sub/ok.txt":      "ok in sub\n",
		"sub/.hidden":     "SECRET hidden\n",
		".dotdir/inside":  "SECRET in a dot directory\n",
		"sub/plain.html":  "<p>plain</p>\n",
		"deep/a/b/c.txt":  "deep\n",
		"deep/a/.b/c.txt": "SECRET deep\n",
	} {
		p := filepath.Join(www, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"link-in":         "sub/ok.txt",
		"link-out":        filepath.Join(outside, "secret.txt"),
		"link-up":         "../" + filepath.Base(outside) + "/secret.txt",
		"dirlink-out":     outside,
		"sub/link-parent": "../index.txt",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(www, filepath.FromSlash(name))); err != nil {
			t.Skip("no symbolic links:", err)
		}
	}
	// link-up must point at the same outside directory.
	os.Remove(filepath.Join(www, "link-up"))
	rel, err := filepath.Rel(www, filepath.Join(outside, "secret.txt"))
	if err != nil {
		t.Fatal(err)
	}
	os.Symlink(rel, filepath.Join(www, "link-up"))

	root, err := os.OpenRoot(www)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ts := httptest.NewServer(dirHandler(root))
	defer ts.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	for _, tt := range []struct {
		path string
		code int
		body string // in the body
	}{
		{"/index.txt", 200, "the index"},
		{"/sub/ok.txt", 200, "ok in sub"},
		{"/link-in", 200, "ok in sub"},
		{"/sub/link-parent", 200, "the index"},
		{"/deep/a/b/c.txt", 200, "deep"},
		{"/.env", 404, ""},
		{"/.git/config", 404, ""},
		{"/.git/", 404, ""},
		{"/sub/.hidden", 404, ""},
		{"/.dotdir/inside", 404, ""},
		{"/deep/a/.b/c.txt", 404, ""},
		{"/link-out", 404, ""},
		{"/link-up", 404, ""},
		{"/dirlink-out/secret.txt", 404, ""},
		{"/dirlink-out/", 404, ""},
		{"/../" + filepath.Base(outside) + "/secret.txt", 404, ""},
	} {
		code, body := get(tt.path)
		if code != tt.code || !strings.Contains(body, tt.body) || strings.Contains(body, "SECRET") {
			t.Errorf("GET %s: %d %q, want %d with %q", tt.path, code, body, tt.code, tt.body)
		}
	}

	// Listings leave out dot names and links out of the directory.
	_, list := get("/")
	for _, want := range []string{"index.txt", "sub/", "link-in", "deep/"} {
		if !strings.Contains(list, want) {
			t.Errorf("listing of / lacks %q:\n%s", want, list)
		}
	}
	for _, hidden := range []string{".env", ".git", ".dotdir", "link-out", "link-up", "dirlink-out"} {
		if strings.Contains(list, hidden) {
			t.Errorf("listing of / shows %q:\n%s", hidden, list)
		}
	}
	if _, list := get("/sub/"); strings.Contains(list, ".hidden") || !strings.Contains(list, "ok.txt") {
		t.Errorf("listing of /sub/:\n%s", list)
	}
}

// TestServeDirBinary runs serve --dir as a user does, and checks that a
// dotfile is a 404 there too.
func TestServeDirBinary(t *testing.T) {
	www := t.TempDir()
	os.WriteFile(filepath.Join(www, "page.txt"), []byte("a page\n"), 0o644)
	os.WriteFile(filepath.Join(www, ".env"), []byte("SECRET=1\n"), 0o600)
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t).WriteFiles(t, dir)
	caFile := ca.WriteFile(t, dir, "ca.pem")
	s := startServe(t, "--cert", certFile, "--key", keyFile, "--dir", www)

	if r := runBin(t, "get", "--cafile", caFile, s.url+"page.txt"); r.code != 0 || r.stdout != "a page\n" {
		t.Errorf("page.txt: %s", r)
	}
	if r := runBin(t, "get", "--cafile", caFile, s.url+".env"); r.code != exitHTTPStatus || strings.Contains(r.stdout, "SECRET") {
		t.Errorf(".env: want a 404\n%s", r)
	}
}

// TestServeTrustFlags checks that serve takes the shared trust flags for
// client certificates: here --cadata-file, which serve did not have before
// the flags were shared with get and pool.
func TestServeTrustFlags(t *testing.T) {
	ca := testpki.NewCA(t)
	clientCA := testpki.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.Server(t).WriteFiles(t, dir)
	caFile := ca.WriteFile(t, dir, "ca.pem")
	clientCAFile := clientCA.WriteFile(t, dir, "client-ca.pem")
	cliCert, cliKey := clientCA.Client(t, "alice").WriteFilesNamed(t, dir, "alice")
	s := startServe(t, "--cert", certFile, "--key", keyFile, "--client-auth", "required", "--cadata-file", clientCAFile)

	r := runBin(t, "get", "--cafile", caFile, "--cert", cliCert, "--key", cliKey, s.url)
	if r.code != 0 || !strings.Contains(r.stdout, "client cert:  CN=alice") {
		t.Errorf("client certificate from the --cadata-file CA: %s", r)
	}
	// A client certificate from another CA is refused.
	otherCert, otherKey := ca.Client(t, "mallory").WriteFilesNamed(t, dir, "mallory")
	if r := runBin(t, "get", "--cafile", caFile, "--cert", otherCert, "--key", otherKey, s.url); r.code != exitFailure {
		t.Errorf("client certificate from another CA: want exit code %d\n%s", exitFailure, r)
	}
}

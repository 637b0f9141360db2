//go:build unix

package tlsdefault_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// SSLKEYLOGFILE naming a symbolic link, or a file that others may read, is
// refused with a warning: no secret reaches the file, and the program's
// handshakes go on.
func TestSSLKeyLogFileRefused(t *testing.T) {
	if os.Getenv("TLSDEFAULT_CHILD") == "" {
		dir := t.TempDir()
		target := filepath.Join(dir, "target.log")
		if err := os.WriteFile(target, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.log")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		shared := filepath.Join(dir, "shared.log")
		if err := os.WriteFile(shared, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(shared, 0o644); err != nil {
			t.Fatal(err)
		}
		for file, why := range map[string]string{link: "symbolic link", shared: "group or others"} {
			out := runChild(t, "TestSSLKeyLogFileRefused", "SSLKEYLOGFILE="+file)
			if !strings.Contains(out, "PASS") {
				t.Fatalf("child failed: %s", out)
			}
			if !strings.Contains(out, why) || !strings.Contains(out, "not logged") || strings.Count(out, "SSLKEYLOGFILE") != 1 {
				t.Errorf("%s: want one warning saying %q: %s", file, why, out)
			}
			for _, f := range []string{target, shared} {
				if b, _ := os.ReadFile(f); len(b) > 0 {
					t.Fatalf("secrets written to %s through %s: %q", f, file, b)
				}
			}
		}
		return
	}
	ca := testpki.NewCA(t)
	ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", tlsdefault.WithCertificate(ca.Server(t).TLS()))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveListener(t, ln, nil)
	client, err := tlsdefault.NewClient(tlsdefault.WithCAData(ca.CertPEM()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, client, "https://"+addr); err != nil {
		t.Fatal(err)
	}
}

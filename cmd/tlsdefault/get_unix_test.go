//go:build unix

package main

import (
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

// TestGetOutputMode checks that get -o keeps the mode of an existing file
// (also through a symbolic link, which stays a link) and gives a new one
// 0666 less the umask, as the shell's ">" does.
func TestGetOutputMode(t *testing.T) {
	ca := testpki.NewCA(t)
	caFile := ca.WriteFile(t, t.TempDir(), "ca.pem")
	url := "https://" + serveTLS(t, &tls.Config{Certificates: []tls.Certificate{ca.Server(t).TLS()}}) + "/"
	dir := t.TempDir()

	// get runs under sh, which sets the umask for it.
	get := func(umask, out string) {
		t.Helper()
		cmd := exec.Command("/bin/sh", "-c", `umask "$1"; shift; exec "$@"`, "sh", umask, binary, "get", "--cafile", caFile, "-o", out, url)
		cmd.Env = commandEnv()
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("get -o %s (umask %s): %v\n%s", out, umask, err, b)
		}
		if b, err := os.ReadFile(out); err != nil || string(b) != "hello from the old server\n" {
			t.Errorf("-o %s holds %q, %v", out, b, err)
		}
	}
	mode := func(path string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}

	for _, tt := range []struct {
		umask string
		want  os.FileMode
	}{{"022", 0o644}, {"077", 0o600}, {"027", 0o640}, {"002", 0o664}} {
		out := filepath.Join(dir, "new-"+tt.umask)
		get(tt.umask, out)
		if got := mode(out); got != tt.want {
			t.Errorf("new file with umask %s: mode %v, want %v", tt.umask, got, tt.want)
		}
	}

	for _, keep := range []os.FileMode{0o600, 0o640, 0o604, 0o755} {
		out := filepath.Join(dir, "existing-"+strings.TrimLeft(keep.String(), "-"))
		if err := os.WriteFile(out, []byte("older\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(out, keep)
		get("000", out) // the widest umask: nothing may widen the mode
		if got := mode(out); got != keep {
			t.Errorf("existing file of mode %v: now %v", keep, got)
		}
	}

	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("older\n"), 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink("target", link); err != nil {
		t.Fatal(err)
	}
	get("022", link)
	if fi, err := os.Lstat(link); err != nil || fi.Mode().Type() != os.ModeSymlink {
		t.Errorf("-o through a symbolic link replaced the link: %v, %v", fi.Mode(), err)
	}
	if got := mode(target); got != 0o600 {
		t.Errorf("the link's target: mode %v, want 0600", got)
	}
	if ents, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
}

//go:build unix

package internal

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenKeyLog(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("old\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := write("own.log", 0o600)
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.log")
	if err := os.Symlink(filepath.Join(dir, "target-of-dangling.log"), dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := write("foreign.log", 0o600)
	tests := []struct {
		name string
		path string
		want string // "" to accept, or a word of the warning
	}{
		{"new", filepath.Join(dir, "new.log"), ""},
		{"own-0600", own, ""},
		{"symlink", link, "symbolic link"},
		{"dangling-symlink", dangling, "symbolic link"},
		{"group-readable", write("group.log", 0o640), "group or others"},
		{"world-readable", write("world.log", 0o644), "group or others"},
		{"world-writable-only", write("others-write.log", 0o602), ""},
		{"fifo", fifo, "not a regular file"},
		{"directory", dir, "directory"},
		{"foreign-owner", foreign, "owned by user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "foreign-owner" {
				if os.Geteuid() != 0 {
					t.Skip("making a file owned by another user needs root")
				}
				if err := os.Chown(foreign, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			}
			var warn bytes.Buffer
			done := make(chan *os.File, 1)
			go func() { done <- openKeyLogWarn(tt.path, &warn) }()
			var f *os.File
			select {
			case f = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("opening the key log blocked")
			}
			if tt.want == "" {
				if f == nil {
					t.Fatalf("refused: %s", warn.String())
				}
				defer f.Close()
				if !strings.Contains(warn.String(), "secrets are written to") {
					t.Errorf("no warning that secrets are logged: %q", warn.String())
				}
				if _, err := f.WriteString("secret\n"); err != nil {
					t.Fatal(err)
				}
				fi, err := os.Stat(tt.path)
				if err != nil {
					t.Fatal(err)
				}
				if tt.name == "new" && fi.Mode().Perm() != 0o600 {
					t.Errorf("new key log has mode %04o, want 0600", fi.Mode().Perm())
				}
				b, _ := os.ReadFile(tt.path)
				if tt.name != "new" && !bytes.HasPrefix(b, []byte("old\n")) {
					t.Errorf("existing content not kept: %q", b)
				}
				return
			}
			if f != nil {
				f.Close()
				t.Fatalf("accepted %s: %s", tt.path, warn.String())
			}
			w := warn.String()
			if !strings.HasPrefix(w, "tlsdefault: warning: ") || !strings.Contains(w, tt.want) || !strings.Contains(w, "not logged") {
				t.Fatalf("warning %q, want %q and that secrets are not logged", w, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(own); string(b) != "old\nsecret\n" {
		t.Errorf("own.log is %q: written through the symbolic link?", b)
	}
	if _, err := os.Lstat(filepath.Join(dir, "target-of-dangling.log")); err == nil {
		t.Error("the target of a dangling symbolic link was created")
	}
}

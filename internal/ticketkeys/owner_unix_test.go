//go:build unix

package ticketkeys_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/ticketkeys"
)

// A key file owned by another user is refused when opened and on reload;
// a symbolic link to a file of this user is followed (Kubernetes ..data).
func TestOwnerChecked(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file to another user")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ticket.keys")
	_, s1 := newKey(t)
	writeKeys(t, path, 0o600, s1)
	link := filepath.Join(dir, "link.keys")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		f, err := ticketkeys.Open(link, time.Second)
		if err != nil {
			t.Fatalf("symbolic link to a file of this user: %v", err)
		}
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Skip(err)
		}
		time.Sleep(time.Second)
		os.Chtimes(path, time.Now(), time.Now().Add(time.Minute)) // a change for the watcher
		if o := f.Check(); o.Err == nil || !strings.Contains(o.Err.Error(), "owned by user 65534") {
			t.Fatalf("other owner on reload: %+v", o)
		}
		if _, err := ticketkeys.Open(link, time.Second); err == nil || !strings.Contains(err.Error(), "owned by user 65534") {
			t.Fatalf("other owner at open: %v", err)
		}
	})
}

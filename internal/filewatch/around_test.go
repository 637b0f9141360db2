package filewatch_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/filewatch"
)

// countingDir is a Dir whose Stop and Match count the names asked about:
// a read of the directory's names shows in the counts.
func countingDir(path string, asked *int) filewatch.Dir {
	return filewatch.Dir{
		Path:  path,
		Match: func(n string) bool { *asked++; return strings.HasSuffix(n, ".pem") },
		Stop:  func(n string) bool { *asked++; return strings.HasSuffix(n, ".0") },
	}
}

// NewAround does not read the names of a directory that read found hashed
// (read has just read them), and a change to it is still seen.
func TestNewAroundHashedDirNotRead(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "0123abcd.0"), "ca")
	write(t, filepath.Join(dir, "bundle.pem"), "ca")
	asked, reads := 0, 0
	w, err := filewatch.NewAround(time.Hour, nil, []filewatch.Dir{countingDir(dir, &asked)}, func() (map[string]bool, error) {
		reads++
		return map[string]bool{dir: true}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if reads != 1 || asked != 0 {
		t.Fatalf("read ran %d times; %d names were asked about, want none", reads, asked)
	}
	reloads := 0
	reload := func() error { reloads++; return nil }
	w.CheckNow(reload)
	if reloads != 0 {
		t.Fatalf("unchanged hashed directory: %d reloads", reloads)
	}
	write(t, filepath.Join(dir, "4567cdef.0"), "ca2")
	if w.CheckNow(reload); reloads != 1 {
		t.Fatalf("a CA added to the hashed directory: %d reloads, want 1", reloads)
	}
	// Hashed names gone: the directory is read as plain files again.
	os.Remove(filepath.Join(dir, "0123abcd.0"))
	os.Remove(filepath.Join(dir, "4567cdef.0"))
	if w.CheckNow(reload); reloads != 2 {
		t.Fatalf("hashed names removed: %d reloads, want 2", reloads)
	}
	write(t, filepath.Join(dir, "bundle.pem"), "another ca, longer")
	if w.CheckNow(reload); reloads != 3 {
		t.Fatalf("a plain file rewritten after the directory stopped being hashed: %d reloads, want 3", reloads)
	}
}

// A file that cannot be stamped fails before anything is read.
func TestNewAroundStampError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	reads := 0
	_, err := filewatch.NewAround(time.Hour, []string{missing}, nil, func() (map[string]bool, error) { reads++; return nil, nil })
	if !errors.Is(err, os.ErrNotExist) || reads != 0 {
		t.Fatalf("got %v, %d reads", err, reads)
	}
	boom := errors.New("boom")
	if _, err := filewatch.NewAround(time.Hour, nil, nil, func() (map[string]bool, error) { return nil, boom }); err != boom {
		t.Fatalf("read's error: %v", err)
	}
}

// A plain directory is stamped after read: an old, unchanged directory
// gives no reload at the first check; a file changed while read ran does
// (its stamp may already be of the new version).
func TestNewAroundPlainDir(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the file system's racy window (2 s)")
	}
	dir := t.TempDir()
	pem := filepath.Join(dir, "a.pem")
	write(t, pem, "one")
	time.Sleep(2100 * time.Millisecond) // older than the racy window
	asked := 0
	plain := func() (map[string]bool, error) { return nil, nil }
	w, err := filewatch.NewAround(time.Hour, nil, []filewatch.Dir{countingDir(dir, &asked)}, plain)
	if err != nil {
		t.Fatal(err)
	}
	reloads := 0
	reload := func() error { reloads++; return nil }
	if w.CheckNow(reload); reloads != 0 || asked == 0 {
		t.Fatalf("old plain directory: %d reloads (want 0), %d names asked", reloads, asked)
	}
	w, err = filewatch.NewAround(time.Hour, nil, []filewatch.Dir{countingDir(dir, &asked)}, func() (map[string]bool, error) {
		write(t, pem, "two") // after read has seen "one"
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.CheckNow(reload); reloads != 1 {
		t.Fatalf("a file changed while read ran: %d reloads, want 1", reloads)
	}
}

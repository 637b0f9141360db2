package filewatch_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/filewatch"
)

// Third red-team pass: changes made while NewAround's read runs are seen
// at the first check, however they keep size and modification time.

// oldFile writes content to path with a modification time an hour old
// (outside the racy window), as a file installed long before.
func oldFile(t *testing.T, path, content string) time.Time {
	t.Helper()
	write(t, path, content)
	mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return mtime
}

// rewriteKeepingTimes rewrites path in place with content of the same
// size and puts the old modification time back (cp -p, rsync -t).
func rewriteKeepingTimes(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(content)
	f.Close()
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// A watched file and a plain directory's file rewritten in place during
// read, with size and modification time kept: the first check reloads.
func TestRedteam3NewAroundChangeDuringRead(t *testing.T) {
	for _, where := range []string{"file", "plain dir"} {
		t.Run(where, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ca.pem")
			mtime := oldFile(t, path, "version one")
			var files []string
			var dirs []filewatch.Dir
			if where == "file" {
				files = []string{path}
			} else {
				d := t.TempDir()
				os.Rename(path, filepath.Join(d, "ca.pem"))
				path = filepath.Join(d, "ca.pem")
				os.Chtimes(d, mtime, mtime)
				dirs = []filewatch.Dir{{Path: d, Match: func(string) bool { return true }, Stop: func(n string) bool { return filepath.Ext(n) == ".0" }}}
			}
			w, err := filewatch.NewAround(time.Hour, files, dirs, func() (map[string]bool, error) {
				rewriteKeepingTimes(t, path, "version two", mtime) // after read saw one
				return nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			reloads := 0
			if w.CheckNow(func() error { reloads++; return nil }); reloads != 1 {
				t.Errorf("%s rewritten during read (same size and mtime): %d reloads at the first check, want 1", where, reloads)
			}
		})
	}
}

// A directory read as hashed that loses its hashed names during read
// (becoming plain) reloads at the first check, and one that becomes hashed
// after a plain read does too.
func TestRedteam3NewAroundLayoutChangeDuringRead(t *testing.T) {
	for _, found := range []bool{true, false} {
		dir := t.TempDir()
		hashed := filepath.Join(dir, "0123abcd.0")
		plain := filepath.Join(dir, "ca.pem")
		if found {
			write(t, hashed, "ca")
		} else {
			write(t, plain, "ca")
		}
		d := filewatch.Dir{Path: dir, Match: func(n string) bool { return filepath.Ext(n) == ".pem" }, Stop: func(n string) bool { return filepath.Ext(n) == ".0" }}
		w, err := filewatch.NewAround(time.Hour, nil, []filewatch.Dir{d}, func() (map[string]bool, error) {
			if found {
				os.Remove(hashed)
				write(t, plain, "ca")
				return map[string]bool{dir: true}, nil
			}
			write(t, hashed, "ca")
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		reloads := 0
		if w.CheckNow(func() error { reloads++; return nil }); reloads != 1 {
			t.Errorf("read found hashed=%v, the layout switched during read: %d reloads, want 1", found, reloads)
		}
	}
}

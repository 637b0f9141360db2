package filewatch_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/filewatch"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// later is a clock far enough ahead that no stamp is racy: only the
// metadata tells versions apart.
func later() time.Time { return time.Now().Add(time.Hour) }

func stat(t *testing.T, path string) filewatch.Stamp {
	t.Helper()
	st, err := filewatch.Stat(path, false, later())
	if err != nil {
		t.Fatal(err)
	}
	if st.Hashed {
		t.Fatalf("%s hashed although not racy", path)
	}
	return st
}

// replacements are the ways tools replace a file with one of the same size
// while keeping its modification time.
var replacements = map[string]func(t *testing.T, path, content string, mtime time.Time){
	// cp -p onto an existing file: the same inode, rewritten, times restored.
	"in place (cp -p)": func(t *testing.T, path, content string, mtime time.Time) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(content); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	},
	// rsync -t, install -p: a new file renamed over the old one.
	"rename (rsync -t)": func(t *testing.T, path, content string, mtime time.Time) {
		tmp := path + ".tmp"
		write(t, tmp, content)
		if err := os.Chtimes(tmp, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	},
	// tar x: the old file removed, a new one made.
	"unlink and create (tar x)": func(t *testing.T, path, content string, mtime time.Time) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		write(t, path, content)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	},
}

func TestSameSizeSameMtimeReplacement(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no inode or ctime: covered by TestHashFallback")
	}
	for name, replace := range replacements {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ca.pem")
			write(t, path, "version A")
			fi, _ := os.Stat(path)
			before := stat(t, path)
			replace(t, path, "version B", fi.ModTime())
			fi2, _ := os.Stat(path)
			if fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
				t.Fatalf("set-up: size or mtime differ (%d %v, %d %v)", fi.Size(), fi.ModTime(), fi2.Size(), fi2.ModTime())
			}
			if after := stat(t, path); before.Same(after) {
				t.Fatalf("replacement not seen: %+v", after)
			}
		})
	}
}

// A stamp taken right after a write is racy: the content is hashed, so
// that a second write within the file system's clock tick is still seen.
func TestRacyStampHashed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	write(t, path, "version A")
	st, err := filewatch.Stat(path, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Hashed {
		t.Fatal("a file written just now was not hashed")
	}
}

// TestHashFallback: two stamps with equal metadata but different hashes
// are different versions (what a system without inode and ctime relies on).
func TestHashFallback(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "version A")
	write(t, b, "version B")
	sa, err := filewatch.Stat(a, true, later())
	if err != nil {
		t.Fatal(err)
	}
	sb, err := filewatch.Stat(b, true, later())
	if err != nil {
		t.Fatal(err)
	}
	if !sa.Hashed || !sb.Hashed || sa.Hash == sb.Hash {
		t.Fatal("contents not hashed")
	}
	sb.Target, sb.Dev, sb.Ino, sb.Size, sb.Mode, sb.Mtime, sb.Ctime = sa.Target, sa.Dev, sa.Ino, sa.Size, sa.Mode, sa.Mtime, sa.Ctime
	if sa.Same(sb) {
		t.Fatal("different contents with the same metadata taken for the same version")
	}
	sb.Hash = sa.Hash
	if !sa.Same(sb) {
		t.Fatal("same stamp taken for a change")
	}
}

// dataSwap lays out a directory the way Kubernetes mounts a secret or a
// config map (name -> ..data/name, ..data -> ..<timestamp>) and returns a
// function that swaps in a new version as the kubelet does.
func dataSwap(t *testing.T, dir, name, content string) (path string, swap func(content string)) {
	t.Helper()
	n := 0
	version := func(content string) string {
		n++
		v := filepath.Join(dir, "..2026_12_01_00_00_0"+string(rune('0'+n)))
		if err := os.Mkdir(v, 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(v, name), content)
		return filepath.Base(v)
	}
	if err := os.Symlink(version(content), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, name)
	if err := os.Symlink(filepath.Join("..data", name), path); err != nil {
		t.Fatal(err)
	}
	return path, func(content string) {
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(version(content), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDataSymlinkSwap(t *testing.T) {
	path, swap := dataSwap(t, t.TempDir(), "ca.crt", "version A")
	before := stat(t, path)
	if !strings.Contains(before.Target, "..2026_12_01") {
		t.Fatalf("target %q: links not followed", before.Target)
	}
	swap("version B")
	after := stat(t, path)
	if before.Same(after) {
		t.Fatal("..data swap not seen")
	}
	if before.Target == after.Target {
		t.Fatal("target path not updated")
	}
}

func TestWatcherInterval(t *testing.T) {
	dir := t.TempDir()
	pathA := filepath.Join(dir, "a")
	write(t, pathA, "one")
	k8s, swap := dataSwap(t, filepath.Join(t.TempDir()), "b", "one")
	synctest.Test(t, func(t *testing.T) {
		w, err := filewatch.New(time.Second, []string{pathA, k8s}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var reloads int
		reload := func() error { reloads++; return nil }
		if o := w.Check(reload); o.Changed || reloads != 0 {
			t.Fatal("checked before the interval passed")
		}
		time.Sleep(time.Second)
		if o := w.Check(reload); o.Changed || reloads != 0 {
			t.Fatalf("reload without a change: %+v", o)
		}
		fi, _ := os.Stat(pathA)
		replacements["in place (cp -p)"](t, pathA, "two", fi.ModTime())
		time.Sleep(time.Second / 2)
		if o := w.Check(reload); o.Changed {
			t.Fatal("checked within the interval")
		}
		time.Sleep(time.Second / 2)
		if o := w.Check(reload); !o.Reloaded() || reloads != 1 {
			t.Fatalf("in-place change: %+v, %d reloads", o, reloads)
		}
		time.Sleep(time.Second)
		if o := w.Check(reload); o.Changed {
			t.Fatalf("reloaded again without a change: %+v", o)
		}
		swap("two")
		time.Sleep(time.Second)
		if o := w.Check(reload); !o.Reloaded() || reloads != 2 {
			t.Fatalf("..data swap: %+v, %d reloads", o, reloads)
		}
	})
}

func TestWatcherFailedReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a")
	write(t, path, "one")
	synctest.Test(t, func(t *testing.T) {
		w, err := filewatch.New(time.Second, []string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		bad := errors.New("broken")
		write(t, path, "broken content")
		time.Sleep(time.Second)
		o := w.Check(func() error { return bad })
		if !o.Changed || o.Err != bad || o.Repeated {
			t.Fatalf("first failure: %+v", o)
		}
		time.Sleep(time.Second)
		o = w.Check(func() error { return bad })
		if o.Err != bad || !o.Repeated {
			t.Fatalf("second failure not marked repeated: %+v", o)
		}
		// Retried until it works, then quiet.
		time.Sleep(time.Second)
		if o := w.Check(func() error { return nil }); !o.Reloaded() {
			t.Fatalf("retry: %+v", o)
		}
		time.Sleep(time.Second)
		if o := w.Check(func() error { return bad }); o.Changed {
			t.Fatalf("reload after success without a change: %+v", o)
		}
		// A file that vanished is a failure, the old stamps kept.
		os.Remove(path)
		time.Sleep(time.Second)
		if o := w.Check(func() error { return nil }); o.Err == nil || !errors.Is(o.Err, os.ErrNotExist) {
			t.Fatalf("missing file: %+v", o)
		}
	})
}

func TestWatcherDir(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.pem"), "one")
	write(t, filepath.Join(dir, "ignored.txt"), "one")
	synctest.Test(t, func(t *testing.T) {
		w, err := filewatch.New(time.Second, nil, []filewatch.Dir{{Path: dir, Match: func(n string) bool { return strings.HasSuffix(n, ".pem") }}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		reload := func() error { n++; return nil }
		step := func(what string, want int) {
			t.Helper()
			time.Sleep(time.Second)
			w.Check(reload)
			if n != want {
				t.Fatalf("%s: %d reloads, want %d", what, n, want)
			}
		}
		step("nothing", 0)
		fi, _ := os.Stat(filepath.Join(dir, "a.pem"))
		replacements["in place (cp -p)"](t, filepath.Join(dir, "a.pem"), "two", fi.ModTime())
		step("plain file rewritten in place", 1)
		write(t, filepath.Join(dir, "b.pem"), "new")
		step("file added", 2)
		os.Remove(filepath.Join(dir, "a.pem"))
		step("file removed", 3)
		os.Symlink("nowhere", filepath.Join(dir, "dangling.pem"))
		step("dangling link added (the directory changed)", 4)
		step("nothing", 4)
	})
}

// TestWatcherOneChecker: many goroutines asking at once run one check.
func TestWatcherOneChecker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a")
	write(t, path, "one")
	synctest.Test(t, func(t *testing.T) {
		w, err := filewatch.New(time.Second, []string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		write(t, path, "two, longer")
		time.Sleep(time.Second)
		var reloads atomic.Int32
		release := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			w.Check(func() error { reloads.Add(1); <-release; return nil })
		})
		synctest.Wait() // the first check is inside reload, holding the lock
		for range 50 {
			wg.Go(func() { w.Check(func() error { reloads.Add(1); return nil }) })
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		if n := reloads.Load(); n != 1 {
			t.Fatalf("%d reloads, want 1", n)
		}
	})
}

func TestNewMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing")
	if _, err := filewatch.New(time.Second, []string{path}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

// A FIFO is stamped without being opened (opening it would block).
func TestFIFONotOpened(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	path := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(path); err != nil {
		t.Skip(err)
	}
	st, err := filewatch.Stat(path, true, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Hashed || !st.NotRegular {
		t.Fatalf("%+v", st)
	}
}

// Package filewatch tells when files that a long-running process reads
// (key pairs, CA bundles, session ticket keys) have been replaced on disk.
//
// A change is seen in the file's device and inode, size, modification and
// status-change times (ctime), and in the path its symbolic links lead to,
// so that a replacement of the same size with the modification time kept
// (cp -p, rsync -t, tar x, install -p) and a Kubernetes-style "..data"
// symlink swap are both caught: cp -p rewrites the same inode but cannot
// keep the ctime; the other tools and the swap give a new inode. Where the
// system gives no inode or ctime, and for a file changed so recently that
// a later write could leave every time stamp as it is (a "racy" stamp, as
// git calls it), the content's SHA-256 is part of the stamp too.
//
// A Watcher checks its files at most once per interval, from whichever
// goroutine asks first; the others do not wait. Of the rest of the module
// it imports only the leaf internal/fsx.
package filewatch

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/fsx"
)

// Stamp is what is known about one version of a file.
type Stamp struct {
	Target     string // the path with its symbolic links resolved
	Dev, Ino   uint64 // 0 where the system does not tell
	Size       int64
	Mode       fs.FileMode
	Mtime      int64 // Unix nanoseconds
	Ctime      int64 // Unix nanoseconds; 0 where the system does not tell
	Hashed     bool  // Hash is set
	Hash       [sha256.Size]byte
	NotRegular bool // a directory or special file: never opened here
}

// MaxHash is the largest file whose content is hashed; larger files are
// told apart by their metadata only.
const MaxHash = 16 << 20

// racyWindow is how close to the time of the check a change may be for
// the metadata alone not to be trusted: file systems keep coarse clocks
// (a few milliseconds on Linux, 2 s on FAT).
const racyWindow = 2 * time.Second

// Stat stamps the file at path (symbolic links followed). With hash set,
// or when the system gives no inode and ctime, or when the file changed
// within the last two seconds (judged by now), a regular file's content is
// hashed as well.
func Stat(path string, hash bool, now time.Time) (Stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}, err
	}
	st := Stamp{Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime().UnixNano(), NotRegular: !fi.Mode().IsRegular()}
	st.Dev, st.Ino, st.Ctime = sysStat(fi)
	if t, err := filepath.EvalSymlinks(path); err == nil {
		st.Target = t
	}
	if st.NotRegular || st.Size > MaxHash {
		return st, nil
	}
	racy := now.UnixNano()-max(st.Mtime, st.Ctime) < int64(racyWindow)
	if hash || st.Ino == 0 || st.Ctime == 0 || racy {
		h, err := hashFile(path, st)
		if err != nil {
			return Stamp{}, err
		}
		st.Hash, st.Hashed = h, true
	}
	return st, nil
}

// hashFile hashes a file's content, refusing a file that is no longer
// the regular file that was stamped (opening a FIFO would block).
func hashFile(path string, st Stamp) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sum, err
	}
	if !fi.Mode().IsRegular() {
		return sum, fmt.Errorf("%s is not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, MaxHash+1)); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

// Same reports whether two stamps are of the same version of a file. A
// hash counts only when both stamps have one.
func (s Stamp) Same(o Stamp) bool {
	if s.Target != o.Target || s.Dev != o.Dev || s.Ino != o.Ino || s.Size != o.Size ||
		s.Mode != o.Mode || s.Mtime != o.Mtime || s.Ctime != o.Ctime || s.NotRegular != o.NotRegular {
		return false
	}
	return !s.Hashed || !o.Hashed || s.Hash == o.Hash
}

// A Watcher watches a set of files, and the plain files of directories.
// Its methods are safe for concurrent use.
type Watcher struct {
	files []string
	dirs  []Dir

	next atomic.Int64 // Unix nanoseconds of the next check

	mu       sync.Mutex // held by the one goroutine that checks
	interval time.Duration
	now      func() time.Time
	stamps   map[string]Stamp
	lastErr  string
}

// Dir is a directory whose entries are watched: the directory itself (an
// entry added, removed or renamed changes it) and each entry Match
// accepts (all when Match is nil).
type Dir struct {
	Path  string
	Match func(name string) bool
	// Stop, when set, is asked about each name as the directory is read:
	// at the first name it accepts, reading stops and only the directory
	// itself is stamped (a hashed capath, whose files are looked up and
	// checked by name when used, costs one read of the directory, however
	// large).
	Stop func(name string) bool
}

// New stamps the files and directories now: a file that cannot be stamped
// is an error. Stamp before reading what is watched, so that a change made
// while it is read is seen at the next check.
func New(interval time.Duration, files []string, dirs []Dir) (*Watcher, error) {
	w := &Watcher{files: files, dirs: dirs, interval: interval, now: time.Now}
	st, err := w.stampAll(nil)
	if err != nil {
		return nil, err
	}
	w.stamps = st
	w.next.Store(w.now().Add(interval).UnixNano())
	return w, nil
}

// NewAround stamps the files and directories around read, which reads
// what is watched and reports which of the directories it found to be
// hashed capaths (Stop would accept one of their names): the files and
// each directory itself are stamped before read runs, as New does, but
// the names of a directory are read only when read found it not hashed,
// saving a read of a large directory that read has just made. For those,
// the names and plain files are stamped after read; where one of them, or
// the directory, changed after read began (or so close before that the
// file system's clock cannot tell), the first check reloads. read's
// error is returned as it is, with no watcher.
func NewAround(interval time.Duration, files []string, dirs []Dir, read func() (hashed map[string]bool, err error)) (*Watcher, error) {
	w := &Watcher{files: files, dirs: dirs, interval: interval, now: time.Now}
	start := w.now()
	st := make(map[string]Stamp)
	for _, p := range files {
		fst, err := Stat(p, false, start)
		if err != nil {
			return nil, err
		}
		st[p] = fst
	}
	for _, d := range dirs {
		ds, err := Stat(d.Path, false, start)
		if err != nil {
			return nil, err
		}
		st[d.Path] = ds
	}
	hashed, err := read()
	if err != nil {
		return nil, err
	}
	after := w.now()
	// recent: changed after read began, or so close before that the file
	// system's clock cannot tell; read may have seen another version.
	recent := func(s Stamp) bool { return max(s.Mtime, s.Ctime) >= start.UnixNano()-int64(racyWindow) }
	for _, d := range dirs {
		if hashed[d.Path] {
			st[stoppedKey(d.Path)] = Stamp{}
			continue
		}
		force := recent(st[d.Path])
		stopped, err := stampEntries(d, st, func(p string) (Stamp, error) {
			fst, err := Stat(p, false, after)
			force = force || err == nil && recent(fst)
			return fst, err
		})
		if err != nil {
			return nil, err
		}
		if force || stopped { // stopped: hashed names appeared after read
			st[forceKey] = Stamp{}
		}
	}
	w.stamps = st
	w.next.Store(w.now().Add(interval).UnixNano())
	return w, nil
}

// forceKey is a stamp that no check produces: its presence makes the next
// check reload.
const forceKey = "\x00force"

func stoppedKey(dir string) string { return dir + string(filepath.Separator) + "\x00stopped" }

// SetClock replaces the clock and the interval (tests); the next Check is
// due at once.
func (w *Watcher) SetClock(now func() time.Time, interval time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now, w.interval = now, interval
	w.next.Store(0)
}

// stampAll stamps every watched path, hashing where the previous stamp
// was hashed (so that a racy stamp is compared by content).
func (w *Watcher) stampAll(prev map[string]Stamp) (map[string]Stamp, error) {
	now := w.now()
	out := make(map[string]Stamp)
	add := func(p string) error {
		old, had := prev[p]
		st, err := Stat(p, had && old.Hashed, now)
		if err != nil {
			return err
		}
		out[p] = st
		return nil
	}
	for _, f := range w.files {
		if err := add(f); err != nil {
			return nil, err
		}
	}
	for _, d := range w.dirs {
		if err := add(d.Path); err != nil {
			return nil, err
		}
		if _, was := prev[stoppedKey(d.Path)]; was && prev[d.Path].Same(out[d.Path]) &&
			now.UnixNano()-max(out[d.Path].Mtime, out[d.Path].Ctime) >= int64(racyWindow) {
			// A hashed directory whose own stamp has not changed (and not
			// recently) has the same names: not read again.
			out[stoppedKey(d.Path)] = Stamp{}
			continue
		}
		stopped, err := stampEntries(d, out, func(p string) (Stamp, error) {
			old, had := prev[p]
			return Stat(p, had && old.Hashed, now)
		})
		if err != nil {
			return nil, err
		}
		if stopped {
			out[stoppedKey(d.Path)] = Stamp{}
		}
	}
	return out, nil
}

// stampEntries reads the names of d and puts the stamp of each one Match
// accepts into out, leaving out names gone since the listing (a dangling
// link, or removed); it reports whether Stop ended the read, in which case
// no entry is stamped.
func stampEntries(d Dir, out map[string]Stamp, stamp func(path string) (Stamp, error)) (stopped bool, err error) {
	names, stopped, err := readNames(d)
	if err != nil || stopped {
		return stopped, err
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(d.Path, n)
		st, err := stamp(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return false, err
		}
		out[p] = st
	}
	return false, nil
}

// readNames lists the names of d that Match accepts, in batches, stopping
// at the first name Stop accepts.
func readNames(d Dir) (names []string, stopped bool, err error) {
	next, done, err := fsx.DirNames(d.Path)
	if err != nil {
		return nil, false, err
	}
	defer done()
	for {
		batch, err := next()
		for _, n := range batch {
			if d.Stop != nil && d.Stop(n) {
				return nil, true, nil
			}
			if d.Match == nil || d.Match(n) {
				names = append(names, n)
			}
		}
		if err == io.EOF {
			return names, false, nil
		}
		if err != nil {
			return nil, false, &fs.PathError{Op: "readdirent", Path: d.Path, Err: err}
		}
	}
}

// Outcome is the result of a Check.
type Outcome struct {
	Changed bool  // a file changed and reload ran (see Err)
	Err     error // why stamping or reloading failed; nil on success
	// Repeated is set when Err says what the previous failed check said:
	// report it once.
	Repeated bool
}

// Reloaded reports a successful reload.
func (o Outcome) Reloaded() bool { return o.Changed && o.Err == nil }

// Check looks at the files when the interval has passed and no other
// goroutine is checking, and calls reload when one has changed since the
// last successful reload. Until reload succeeds, every check calls it
// again (the new files may be half-written, or a key's password source
// down for a moment). An Outcome with Changed unset and no Err means
// nothing was done.
func (w *Watcher) Check(reload func() error) Outcome {
	if w.now().UnixNano() < w.next.Load() || !w.mu.TryLock() {
		return Outcome{}
	}
	defer w.mu.Unlock()
	return w.checkLocked(reload)
}

// CheckNow is Check without the interval (the lock is waited for).
func (w *Watcher) CheckNow(reload func() error) Outcome {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.checkLocked(reload)
}

func (w *Watcher) checkLocked(reload func() error) Outcome {
	w.next.Store(w.now().Add(w.interval).UnixNano())
	st, err := w.stampAll(w.stamps)
	if err == nil && sameAll(st, w.stamps) {
		return Outcome{}
	}
	if err == nil {
		err = reload()
	}
	if err != nil {
		msg := err.Error()
		rep := msg == w.lastErr
		w.lastErr = msg
		return Outcome{Changed: true, Err: err, Repeated: rep}
	}
	w.stamps, w.lastErr = st, ""
	return Outcome{Changed: true}
}

func sameAll(a, b map[string]Stamp) bool {
	return maps.EqualFunc(a, b, Stamp.Same)
}

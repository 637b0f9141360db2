//go:build unix

package internal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openKeyLog opens name for appending TLS secrets: never through a symbolic
// link as last component (O_NOFOLLOW), never blocking on a FIFO
// (O_NONBLOCK, then the opened file must be a regular file), created with
// mode 0600, and only when the file is owned by this process's effective
// user and neither group nor others may read it. The checks are made on
// the opened file (fstat), so the file cannot be swapped in between.
func openKeyLog(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if fi, lerr := os.Lstat(name); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%q is a symbolic link, which is not followed; name the file itself", name)
		}
		if errors.Is(err, syscall.ENXIO) {
			return nil, fmt.Errorf("%q is not a regular file", name)
		}
		return nil, err
	}
	if err := checkKeyLog(name, f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func checkKeyLog(name string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%q is not a regular file", name)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if me := os.Geteuid(); int64(st.Uid) != int64(me) {
			return fmt.Errorf("%q is owned by user %d, not by this user (%d); remove it, or name a file of your own", name, st.Uid, me)
		}
	}
	if perm := fi.Mode().Perm(); perm&0o044 != 0 {
		return fmt.Errorf("%q may be read by group or others (mode %04o); run chmod 600 on it", name, perm)
	}
	return nil
}

//go:build unix

package ticketkeys

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a key file owned by a user other than this process's
// effective user or root: its owner could read the keys (and decrypt the
// sessions resumed with them) or replace them (and mint tickets that
// resume as any client). The file checked is the one the path leads to,
// symbolic links followed (a Kubernetes secret volume swaps its ..data
// link), as SSLKEYLOGFILE's owner check does for the key log.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if me := os.Geteuid(); int64(st.Uid) != int64(me) && st.Uid != 0 {
		return fmt.Errorf("%s is owned by user %d, not by this user (%d) or root: its owner can read the ticket keys and replace them; make this user its owner (chown %d %s), or name a file of your own", path, st.Uid, me, me, path)
	}
	return nil
}

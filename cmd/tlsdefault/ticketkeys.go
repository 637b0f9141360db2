package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/ticketkeys"
)

// defaultKeep is how many previous keys "ticket-keys rotate" keeps after
// the new one. With the daily rotation the usage assumes, a key encrypts
// tickets for a day and decrypts them for two more: a ticket is honoured
// for at least 48 hours after it was issued, and no key outlives 72 hours
// (a client that reconnects within the window gets a fresh ticket each
// time, so it resumes for as long as it keeps coming back).
const defaultKeep = 2

const ticketKeysUsage = `Usage: tlsdefault ticket-keys new FILE
       tlsdefault ticket-keys rotate [--keep N] FILE

Make or rotate the session ticket key file that the servers of a fleet share
(tlsdefault.WithSessionTicketKeyFile), so that a client resumes its TLS
session on any of them, not only on the one that issued its ticket.

The file holds one key per line: 32 random bytes in standard base64, the
first one encrypting new tickets, every one decrypting. Lines starting with
'#' are comments. It is written with mode 0600 (the servers refuse a file
that group or others may read) and replaced atomically: a temporary file in
the same directory, renamed over the old one, so that a server never reads
half a file. The keys are never printed.

    new FILE       write FILE with one new key; FILE must not exist
    rotate FILE    put a new key first and keep the previous ones after it,
                   up to --keep of them (default 2); older ones are dropped.
                   Comments in FILE are not kept.

Rotation schedule: rotate once a day (cron, a systemd timer, a Kubernetes
CronJob), then copy the file to every server (or let them share it through
a secret). With --keep 2 a key encrypts for a day and decrypts for two more,
so a ticket stays good for 48 to 72 hours and a stolen key opens at most
three days of resumed sessions. Rotating more often, keep more keys to hold
the same window: keep = window / interval. While the new file reaches the
servers one after the other, a client that resumes on a server still
holding the old file makes a full handshake: slower, never a failed
connection. Servers check the file at most once a second.

Examples:
    $ tlsdefault ticket-keys new /etc/myapp/ticket.keys
    $ tlsdefault ticket-keys rotate /etc/myapp/ticket.keys
    $ tlsdefault ticket-keys rotate --keep 6 /etc/myapp/ticket.keys   # every 4 hours, 24 h window
`

func runTicketKeys(args []string, stdout, stderr io.Writer) error {
	flags := newFlagSet("ticket-keys")
	keep := flags.Int("keep", defaultKeep, "")
	pos, err := parseFlags(flags, ticketKeysUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("ticket-keys: say new or rotate, as in 'tlsdefault ticket-keys new ticket.keys'")
	}
	action, pos := pos[0], pos[1:]
	if action != "new" && action != "rotate" {
		return usageErrorf("ticket-keys: unknown action %q; use new or rotate", action)
	}
	if len(pos) != 1 {
		return usageErrorf("ticket-keys %s: give one file, as in 'tlsdefault ticket-keys %s ticket.keys'", action, action)
	}
	if *keep < 0 || *keep > ticketkeys.MaxKeys-1 {
		return usageErrorf("ticket-keys: --keep %d is out of range: 0 to %d previous keys", *keep, ticketkeys.MaxKeys-1)
	}
	path := pos[0]
	var fresh [ticketkeys.KeySize]byte
	if _, err := rand.Read(fresh[:]); err != nil {
		return fmt.Errorf("ticket-keys: %w", err)
	}
	keys := [][ticketkeys.KeySize]byte{fresh}
	comment := "session ticket keys (tlsdefault.WithSessionTicketKeyFile): the first encrypts, all decrypt\n"
	now := time.Now().UTC().Format(time.RFC3339)
	if action == "new" {
		keepSet := false
		flags.Visit(func(f *flag.Flag) { keepSet = keepSet || f.Name == "keep" })
		if keepSet {
			return usageErrorf("ticket-keys new: --keep applies to rotate")
		}
		if err := writeKeyFile(path, ticketkeys.Format(comment+"made "+now+" by tlsdefault ticket-keys new", keys), false); err != nil {
			return err
		}
		infof(stderr, "wrote %s: 1 key", path)
		return nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return usageErrorf("ticket-keys rotate: %s is a symbolic link; rotate the file it points to (replacing the link would cut it off)", path)
	}
	old, err := ticketkeys.Read(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &cliError{code: exitUsage, msgs: []string{fmt.Sprintf("ticket-keys rotate: %v", err)}, hints: []string{"make the file first with 'tlsdefault ticket-keys new " + path + "'"}}
		}
		return fmt.Errorf("ticket-keys rotate: %w", err)
	}
	kept := old[:min(len(old), *keep)]
	keys = append(keys, kept...)
	if err := writeKeyFile(path, ticketkeys.Format(comment+"rotated "+now+" by tlsdefault ticket-keys rotate --keep "+strconv.Itoa(*keep), keys), true); err != nil {
		return err
	}
	infof(stderr, "wrote %s: %d keys (1 new first, %d kept, %d dropped)", path, len(keys), len(kept), len(old)-len(kept))
	return nil
}

// writeKeyFile writes data to a new 0600 file in path's directory, flushed
// to disk, and moves it to path: renamed over an existing file when
// replace is set, linked (failing if path exists) otherwise.
func writeKeyFile(path string, data []byte, replace bool) (err error) {
	defer clear(data)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("ticket-keys: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ticket-keys: writing %s: %w", tmp, err)
	}
	if replace {
		err = os.Rename(tmp, path)
	} else {
		err = os.Link(tmp, path) // fails if path exists
		if err != nil && !errors.Is(err, os.ErrExist) {
			// A file system without hard links: check, then rename.
			if _, lerr := os.Lstat(path); lerr == nil {
				err = os.ErrExist
			} else {
				err = os.Rename(tmp, path)
			}
		}
		if err == nil {
			os.Remove(tmp) // the link's other name; gone already after a rename
		} else if errors.Is(err, os.ErrExist) {
			return &cliError{code: exitUsage, msgs: []string{fmt.Sprintf("ticket-keys new: %s exists", path)}, hints: []string{"to add a key to it, use 'tlsdefault ticket-keys rotate " + path + "'"}}
		}
	}
	if err != nil {
		return fmt.Errorf("ticket-keys: %w", err)
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync() // the rename itself, on file systems that need it
		d.Close()
	}
	return nil
}

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/hashname"
)

func runRehash(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rehash")
	pos, err := parseFlags(fs, rehashUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("rehash: no directory given, as in 'tlsdefault rehash ./certs'")
	}
	if len(pos) > 1 {
		return usageErrorf("rehash: give one directory; %q is one too many", pos[1])
	}
	dir := pos[0]
	fi, err := os.Stat(dir)
	if err != nil {
		return usageErrorf("rehash: %v", err)
	}
	if !fi.IsDir() {
		return usageErrorf("rehash: %s is not a directory", dir)
	}

	rep, rerr := capool.RehashDir(dir)
	if rep == nil {
		return fmt.Errorf("rehash: %w", rerr)
	}
	var made, removed, kept int
	for _, l := range rep.Links {
		mark := ""
		switch l.Change {
		case "new":
			mark = "  (new)"
			made++
		case "removed":
			mark = "  (removed)"
			removed++
		}
		if l.Change != "removed" {
			kept++
		}
		fmt.Fprintf(stdout, "%s -> %s%s\n", l.Name, l.Target, mark)
	}
	for _, w := range rep.Warnings {
		warnf(stderr, "rehash: %s", w)
	}
	if rerr != nil {
		return fmt.Errorf("rehash: %w", rerr)
	}
	if kept == 0 {
		warnf(stderr, "rehash: %s holds no .pem, .crt, .cer or .crl file with one certificate or CRL; nothing linked", dir)
	}
	noun := "links"
	if kept == 1 {
		noun = "link"
	}
	infof(stderr, "%d %s in %s: %d new, %d removed", kept, noun, dir, made, removed)
	return nil
}

// hashLinks returns the hash-named symbolic links of dir and their
// targets, read with the one parser of hashed names.
func hashLinks(dir string) map[string]string {
	links := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return links
	}
	for _, de := range ents {
		if _, ok := hashname.Parse(de.Name()); !ok || de.Type()&os.ModeSymlink == 0 {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, de.Name()))
		if err != nil {
			continue
		}
		links[de.Name()] = target
	}
	return links
}

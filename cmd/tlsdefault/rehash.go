package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/tlsdefault/tlsdefault/capool"
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

	before := hashLinks(dir)
	rerr := capool.Rehash(dir)
	after := hashLinks(dir)

	names := make([]string, 0, len(after))
	for n := range after {
		names = append(names, n)
	}
	sort.Strings(names)
	var made, removed int
	for _, n := range names {
		mark := ""
		if old, ok := before[n]; !ok || old != after[n] {
			mark = "  (new)"
			made++
		}
		fmt.Fprintf(stdout, "%s -> %s%s\n", n, after[n], mark)
	}
	var gone []string
	for n := range before {
		if _, ok := after[n]; !ok {
			gone = append(gone, n)
		}
	}
	sort.Strings(gone)
	for _, n := range gone {
		fmt.Fprintf(stdout, "%s -> %s  (removed)\n", n, before[n])
		removed++
	}
	if rerr != nil {
		return fmt.Errorf("rehash: %w", rerr)
	}
	if len(names) == 0 {
		warnf(stderr, "rehash: %s holds no .pem, .crt, .cer or .crl file with one certificate or CRL; nothing linked", dir)
	}
	noun := "links"
	if len(names) == 1 {
		noun = "link"
	}
	infof(stderr, "%d %s in %s: %d new, %d removed", len(names), noun, dir, made, removed)
	return nil
}

// hashLinks returns the hash-named symbolic links of dir and their targets.
func hashLinks(dir string) map[string]string {
	links := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return links
	}
	for _, de := range ents {
		if de.Type()&os.ModeSymlink == 0 || !hashedName.MatchString(de.Name()) {
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

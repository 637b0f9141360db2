// Package hashname parses the file names of OpenSSL's hashed CA
// directories: <hash>.<n> for a certificate and <hash>.r<n> for a CRL,
// where <hash> is eight hexadecimal digits (the subject name hash of the
// certificate, the issuer's for a CRL) and <n> numbers the files sharing a
// hash from 0. Package capool's capath lookups, its Rehash and the
// command line's listings all read names through it.
//
// It is a leaf package: it imports only the standard library.
package hashname

import "fmt"

// Name is a parsed hashed name.
type Name struct {
	Hash uint32
	CRL  bool // <hash>.r<n>
	// N is the number after the dot (and the "r"); numbers too large for
	// any real directory are saturated at 1<<24.
	N int
	// Lower is set when the name is written as OpenSSL's lookups write
	// it (lower-case hex digits, lower-case "r"): the only form a capath
	// lookup opens on a case-sensitive file system. `openssl rehash`
	// recognises its own links in either case.
	Lower bool
}

// Parse parses a hashed name, in either case. It reports false for
// anything else (a sign, spaces, a missing number, other suffixes).
func Parse(name string) (Name, bool) {
	var n Name
	if len(name) < 10 || name[8] != '.' {
		return n, false
	}
	n.Lower = true
	for i := 0; i < 8; i++ {
		c := name[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
			n.Lower = false
		default:
			return Name{}, false
		}
		n.Hash = n.Hash<<4 | uint32(v)
	}
	num := name[9:]
	switch num[0] {
	case 'r':
		n.CRL, num = true, num[1:]
	case 'R':
		n.CRL, n.Lower, num = true, false, num[1:]
	}
	if num == "" {
		return Name{}, false
	}
	for i := 0; i < len(num); i++ {
		c := num[i]
		if c < '0' || c > '9' {
			return Name{}, false
		}
		if n.N < 1<<24 {
			n.N = n.N*10 + int(c-'0')
		}
	}
	return n, true
}

// Format returns the name OpenSSL's lookups open for a hash and number:
// "%08x.%d", or "%08x.r%d" for a CRL.
func Format(hash uint32, crl bool, n int) string {
	if crl {
		return fmt.Sprintf("%08x.r%d", hash, n)
	}
	return fmt.Sprintf("%08x.%d", hash, n)
}

// String returns the name in OpenSSL's lower-case form.
func (n Name) String() string { return Format(n.Hash, n.CRL, n.N) }

package hostname

import (
	"strings"
	"testing"
)

// FuzzNormalize feeds Normalize names as a peer could send them (an SNI
// name, a URL's host): it must not panic, and what it accepts must be
// lower-case ASCII of at most 253 characters that Normalize keeps as it is.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"old.test", "Bücher.Example.", "xn--bcher-kva.example", "r3---sn.example", "a\u200db.test", "\u05d0a.test", "xn--zz", "a..b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := Normalize(name)
		if err != nil {
			if n != "" {
				t.Errorf("Normalize(%q) = %q with error %v", name, n, err)
			}
			return
		}
		if n == "" || len(n) > 253 || strings.ToLower(n) != n {
			t.Fatalf("Normalize(%q) = %q", name, n)
		}
		for i := 0; i < len(n); i++ {
			if n[i] >= 0x80 {
				t.Fatalf("Normalize(%q) = %q, not ASCII", name, n)
			}
		}
		if again, err := Normalize(n); err != nil || again != n {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", name, n, n, again, err)
		}
		PublicSuffix(n)
	})
}

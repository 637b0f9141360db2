package legacy

import "testing"

// TestCoversUnicode checks that the scope matcher compares names as
// ForHosts keeps them: a Unicode name dialled or received matches its
// A-label, whichever form ForHosts was given.
func TestCoversUnicode(t *testing.T) {
	for _, scope := range []string{"bücher.example", "xn--bcher-kva.example"} {
		o := allow([]Scope{ForHosts(scope, "*.café.example")})
		if len(o.errs) > 0 {
			t.Fatal(o.errs)
		}
		for host, want := range map[string]bool{
			"bücher.example":            true,
			"BÜCHER.example.":           true,
			"xn--bcher-kva.example":     true,
			"xn--bcher-kva.example:443": true,
			"bucher.example":            false,
			"a.café.example":            true,
			"a.xn--caf-dma.example":     true,
			"café.example":              false,
			"a\u200db.café.example":     false, // not a valid name: matches nothing
		} {
			if got := o.m.Covers(host); got != want {
				t.Errorf("ForHosts(%q): Covers(%q) = %v, want %v", scope, host, got, want)
			}
		}
	}
}

package hashname

import "testing"

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Name
		ok   bool
	}{
		{"5d30f3c5.0", Name{Hash: 0x5d30f3c5, Lower: true}, true},
		{"5d30f3c5.12", Name{Hash: 0x5d30f3c5, N: 12, Lower: true}, true},
		{"5d30f3c5.r1", Name{Hash: 0x5d30f3c5, CRL: true, N: 1, Lower: true}, true},
		{"5D30F3C5.0", Name{Hash: 0x5d30f3c5}, true},
		{"5d30f3c5.R0", Name{Hash: 0x5d30f3c5, CRL: true}, true},
		{"5d30f3c5.99999999999999999999", Name{Hash: 0x5d30f3c5, N: 1<<24 + 0, Lower: true}, false},
		{"5d30f3c5.", Name{}, false},
		{"5d30f3c5.r", Name{}, false},
		{"5d30f3c5.pem", Name{}, false},
		{"5d30f3c5.0.pem", Name{}, false},
		{"5d30f3c.0", Name{}, false},
		{"+d30f3c5.0", Name{}, false},
		{"5d30f3c5.-1", Name{}, false},
		{"5d30f3c5. 1", Name{}, false},
		{"ca.pem", Name{}, false},
		{"", Name{}, false},
	} {
		got, ok := Parse(tt.in)
		if tt.in == "5d30f3c5.99999999999999999999" {
			if !ok || got.N < 1<<24 {
				t.Errorf("Parse(%q) = %+v, %v; want a saturated number", tt.in, got, ok)
			}
			continue
		}
		if ok != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.Lower && got.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, got.String())
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"5d30f3c5.0", "5d30f3c5.r1", "ABCDEF01.R9", "x", "12345678."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := Parse(s)
		if !ok {
			return
		}
		if n.Lower && n.N < 1<<24 && n.String() != s && len(s) == len(n.String()) {
			t.Errorf("Parse(%q) = %+v, which formats as %q", s, n, n.String())
		}
	})
}

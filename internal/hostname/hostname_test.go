package hostname

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"old.test":                   "old.test",
		"OLD.Test.":                  "old.test",
		"svc_1.internal":             "svc_1.internal",
		"r3---sn-abc.example.net":    "r3---sn-abc.example.net",
		"bücher.example":             "xn--bcher-kva.example",
		"BÜCHER.Example.":            "xn--bcher-kva.example",
		"bücher。example":             "xn--bcher-kva.example",
		"xn--bcher-kva.example":      "xn--bcher-kva.example",
		"XN--BCHER-KVA.example":      "xn--bcher-kva.example",
		"faß.de":                     "xn--fa-hia.de", // non-transitional, as browsers
		"公司.cn":                      "xn--55qx5d.cn",
		"\u0915\u094d\u200d.example": "xn--11b6iy14e.example", // a joiner after a virama is allowed
		"пример.рф":                  "xn--e1afmkfd.xn--p1ai",
		"مثال.example":               "xn--mgbh0fb.example",
	} {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeRefuses(t *testing.T) {
	for in, reason := range map[string]string{
		"":                                 "empty name",
		".":                                "empty name",
		"a..b":                             "empty label",
		".old.test":                        "empty label",
		"\xff.test":                        "not valid UTF-8",
		"-a.test":                          "starts or ends with a hyphen",
		"a-.test":                          "starts or ends with a hyphen",
		"-ü.test":                          "starts or ends with a hyphen",
		"a b.test":                         "not allowed in a host name",
		"a*.test":                          "not allowed in a host name",
		"a\u00a0b.test":                    "not allowed in a host name",
		strings.Repeat("a", 64) + ".test":  "longer than 63",
		strings.Repeat("a.", 127) + "test": "longer than 253",
		"a\u200db.test":                    "zero-width joiner",
		"\u05d0a.test":                     "bidi rule",
		"\u0300a.test":                     "combining mark",
		"a\u2028b.test":                    "U+2028",
		"xn--zz.test":                      "punycode",
		"xn--abc.test":                     "IDNA does not allow",
		"xn--old-test.test":                "",
		"xn--ls8h-.test":                   "",
	} {
		got, err := Normalize(in)
		if err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), reason) {
			t.Errorf("Normalize(%q): error %q does not say %q", in, err, reason)
		}
		t.Logf("%q: %v", in, err)
	}
}

func TestWildcardTooBroad(t *testing.T) {
	for base, want := range map[string]bool{
		"co.uk":                 true,
		"github.io":             true,
		"kawasaki.jp":           true, // *.kawasaki.jp
		"compute.amazonaws.com": true, // *.compute.amazonaws.com
		"city.kawasaki.jp":      false,
		"example.co.uk":         false,
		"example.com":           false,
		"corp.internal":         false,
	} {
		got, why, instead := WildcardTooBroad(base)
		if got != want || got == (why == "") || got == (instead == "") {
			t.Errorf("WildcardTooBroad(%q) = %v, %q, %q; want %v", base, got, why, instead, want)
		}
	}
}

func TestPublicSuffix(t *testing.T) {
	for name, want := range map[string]bool{
		"com":                 true,
		"localhost":           true,
		"co.uk":               true,
		"com.au":              true,
		"github.io":           true,
		"s3.amazonaws.com":    true,
		"blogspot.com":        true,
		"xn--55qx5d.cn":       true,  // 公司.cn
		"foo.ck":              true,  // *.ck
		"www.ck":              false, // !www.ck
		"example.co.uk":       false,
		"amazonaws.com":       false,
		"example.com":         false,
		"user.github.io":      false,
		"example.test":        false, // unlisted top-level domain
		"corp.internal":       false,
		"a.b.example.invalid": false,
	} {
		got, why := PublicSuffix(name)
		if got != want {
			t.Errorf("PublicSuffix(%q) = %v (%s), want %v", name, got, why, want)
		}
		if got && why == "" {
			t.Errorf("PublicSuffix(%q): no reason", name)
		}
	}
	if _, why := PublicSuffix("github.io"); !strings.Contains(why, "private") {
		t.Errorf("github.io: %q does not say it is a private suffix", why)
	}
	if _, why := PublicSuffix("co.uk"); !strings.Contains(why, "ICANN") {
		t.Errorf("co.uk: %q does not say it is an ICANN suffix", why)
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, name := range []string{"old.example.com", "bücher.example"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalize(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
